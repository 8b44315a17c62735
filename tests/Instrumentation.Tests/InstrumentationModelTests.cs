using System.Diagnostics;
using System.Diagnostics.Metrics;
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
}
