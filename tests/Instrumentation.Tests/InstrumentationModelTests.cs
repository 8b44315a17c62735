using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;
using SipTraceContext.Instrumentation.Tests.Ims;
using M = SipTraceContext.Conventions.SipMetrics;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// The call tracer and the IMS helpers are one instrumentation: one activity source and one meter, each
/// instrument created once, enabled by the same <c>AddSipInstrumentation()</c>.
/// </summary>
public sealed class InstrumentationModelTests
{
    [Fact]
    public void TracersAndImsNodesRecordThroughOneMeterWithEachInstrumentOnce()
    {
        using var first = new SipCallTracer();
        using var second = new SipCallTracer(new SipCallTracerOptions { MetricTags = [new("node", "second")] });
        _ = new ScscfInstrumentation();
        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == SipSemanticConventions.InstrumentationName)
                {
                    instruments.Add(instrument);
                }
            },
        };
        listener.Start();

        Meter meter = instruments[0].Meter;
        Assert.All(instruments, i => Assert.Same(meter, i.Meter));
        Assert.Equal(SipSemanticConventions.SchemaUrl, meter.TelemetrySchemaUrl);
        Assert.Equal(instruments.Count, instruments.Select(i => i.Name).Distinct().Count());
        Assert.Contains(instruments, i => i.Name == M.CallSetupLatency.Name && i.Unit == M.CallSetupLatency.Unit);
        Assert.Contains(instruments, i => i.Name == ImsMetrics.RegistrationLatency.Name && i.Unit == ImsMetrics.RegistrationLatency.Unit);
        Assert.Contains(instruments, i => i.Name == ImsMetrics.TraceHeadersFallbacks.Name);
    }

    [Fact]
    public void TracerAndImsSpansComeFromOneActivitySource()
    {
        var sources = new List<ActivitySource>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SipSemanticConventions.InstrumentationName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => sources.Add(activity.Source),
        };
        ActivitySource.AddActivityListener(listener);
        using (var tracer = new SipCallTracer())
        {
            tracer.Record(Sip.Invite("call-one-source@x"), SipDirection.In);
        }

        new PcscfInstrumentation().StartRegister(ImsMessages.Register("reg-one-source@x")).Dispose();

        Assert.True(sources.Count >= 2);
        Assert.All(sources, s => Assert.Same(sources[0], s));
    }

    [Fact]
    public void ADisposedTracersCallLimitSeriesGoesWithIt()
    {
        using var harness = new TracerHarness();
        var tracer = new SipCallTracer(new SipCallTracerOptions { MaxTrackedCalls = 7, MetricTags = [new("node", "short-lived")] });
        Assert.Equal(7, harness.Collect().Value(M.CallLimit.Name, ("node", "short-lived")));

        tracer.Dispose();
        tracer.Dispose();

        Assert.Equal(0, harness.Collect().Value(M.CallLimit.Name, ("node", "short-lived")));
        Assert.Equal(SipCallTracerOptions.DefaultMaxTrackedCalls, harness.Collect().Value(M.CallLimit.Name));
    }

    [Fact]
    public void TracersWithTheSameTagsAddUpToOneSeriesOfActiveCallsAndCapacity()
    {
        using var harness = new TracerHarness(new SipCallTracerOptions { MaxTrackedCalls = 7, MetricTags = [new("node", "pair"), new("site", "east")] });
        using var second = new SipCallTracer(new SipCallTracerOptions { MaxTrackedCalls = 5, MetricTags = [new("site", "east"), new("node", "pair")] });
        harness.In(Sip.Invite("first-of-pair@x"));
        second.Record(Sip.Invite("second-of-pair@x"), SipDirection.In);
        second.Record(Sip.Invite("third-of-pair@x"), SipDirection.In);

        MetricPoints m = harness.Collect();
        Assert.Equal(3, m.Value(M.CallsActive.Name, ("node", "pair")));
        Assert.Equal(12, m.Value(M.CallLimit.Name, ("node", "pair")));
    }

    [Fact]
    public void ADisposedTracersLastResponsesAreCounted()
    {
        using var harness = new TracerHarness();
        var tracer = new SipCallTracer(new SipCallTracerOptions { MetricTags = [new("node", "disposed")] });
        tracer.Record(Sip.Invite("last-words@x"), SipDirection.In);
        tracer.Record(Sip.Response(180, "Ringing", "last-words@x"), SipDirection.Out);

        tracer.Dispose();

        MetricPoints m = harness.Collect();
        Assert.Equal(1, m.Value(M.ResponseCount.Name, ("node", "disposed"), (SipAttributes.StatusCode, 180), (SipAttributes.Method, "INVITE")));
        Assert.Equal(0, m.Value(M.CallsActive.Name, ("node", "disposed")));
    }

    [Fact]
    public void AListenerThatCollectsNothingObservableGetsTheResponsesAtTheNextSweep()
    {
        var time = new FakeTimeProvider(TracerHarness.Start);
        using var tracer = new SipCallTracer(new SipCallTracerOptions { MetricTags = [new("node", "plain")] }, time);
        long counted = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SipSemanticConventions.InstrumentationName && instrument.Name == M.ResponseCount.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "node" && Equals(tag.Value, "plain"))
                {
                    counted += value;
                }
            }
        });
        listener.Start();

        tracer.Record(Sip.Invite("plain-listener@x"), SipDirection.In);
        tracer.Record(Sip.Response(180, "Ringing", "plain-listener@x"), SipDirection.Out);
        tracer.Record(Sip.Response(486, "Busy Here", "plain-listener@x"), SipDirection.Out);
        time.Advance(SipCallTracerOptions.DefaultSweepInterval);

        Assert.Equal(2, counted);
    }

    [Fact]
    public void AForgottenTracersSeriesGoWhenItIsCollected()
    {
        using var harness = new TracerHarness();
        var time = new FakeTimeProvider(TracerHarness.Start);
        WeakReference tracer = CreateAndForget(time, "forgotten");
        Assert.Equal(1, harness.Collect().Value(M.CallsActive.Name, ("node", "forgotten")));
        for (int i = 0; i < 3 && tracer.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(tracer.IsAlive);
        time.Advance(SipCallTracerOptions.DefaultSweepInterval);

        MetricPoints m = harness.Collect();
        Assert.Equal(0, m.Value(M.CallsActive.Name, ("node", "forgotten")));
        Assert.Equal(0, m.Value(M.CallLimit.Name, ("node", "forgotten")));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference CreateAndForget(TimeProvider time, string node)
    {
        var tracer = new SipCallTracer(new SipCallTracerOptions { MetricTags = [new("node", node)] }, time);
        tracer.Record(Sip.Invite($"{node}@x"), SipDirection.In);
        return new WeakReference(tracer);
    }

    [Fact]
    public void ResponsesCountedWhileListenersCollectAddUpExactly()
    {
        const int Threads = 4;
        const int CallsPerThread = 1_000;
        using var harness = new TracerHarness(new SipCallTracerOptions { MetricTags = [new("node", "busy")] });
        int running = Threads;
        int collections = 0;
        var collector = new Thread(() =>
        {
            // Collections flush the tracer's counts while the recording threads add to them.
            while (Volatile.Read(ref running) > 0)
            {
                _ = harness.Collect();
                collections++;
            }
        });
        Thread[] recorders = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < CallsPerThread; i++)
            {
                string callId = $"busy-{t}-{i}@x";
                harness.In(Sip.Invite(callId));
                harness.Out(Sip.Response(180, "Ringing", callId));
            }

            Interlocked.Decrement(ref running);
        }))];
        collector.Start();
        foreach (Thread recorder in recorders)
        {
            recorder.Start();
        }

        foreach (Thread recorder in recorders)
        {
            recorder.Join();
        }

        collector.Join();

        Assert.True(collections > 0);
        Assert.Equal(Threads * CallsPerThread, harness.Collect().Value(M.ResponseCount.Name, ("node", "busy"), (SipAttributes.StatusCode, 180)));
        Assert.Equal(Threads * CallsPerThread, harness.Collect().Value(M.CallsActive.Name, ("node", "busy")));
    }
}
