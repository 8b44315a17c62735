using BenchmarkDotNet.Attributes;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Benchmarks.Instrumentation;

/// <summary>
/// What the size of the call table costs the tracer per message: the answered call of
/// <see cref="SipCallTracerBenchmarks"/> in a table of 1,000 calls against one of 100,000 (the
/// default), with the providers of each <see cref="SipCallTracerBenchmarks.Listening"/> mode. Every
/// call is new and the table is full, so each INVITE evicts the oldest call and reuses its state: in the
/// large table that state has long left the processor's caches, and what a call keeps (its spans'
/// contexts) lives long enough to be promoted by the garbage collector before it dies.
/// </summary>
[MemoryDiagnoser]
public class SipCallTracerCapacityBenchmarks
{
    private const int MessagesPerCall = 7;

    private AnsweredCallMessages _call = null!;
    private SipCallTracer _small = null!;
    private SipCallTracer _large = null!;
    private ListeningProviders _providers = null!;

    [Params(SipCallTracerBenchmarks.Listening.NoListener, SipCallTracerBenchmarks.Listening.NotSampled, SipCallTracerBenchmarks.Listening.Sampled)]
    public SipCallTracerBenchmarks.Listening Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _providers = new ListeningProviders(Mode);
        _small = new SipCallTracer(new SipCallTracerOptions { MaxTrackedCalls = 1_000 });
        _large = new SipCallTracer(new SipCallTracerOptions { MaxTrackedCalls = SipCallTracerOptions.DefaultMaxTrackedCalls });
        _call = new AnsweredCallMessages();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _small.Dispose();
        _large.Dispose();
        _providers.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = MessagesPerCall)]
    public bool Table_of_1_000_calls() => _call.RecordNext(_small);

    [Benchmark(OperationsPerInvoke = MessagesPerCall)]
    public bool Table_of_100_000_calls() => _call.RecordNext(_large);
}
