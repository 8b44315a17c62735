using BenchmarkDotNet.Attributes;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Benchmarks.Instrumentation;

/// <summary>
/// What the once-a-second sweep costs per tracked call when the table is full of answered calls that
/// linger for Timer B (as a busy tracer's table is): a table of 1,000 calls, whose state stays in the
/// processor's caches, against one of 100,000 (the default), whose state does not. The clock stands
/// still, so no call expires and every sweep walks the whole table; results are per call.
/// </summary>
[MemoryDiagnoser]
public class SipCallTracerSweepBenchmarks
{
    private const int SmallTable = 1_000;
    private const int LargeTable = SipCallTracerOptions.DefaultMaxTrackedCalls;

    private SipCallTracer _small = null!;
    private SipCallTracer _large = null!;

    [GlobalSetup]
    public void Setup()
    {
        _small = Filled(SmallTable);
        _large = Filled(LargeTable);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _small.Dispose();
        _large.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = SmallTable)]
    public void Sweep_1_000_lingering_calls() => _small.Sweep();

    [Benchmark(OperationsPerInvoke = LargeTable)]
    public void Sweep_100_000_lingering_calls() => _large.Sweep();

    private static SipCallTracer Filled(int calls)
    {
        // The timer's own sweeps are kept out of the way; the benchmark calls Sweep itself.
        var tracer = new SipCallTracer(new SipCallTracerOptions { MaxTrackedCalls = calls, SweepInterval = TimeSpan.FromHours(1) }, new FrozenTime());
        var call = new AnsweredCallMessages();
        for (int i = 0; i < calls; i++)
        {
            call.RecordNext(tracer);
        }

        return tracer;
    }

    /// <summary>A clock that never moves: the calls linger for as long as the benchmark runs.</summary>
    private sealed class FrozenTime : TimeProvider
    {
        private readonly DateTimeOffset _now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() => 0;
    }
}
