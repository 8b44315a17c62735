using System.Buffers;
using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using OpenTelemetry.Context.Propagation;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Benchmarks.Propagation;

/// <summary>
/// Extracting trace context from a realistic ~1 KB INVITE whose trace headers are near the end,
/// against OpenTelemetry's TraceContextPropagator over a dictionary that already holds the headers.
/// </summary>
[MemoryDiagnoser]
public class SipExtractBenchmarks
{
    private const string TraceParentValue = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string TraceStateValue = "congo=t61rcWkgMzE";

    private static readonly Func<Dictionary<string, string>, string, IEnumerable<string>?> s_dictionaryGetter =
        static (headers, name) => headers.TryGetValue(name, out string? value) ? [value] : null;

    private readonly TraceContextPropagator _otel = new();
    private readonly SipRawPropagator _raw = new();
    private readonly SipTextMapPropagator _sip = new();
    private readonly Dictionary<string, string> _dictionary = new(StringComparer.OrdinalIgnoreCase)
    {
        ["traceparent"] = TraceParentValue,
        ["tracestate"] = TraceStateValue,
    };

    private byte[] _invite = [];
    private byte[] _inviteWithoutTraceState = [];
    private SipWireMessage _wire = null!;
    private byte[][] _distinctInvites = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _invite = SipBenchmarkMessages.Invite($"X-OTel-traceparent: {TraceParentValue}", $"X-OTel-tracestate: {TraceStateValue}");
        _inviteWithoutTraceState = SipBenchmarkMessages.Invite($"X-OTel-traceparent: {TraceParentValue}");
        _wire = new SipWireMessage(_invite);

        // More distinct calls than a thread's id cache holds (64), visited in turn: every extraction misses.
        _distinctInvites = [.. Enumerable.Range(1, 1024).Select(i =>
            SipBenchmarkMessages.Invite($"X-OTel-traceparent: 00-{i:x8}16cd43dd8448eb21{i * 7:x8}-b7ad6b71{i:x8}-01"))];
        if (_distinctInvites.Any(m => !_raw.TryExtract(m, out TraceParent _)))
        {
            throw new InvalidOperationException("every distinct INVITE must carry a valid traceparent");
        }
    }

    [Benchmark(Baseline = true)]
    public PropagationContext OTel_TraceContextPropagator_from_dictionary() => _otel.Extract(default, _dictionary, s_dictionaryGetter);

    /// <summary>What users do today: decode the datagram, split it into a header dictionary, then extract.</summary>
    [Benchmark]
    public PropagationContext Naive_decode_split_then_OTel_extract()
    {
        string text = Encoding.UTF8.GetString(_invite);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in text.Split("\r\n"))
        {
            if (line.Length == 0)
            {
                break;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                string name = line[..colon].Trim();
                headers[name.StartsWith("X-OTel-", StringComparison.OrdinalIgnoreCase) ? name[7..] : name] = line[(colon + 1)..].Trim();
            }
        }

        return _otel.Extract(default, headers, s_dictionaryGetter);
    }

    /// <summary>The floor: an exact-case IndexOf of the header line plus hex decoding, nothing else checked.</summary>
    [Benchmark]
    public bool Floor_IndexOf_plus_parse()
    {
        ReadOnlySpan<byte> message = _invite;
        int at = message.IndexOf("\r\nX-OTel-traceparent: "u8);
        return at >= 0 && TraceParent.TryParse(message.Slice(at + 22, TraceParent.Length), out _);
    }

    [Benchmark]
    public bool Raw_extract_to_TraceParent() => _raw.TryExtract(_invite, out TraceParent _);

    [Benchmark]
    public ActivityContext Raw_extract_to_ActivityContext_no_tracestate()
    {
        _raw.TryExtract(_inviteWithoutTraceState, out ActivityContext context);
        return context;
    }

    /// <summary>
    /// A different call every time, so the per-thread id cache never helps: the BCL's two id strings are
    /// made each time (what the first message of every call costs; later messages of the call hit the cache).
    /// </summary>
    [Benchmark]
    public ActivityContext Raw_extract_to_ActivityContext_new_call_each_time()
    {
        byte[] invite = _distinctInvites[_next++ & 1023];
        _raw.TryExtract(invite, out ActivityContext context);
        return context;
    }

    [Benchmark]
    public ActivityContext Raw_extract_to_ActivityContext_with_tracestate()
    {
        _raw.TryExtract(_invite, out ActivityContext context);
        return context;
    }

    [Benchmark]
    public PropagationContext TextMapPropagator_over_wire_carrier() => _sip.Extract(default, _wire, SipHeaderCarrier.Getter);
}

/// <summary>Injecting into a raw INVITE (replacing the trace headers it carries) against OpenTelemetry's inject into a dictionary.</summary>
[MemoryDiagnoser]
public class SipInjectBenchmarks
{
    private readonly TraceContextPropagator _otel = new();
    private readonly SipRawPropagator _raw = new();
    private readonly Dictionary<string, string> _dictionary = new(StringComparer.OrdinalIgnoreCase);
    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private byte[] _invite = [];
    private byte[] _destination = [];
    private PropagationContext _context;
    private ActivityContext _extracted;

