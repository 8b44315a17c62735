using System.Diagnostics;
using SipTraceContext.Conventions;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;
using O = SipTraceContext.Conventions.OtelAttributes;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>Bounded memory (capacity, age, a million calls that never end), threads, and disposal.</summary>
public sealed class BoundsTests
{
    [Fact]
    public void Past_capacity_the_oldest_calls_are_evicted_counted_and_their_spans_ended()
    {
        using var h = new TracerHarness(new SipCallTracerOptions { MaxTrackedCalls = 3 });
        for (int i = 0; i < 5; i++)
        {
            h.In(Sip.Invite($"call-{i}@x"));
            h.Advance(1_000);
        }

        Assert.Equal(3, h.Tracer.TrackedCalls);
        Assert.Equal(2, h.Spans.Count);
        Assert.Equal(["call-0@x", "call-1@x"], h.Spans.Select(s => (string)s.GetTagItem(A.CallId)!));
        Assert.All(h.Spans, s => Assert.Equal("capacity", s.GetTagItem(A.EvictionReason)));
        Assert.Equal(TimeSpan.FromSeconds(3), h.Spans[0].Duration); // evicted when call-3 arrived

        MetricPoints m = h.Collect();
        Assert.Equal(2, m.Value(M.CallEvictions.Name, (A.EvictionReason, "capacity")));
        Assert.Equal(3, m.Value(M.CallsActive.Name));
        Assert.Equal(3, m.Value(M.CallLimit.Name));

        // Evicted calls are forgotten: their late answer is only counted.
        h.Out(Sip.Response(200, "OK", "call-0@x"));
        Assert.Equal(0, h.Collect().HistogramCount(M.CallSetupLatency.Name));
    }

