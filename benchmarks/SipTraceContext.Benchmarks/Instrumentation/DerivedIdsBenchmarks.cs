using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using SipTraceContext.Instrumentation;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Benchmarks.Instrumentation;

/// <summary>
/// Cost of deriving a call's ids from an initial INVITE (issue 25, docs/zero-touch-call-trees.md), as
/// received by the third proxy of a chain (three Vias, 556 bytes). Paid once per call, not per
/// message. The baseline is the validating read of the same INVITE with its Call-ID looked up.
/// </summary>
[MemoryDiagnoser]
public class DerivedIdsBenchmarks : IDisposable
{
    private readonly DerivedIds _derived = new([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
    private byte[] _invite = [];

    [GlobalSetup]
    public void Setup() => _invite = Encoding.ASCII.GetBytes(
        "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
        "Via: SIP/2.0/UDP p3.example.com:5060;branch=z9hG4bK2d4790.3\r\n" +
        "Via: SIP/2.0/UDP p2.example.com:5060;received=192.0.2.2;branch=z9hG4bK2d4790.2\r\n" +
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;received=192.0.2.1;branch=z9hG4bK776asdhds\r\n" +
        "Max-Forwards: 68\r\n" +
        "To: Bob <sip:bob@biloxi.example.com>\r\n" +
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" +
        "CSeq: 314159 INVITE\r\n" +
        "Contact: <sip:alice@pc33.atlanta.example.com>\r\n" +
        "Content-Type: application/sdp\r\n" +
        "Content-Length: 0\r\n\r\n");

    public void Dispose()
    {
        _derived.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public int ValidatingRead()
    {
        var reader = new SipMessageReader(_invite);
        return SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out _) ? facts.CallId.Length : -1;
    }

    /// <summary>The read and the Via branches alone, as <see cref="ViaBranches.Read"/> walks the Via fields.</summary>
    [Benchmark]
    public int ViaBranchesOnly()
    {
        var reader = new SipMessageReader(_invite);
        _ = SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out _);
        return ViaBranches.Read(in reader).Count + facts.CallId.Length;
    }

    /// <summary>
    /// The read and the one walk a kept setup span pays: the Via branches, the From tag, the correlators
    /// and the User-Agent (<see cref="SipSpanHeaders.Read"/>).
    /// </summary>
    [Benchmark]
    public int SpanHeaders()
    {
        var reader = new SipMessageReader(_invite);
        _ = SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out _);
        _ = reader.TryGetFirstValue(KnownSipHeader.From, out ReadOnlySpan<byte> from);
        SipSpanHeaders headers = SipSpanHeaders.Read(in reader, from, userAgent: true);
        return headers.Vias.Count + headers.FromTag.Length + facts.CallId.Length;
    }

    /// <summary>What an unsampled call needs before the sampler runs: the trace id alone.</summary>
    [Benchmark]
    public ActivityTraceId TraceIdOnly()
    {
        var reader = new SipMessageReader(_invite);
        _ = SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out _);
        _ = _derived.TryTraceId(CorrelatorKind.CallId, facts.CallId, out ActivityTraceId traceId);
        return traceId;
    }

    /// <summary>Read, span headers, trace id, span id and parent: what a sampled call's setup span needs for its ids.</summary>
    [Benchmark]
    public ActivitySpanId AllIds()
    {
        var reader = new SipMessageReader(_invite);
        _ = SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out _);
        _ = reader.TryGetFirstValue(KnownSipHeader.From, out ReadOnlySpan<byte> from);
        SipSpanHeaders headers = SipSpanHeaders.Read(in reader, from, userAgent: true);
        _ = _derived.TryDerive(SipDirection.In, in headers.Vias, facts.CallId, CorrelatorKind.CallId, facts.CallId, out DerivedCallIds ids);
        return ids.ParentSpanId;
    }
}