    [GlobalSetup]
    public void Setup()
    {
        _invite = SipBenchmarkMessages.Invite("X-OTel-traceparent: 00-11111111111111111111111111111111-2222222222222222-01", "X-OTel-tracestate: old=1");
        _destination = new byte[_invite.Length + _raw.MaxAddedBytes];
        _context = new PropagationContext(TraceParent.Parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").ToActivityContext("congo=t61rcWkgMzE", isRemote: false), default);
        _raw.TryExtract(SipBenchmarkMessages.Invite("X-OTel-traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "X-OTel-tracestate: congo=t61rcWkgMzE"), out _extracted);

        // A refused message would be timed as a fast failure.
        if (Raw_inject_to_span() == 0 || Raw_inject_forwarding_the_extracted_context() == 0)
        {
            throw new InvalidOperationException("the benchmark INVITE must be injectable");
        }
    }

    [Benchmark(Baseline = true)]
    public int OTel_TraceContextPropagator_into_dictionary()
    {
        _otel.Inject(_context, _dictionary, static (d, k, v) => d[k] = v);
        return _dictionary.Count;
    }

    [Benchmark]
    public int Raw_inject_to_span()
    {
        _raw.TryInject(_invite, _context.ActivityContext, _destination, out int written);
        return written;
    }

    /// <summary>
    /// A proxy forwarding: the context it injects is the one it extracted from the same call, so its
    /// tracestate string is known to be normalised already.
    /// </summary>
    [Benchmark]
    public int Raw_inject_forwarding_the_extracted_context()
    {
        _raw.TryInject(_invite, _extracted, _destination, out int written);
        return written;
    }

    [Benchmark]
    public int Raw_inject_to_buffer_writer()
    {
        _writer.ResetWrittenCount();
        _raw.TryInject(_invite, _context.ActivityContext, _writer, out int written);
        return written;
    }
}

/// <summary>
/// A proxy forwarding a message: read the incoming context, then write the message on with its own span's
/// context, against OpenTelemetry doing the same over dictionaries that already hold the headers.
/// </summary>
[MemoryDiagnoser]
public class SipForwardBenchmarks
{
    private static readonly Func<Dictionary<string, string>, string, IEnumerable<string>?> s_dictionaryGetter =
        static (headers, name) => headers.TryGetValue(name, out string? value) ? [value] : null;

    private readonly TraceContextPropagator _otel = new();
    private readonly SipRawPropagator _raw = new();
    private readonly Dictionary<string, string> _received = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _forwarded = new(StringComparer.OrdinalIgnoreCase);
    private byte[] _invite = [];
    private byte[] _destination = [];
    private ActivitySpanId _ownSpanId;

    [GlobalSetup]
    public void Setup()
    {
        const string TraceParentValue = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        const string TraceStateValue = "congo=t61rcWkgMzE";
        _invite = SipBenchmarkMessages.Invite($"X-OTel-traceparent: {TraceParentValue}", $"X-OTel-tracestate: {TraceStateValue}");
        _destination = new byte[_invite.Length + _raw.MaxAddedBytes];
        _received["traceparent"] = TraceParentValue;
        _received["tracestate"] = TraceStateValue;
        _ownSpanId = ActivitySpanId.CreateFromString("53995c3f42cd8ad8");
        if (Raw_extract_then_inject_two_scans() == 0 || Raw_scan_once_then_extract_and_inject() == 0)
        {
            throw new InvalidOperationException("the benchmark INVITE must be injectable");
        }
    }

    [Benchmark(Baseline = true)]
    public int OTel_extract_then_inject_over_dictionaries()
    {
        ActivityContext parent = _otel.Extract(default, _received, s_dictionaryGetter).ActivityContext;
        var own = new ActivityContext(parent.TraceId, _ownSpanId, parent.TraceFlags, parent.TraceState);
        _otel.Inject(new PropagationContext(own, default), _forwarded, static (d, k, v) => d[k] = v);
        return _forwarded.Count;
    }

    [Benchmark]
    public int Raw_extract_then_inject_two_scans()
    {
        _raw.TryExtract(_invite, out ActivityContext parent);
        var own = new ActivityContext(parent.TraceId, _ownSpanId, parent.TraceFlags, parent.TraceState);
        _raw.TryInject(_invite, own, _destination, out int written);
        return written;
    }

    [Benchmark]
    public int Raw_scan_once_then_extract_and_inject()
    {
        SipRawScan scan = _raw.Scan(_invite);
        scan.TryExtract(out ActivityContext parent);
        var own = new ActivityContext(parent.TraceId, _ownSpanId, parent.TraceFlags, parent.TraceState);
        scan.TryInject(own, _destination, out int written);
        return written;
    }
}

/// <summary>The realistic INVITE the propagation benchmarks use.</summary>
internal static class SipBenchmarkMessages
{
    private const string Sdp =
        "v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\ns=-\r\n" +
        "c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n" +
        "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

    public static byte[] Invite(params string[] extraHeaders)
    {
        var text = new StringBuilder()
            .Append("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n")
            .Append("Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n")
            .Append("Via: SIP/2.0/UDP proxy1.atlanta.example.com:5060;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.1\r\n")
            .Append("Max-Forwards: 69\r\n")
            .Append("Record-Route: <sip:proxy1.atlanta.example.com;lr>\r\n")
            .Append("To: Bob <sip:bob@biloxi.example.com>\r\n")
            .Append("From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n")
            .Append("Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n")
            .Append("CSeq: 314159 INVITE\r\n")
            .Append("Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>\r\n")
            .Append("Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE, PRACK\r\n")
            .Append("Supported: replaces, timer, 100rel, path\r\n")
            .Append("User-Agent: Example-Phone/5.2.1\r\n")
            .Append("Session-Expires: 1800;refresher=uac\r\n")
            .Append("Min-SE: 90\r\n")
            .Append("P-Asserted-Identity: \"Alice\" <sip:+15551234567@atlanta.example.com;user=phone>\r\n")
            .Append("Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000\r\n")
            .Append("Content-Type: application/sdp\r\n")
            .Append("Content-Length: ").Append(Sdp.Length).Append("\r\n");
        foreach (string header in extraHeaders)
        {
            text.Append(header).Append("\r\n");
        }

        text.Append("\r\n").Append(Sdp);
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