    [Fact]
    public void Calls_older_than_the_maximum_age_are_evicted_and_ended_calls_only_linger_for_a_timer_b()
    {
        using var h = new TracerHarness(new SipCallTracerOptions { MaxCallAge = TimeSpan.FromMinutes(10) });
        h.In(Sip.Invite("long@x"));
        h.Out(Sip.Response(200, "OK", "long@x"));
        h.In(Sip.Invite("failed@x"));
        h.Out(Sip.Response(486, "Busy Here", "failed@x"));
        Assert.Equal(2, h.Tracer.TrackedCalls);

        h.Advance(33_000);
        Assert.Equal(1, h.Tracer.TrackedCalls); // the failed call lingered one Timer B, then went uncounted
        h.Advance(TimeSpan.FromMinutes(10).TotalMilliseconds);
        Assert.Equal(0, h.Tracer.TrackedCalls);

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.CallEvictions.Name, (A.EvictionReason, "max_age")));
        Assert.Equal(1, m.Value(M.CallEvictions.Name));
        Assert.Equal(0, m.Value(M.CallsActive.Name));

        // The BYE of the evicted call arrives after all: a parentless teardown, no crash.
        h.In(Sip.Bye("long@x"));
        h.Out(Sip.Response(200, "OK", "long@x", cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));
        Assert.Equal(default, h.Single(SipSpanNames.CallTeardown).ParentSpanId);
    }

    [Fact]
    public void Dispose_ends_open_spans_and_later_records_are_ignored()
    {
        var h = new TracerHarness();
        h.In(Sip.Invite("open@x"));
        h.Advance(250);
        h.Tracer.Dispose();
        h.Tracer.Dispose();

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(TimeSpan.FromMilliseconds(250), setup.Duration);
        Assert.Equal(0, h.Tracer.TrackedCalls);
        Assert.Equal(default, h.In(Sip.Invite("late@x")));
        Assert.Single(h.Spans);
        h.Dispose();
    }

    [Fact]
    public void A_million_calls_that_never_end_keep_tracked_calls_and_memory_bounded()
    {
        const int Capacity = 10_000;
        const int Calls = 1_000_000;
        using var h = new TracerHarness(new SipCallTracerOptions { MaxTrackedCalls = Capacity }, traces: false);

        // One INVITE buffer, its Call-ID digits rewritten per call: the test itself allocates nothing per call.
        byte[] invite = Sip.Invite("call-0000000@load.example.com");
        int digits = IndexOf(invite, "call-"u8) + "call-".Length;
        void Feed(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                int n = i;
                for (int d = 6; d >= 0; d--)
                {
                    invite[digits + d] = (byte)('0' + (n % 10));
                    n /= 10;
                }

                h.Tracer.Record(invite, SipDirection.In);
            }
        }

        Feed(0, 2 * Capacity); // reach the steady state: full, evicting one per new call
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        Feed(2 * Capacity, Calls);
        clock.Stop();
        long after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(Capacity, h.Tracer.TrackedCalls);
        Assert.True(after - before < 4 * 1024 * 1024, $"managed memory grew by {after - before:N0} bytes over {Calls - (2 * Capacity):N0} calls");
        MetricPoints m = h.Collect();
        Assert.Equal(Calls - Capacity, m.Value(M.CallEvictions.Name, (A.EvictionReason, "capacity")));
        Assert.Equal(Capacity, m.Value(M.CallsActive.Name));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Once_a_flood_of_unanswered_invites_has_ended_the_call_table_gives_its_memory_back()
    {
        const int Capacity = 20_000;
        using var h = new TracerHarness(new SipCallTracerOptions { MaxTrackedCalls = Capacity }, traces: false);
        byte[] invite = Sip.Invite("call-0000000@flood.example.com");
        int digits = IndexOf(invite, "call-"u8) + "call-".Length;

        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 5 * Capacity; i++)
        {
            int n = i;
            for (int d = 6; d >= 0; d--)
            {
                invite[digits + d] = (byte)('0' + (n % 10));
                n /= 10;
            }

            h.Tracer.Record(invite, SipDirection.In);
        }

        long full = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(Capacity, h.Tracer.TrackedCalls);

        // Timer B ends every INVITE; a Timer B later the ended calls are gone.
        h.Advance(SipCallTracerOptions.DefaultTimerB.TotalMilliseconds + 1_000);
        h.Tracer.Sweep();
        h.Advance(SipCallTracerOptions.DefaultTimerB.TotalMilliseconds + 1_000);
        h.Tracer.Sweep();
        long after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(0, h.Tracer.TrackedCalls);
        // Without the trim the shards' dictionaries kept arrays for their busiest moment: about a seventh of the full table.
        Assert.True(after - before < (full - before) / 10, $"full: {full - before:N0} bytes over the start, emptied: {after - before:N0}");
    }

    [Fact]
    public void Thousands_of_interleaved_calls_on_several_threads_each_get_exactly_their_spans_and_metrics_add_up()
    {
        const int Threads = 4;
        const int CallsPerThread = 2_000;
        const int InFlight = 40;
        using var h = new TracerHarness();

        // Each thread keeps InFlight calls going at once and moves them one message at a time, so that
        // the messages of calls on all threads interleave in the shared table.
        Thread[] threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var steps = new int[CallsPerThread];
            int next = Math.Min(InFlight, CallsPerThread);
            var active = new List<int>(Enumerable.Range(0, next));
            while (active.Count > 0)
            {
                for (int a = active.Count - 1; a >= 0; a--)
                {
                    int call = active[a];
                    if (!Step(h.Tracer, $"t{t}-c{call}@load", steps[call]++, busy: call % 5 == 0))
                    {
                        active.RemoveAt(a);
                        if (next < CallsPerThread)
                        {
                            active.Add(next++);
                        }
                    }
                }
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        const int Total = Threads * CallsPerThread;
        const int Busy = Total / 5;
        Assert.Equal((Total * 2) - Busy, h.Spans.Count);
        foreach (IGrouping<object?, Activity> call in h.Spans.GroupBy(s => s.GetTagItem(A.CallId)))
        {
            Activity setup = Assert.Single(call, s => s.OperationName == SipSpanNames.CallSetup);
            Activity[] teardowns = call.Where(s => s.OperationName == SipSpanNames.CallTeardown).ToArray();
            if (setup.GetTagItem(O.ErrorType) is not null)
            {
                Assert.Equal("486", setup.GetTagItem(O.ErrorType));
                Assert.Empty(teardowns);
            }
            else
            {
                Activity teardown = Assert.Single(teardowns);
                Assert.Equal(setup.SpanId, teardown.ParentSpanId);
                Assert.Equal(setup.TraceId, teardown.TraceId);
            }
        }

        Assert.Equal(Total, h.Spans.Select(s => s.GetTagItem(A.CallId)).Distinct().Count());
        MetricPoints m = h.Collect();
        Assert.Equal(Total - Busy, m.HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(Total - Busy, m.HistogramCount(M.CallTeardownDuration.Name));
        Assert.Equal(Busy, m.Value(M.CallFailed.Name, (O.ErrorType, "486")));
        Assert.Equal(Total, m.Value(M.ResponseCount.Name, (A.StatusCode, 180)));
        Assert.Equal(Total - Busy, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "INVITE")));
        Assert.Equal(Total - Busy, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "BYE")));
        Assert.Equal(Total + Total + (Total - Busy), m.Value(M.ResponseCount.Name)); // 180s, INVITE finals, BYE 200s
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(0, m.Value(M.MessageRetransmissions.Name));
        Assert.Equal(0, m.Value(M.CallEvictions.Name));
    }

    [Fact]
    public void A_tracer_the_host_forgot_to_dispose_is_collected_and_its_timer_stops()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TracerHarness.Start);
        WeakReference tracer = CreateAndForget(time);
        for (int i = 0; i < 3 && tracer.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(tracer.IsAlive);

        // The next tick finds the tracer gone and disposes the timer instead of sweeping.
        time.Advance(TimeSpan.FromSeconds(5));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference CreateAndForget(TimeProvider time)
    {
        var tracer = new SipCallTracer(new SipCallTracerOptions(), time);
        tracer.Record(Sip.Invite("forgotten@x"), SipDirection.In);
        return new WeakReference(tracer);
    }

    /// <summary>Feeds message <paramref name="step"/> of a call; false once the call is complete.</summary>
    private static bool Step(SipCallTracer tracer, string callId, int step, bool busy)
    {
        switch (step)
        {
            case 0: tracer.Record(Sip.Invite(callId), SipDirection.In); return true;
            case 1: tracer.Record(Sip.Response(180, "Ringing", callId), SipDirection.Out); return true;
            case 2 when busy: tracer.Record(Sip.Response(486, "Busy Here", callId), SipDirection.Out); return false;
            case 2: tracer.Record(Sip.Response(200, "OK", callId), SipDirection.Out); return true;
            case 3: tracer.Record(Sip.Ack(callId), SipDirection.In); return true;
            case 4: tracer.Record(Sip.Bye(callId, fromCallee: true), SipDirection.Out); return true;
            default: tracer.Record(Sip.Response(200, "OK", callId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"), SipDirection.In); return false;
        }
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
