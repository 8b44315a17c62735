using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using SipTraceContext.Propagation;

namespace SipTraceContext.Benchmarks.Propagation;

/// <summary>
/// Parsing a traceparent: ours (chars and UTF-8) against the BCL's <see cref="ActivityContext.TryParse(string, string, out ActivityContext)"/>
/// (the baseline) and the seed's regular-expression approach.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public partial class TraceParentParseBenchmarks
{
    private const string Value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static readonly byte[] s_utf8Value = Encoding.ASCII.GetBytes(Value);

    [GeneratedRegex("^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex TraceParentRegex();

    [Benchmark(Baseline = true)]
    public bool ActivityContext_TryParse() => ActivityContext.TryParse(Value, null, out _);

    [Benchmark]
    public bool Regex_match() => TraceParentRegex().IsMatch(Value);

    [Benchmark]
    public bool TraceParent_TryParse_chars() => TraceParent.TryParse(Value.AsSpan(), out _);

    [Benchmark]
    public bool TraceParent_TryParse_utf8() => TraceParent.TryParse(s_utf8Value, out _);

    [Benchmark]
    public ActivityContext TraceParent_TryParse_to_ActivityContext() =>
        TraceParent.TryParse(s_utf8Value, out TraceParent tp) ? tp.ToActivityContext() : default;
}

/// <summary>Formatting a traceparent: ours into chars and UTF-8 against building the string the usual way.</summary>
[MemoryDiagnoser]
public class TraceParentFormatBenchmarks
{
    private readonly char[] _chars = new char[TraceParent.Length];
    private readonly byte[] _bytes = new byte[TraceParent.Length];
    private TraceParent _traceParent;
    private ActivityContext _context;

    [GlobalSetup]
    public void Setup()
    {
        _traceParent = TraceParent.Parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        _context = _traceParent.ToActivityContext();
    }

    /// <summary>What OpenTelemetry's TraceContextPropagator does: concatenate the BCL's id strings.</summary>
    [Benchmark(Baseline = true)]
    public string String_concat_of_ActivityContext() =>
        string.Concat("00-", _context.TraceId.ToHexString(), "-", _context.SpanId.ToHexString(), (_context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "-01" : "-00");

    [Benchmark]
    public bool TraceParent_TryFormat_chars() => _traceParent.TryFormat(_chars, out _);

    [Benchmark]
    public bool TraceParent_TryFormat_utf8() => _traceParent.TryFormat(_bytes, out _);

    [Benchmark]
    public bool TraceParent_FromActivityContext_then_TryFormat_utf8() => TraceParent.FromActivityContext(_context).TryFormat(_bytes, out _);
}
