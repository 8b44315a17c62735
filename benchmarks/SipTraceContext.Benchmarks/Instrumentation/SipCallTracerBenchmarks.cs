using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SipTraceContext.Instrumentation;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Benchmarks.Instrumentation;

/// <summary>
/// Per-message cost of the call tracer over a full answered call (INVITE, 100, 180, 200, ACK, BYE,
/// 200; about 450 bytes each), fed as a UAS sees it. Every invocation is a new call (its Call-ID
/// digits are rewritten in the seven buffers), and results are per message (OperationsPerInvoke = 7):
/// multiply by 7 for a call.
/// </summary>
/// <remarks>
/// <para>Modes, each in its own process (providers subscribe by name, so modes must not share one):</para>
/// <list type="bullet">
/// <item><description><c>NoListener</c>: no tracer or meter provider at all.</description></item>
/// <item><description><c>NotSampled</c>: a tracer provider with an always-off sampler and a meter provider collecting every instrument.</description></item>
/// <item><description><c>Sampled</c>: an always-on sampler (spans, tags and events recorded, no exporter) and the meter provider.</description></item>
/// </list>
/// <para>
/// The baseline reads the same seven messages with <see cref="SipMessageReader"/> and looks up their
/// Call-ID: the floor any tracer fed raw bytes pays.
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class SipCallTracerBenchmarks
{
    private const int MessagesPerCall = 7;

    private AnsweredCallMessages _call = null!;
    private SipCallTracer _tracer = null!;
    private SipCallTracer _randomIds = null!;
    private SipCallMetrics _floorMetrics = null!;
    private ListeningProviders _providers = null!;
    private SpanContentValues _values = null!;

    /// <summary>Which OpenTelemetry providers listen.</summary>
    public enum Listening
    {
        NoListener,
        NotSampled,
        Sampled,
    }

    [Params(Listening.NoListener, Listening.NotSampled, Listening.Sampled)]
    public Listening Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _providers = new ListeningProviders(Mode);
        _floorMetrics = new SipCallMetrics(capacity: 1000);
        _tracer = new SipCallTracer();
        _randomIds = new SipCallTracer(new SipCallTracerOptions { IdDerivation = SipIdDerivation.Off });
        _call = new AnsweredCallMessages();
        _values = new SpanContentValues(_call.Next());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tracer.Dispose();
        _randomIds.Dispose();
        _floorMetrics.Dispose();
        _providers.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = MessagesPerCall)]
    public int ReadMessagesOnly()
    {
        int length = 0;
        foreach (byte[] message in _call.Next())
        {
            var reader = new SipMessageReader(message);
            if (reader.TryGetHeader(KnownSipHeader.CallId, out ReadOnlySpan<byte> callId))
            {
                length += callId.Length;
            }
        }

        return length;
    }

    /// <summary>The default tracer: setup span ids derived from the messages (a MAC per id).</summary>
    [Benchmark(OperationsPerInvoke = MessagesPerCall)]
    public bool AnsweredCall() => _call.RecordNext(_tracer);

    /// <summary>The same with <c>IdDerivation = Off</c>: random ids, what the tracer cost before derivation.</summary>
    [Benchmark(OperationsPerInvoke = MessagesPerCall)]
    public bool AnsweredCallRandomIds() => _call.RecordNext(_randomIds);

    /// <summary>
    /// What the OpenTelemetry API costs an answered call whatever a tracer does around it: the setup
    /// and teardown spans started and stopped through the tracer's ActivitySource (the host's current
    /// activity put back after each start, as the tracer does), and the tracer's metric recordings for
    /// the call (four responses, active calls up and down, setup latency, teardown duration); no
    /// reading, no call state. No tracer built on the Activity API costs less than the baseline plus this.
    /// </summary>
    [Benchmark(OperationsPerInvoke = MessagesPerCall)]
    public bool OpenTelemetryApiFloor()
    {
        _call.Next();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Activity? host = Activity.Current;
        Activity? setup = SipTelemetry.Source.StartActivity("sip.call.setup", ActivityKind.Server, default(ActivityContext), tags: null, links: null, now);
        Activity.Current = host;
        _floorMetrics.ActiveChanged(1);
        _floorMetrics.Response(100, "INVITE");
        _floorMetrics.Response(180, "INVITE");
        _floorMetrics.Response(200, "INVITE");
        _floorMetrics.SetupLatency(42.0, "udp");
        Activity? teardown = SipTelemetry.Source.StartActivity("sip.call.teardown", ActivityKind.Server, setup?.Context ?? default, tags: null, links: null, now);
        Activity.Current = host;
        _floorMetrics.Response(200, "BYE");
        _floorMetrics.TeardownDuration(1.5, "udp");
        _floorMetrics.ActiveChanged(-1);
        teardown?.Stop();
        setup?.Stop();
        Activity.Current = host;
        return setup is null;
    }

    /// <summary>
    /// <see cref="OpenTelemetryApiFloor"/> plus what the conventions put on a recorded answered call: the
    /// setup span's 14 attributes and its <c>sip.ringing</c> and <c>sip.answered</c> events, the teardown
    /// span's 9 attributes, every string transcoded from the message bytes, as the tracer writes them
    /// (each tag appended once, no lookups). Differs from the floor only when sampled: what no tracer that
    /// records the conventions' span content through the Activity API avoids.
    /// </summary>
    [Benchmark(OperationsPerInvoke = MessagesPerCall)]
    public bool OpenTelemetryApiFloorWithSpanContent()
    {
        byte[][] messages = _call.Next();
        SpanContentValues values = _values;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Activity? host = Activity.Current;
        Activity? setup = SipTelemetry.Source.StartActivity("sip.call.setup", ActivityKind.Server, default(ActivityContext), tags: null, links: null, now);
        Activity.Current = host;
        if (setup is { IsAllDataRequested: true })
        {
            setup.AddTag("sip.call_id", Encoding.Latin1.GetString(values.CallId(messages[0])));
            setup.AddTag("sip.method", "INVITE");
            setup.AddTag("sip.from", Encoding.UTF8.GetString(values.From));
            setup.AddTag("sip.to", Encoding.UTF8.GetString(values.To));
            setup.AddTag("sip.via", Encoding.UTF8.GetString(values.Via));
            setup.AddTag("sip.from_tag", Encoding.UTF8.GetString(values.FromTag));
            AddRequestTags(setup, cseq: 1, values.InviteBranch, values.Host);
        }

        _floorMetrics.ActiveChanged(1);
        _floorMetrics.Response(100, "INVITE");
        _floorMetrics.Response(180, "INVITE");
        if (setup is { IsAllDataRequested: true })
        {
            setup.AddEvent(new ActivityEvent("sip.ringing", now, new ActivityTagsCollection
            {
                { "sip.status_code", SipCallMetrics.BoxedStatus(180) },
                { "sip.elapsed_ms", 29.9 },
                { "sip.to_tag", Encoding.UTF8.GetString(values.ToTag) },
            }));
        }

        _floorMetrics.Response(200, "INVITE");
        _floorMetrics.SetupLatency(42.0, "udp");
        if (setup is { IsAllDataRequested: true })
        {
            object status = SipCallMetrics.BoxedStatus(200);
            object setupTime = 31.4;
            string toTag = Encoding.UTF8.GetString(values.ToTag);
            setup.AddTag("sip.status_code", status);
            setup.AddTag("sip.setup_time_ms", setupTime);
            setup.AddTag("sip.to_tag", toTag);
            setup.AddEvent(new ActivityEvent("sip.answered", now, new ActivityTagsCollection
            {
                { "sip.status_code", status },
                { "sip.setup_time_ms", setupTime },
                { "sip.to_tag", toTag },
            }));
        }

        Activity? teardown = SipTelemetry.Source.StartActivity("sip.call.teardown", ActivityKind.Server, setup?.Context ?? default, tags: null, links: null, now);
        Activity.Current = host;
        if (teardown is { IsAllDataRequested: true })
        {
            teardown.AddTag("sip.call_id", Encoding.Latin1.GetString(values.CallId(messages[5])));
            teardown.AddTag("sip.method", "BYE");
            teardown.AddTag("sip.initiated_by", Encoding.UTF8.GetString(values.From));
            AddRequestTags(teardown, cseq: 2, values.ByeBranch, values.Host);
        }

        _floorMetrics.Response(200, "BYE");
        _floorMetrics.TeardownDuration(1.5, "udp");
        _floorMetrics.ActiveChanged(-1);
        if (teardown is { IsAllDataRequested: true })
        {
            teardown.AddTag("sip.status_code", SipCallMetrics.BoxedStatus(200));
        }

        teardown?.Stop();
        setup?.Stop();
        Activity.Current = host;
        return setup is null;
    }

    // The tags every request span carries, as the tracer's SetCommonRequestTags writes them.
    private static void AddRequestTags(Activity span, long cseq, byte[] branch, byte[] host)
    {
        span.AddTag("sip.cseq", cseq);
        span.AddTag("sip.branch", Encoding.UTF8.GetString(branch));
        span.AddTag("sip.direction", "in");
        span.AddTag("network.transport", "udp");
        span.AddTag("server.address", Encoding.UTF8.GetString(host));
    }
}

/// <summary>Where the span content's values are in the answered call's messages, found once.</summary>
internal sealed class SpanContentValues
{
    public SpanContentValues(byte[][] messages)
    {
        From = Value(messages[0], "From"u8);
        To = Value(messages[0], "To"u8);
        Via = Value(messages[0], "Via"u8);
        FromTag = From[(From.AsSpan().LastIndexOf("tag="u8) + 4)..];
        InviteBranch = Via[(Via.AsSpan().LastIndexOf("branch="u8) + 7)..];
        byte[] byeVia = Value(messages[5], "Via"u8);
        ByeBranch = byeVia[(byeVia.AsSpan().LastIndexOf("branch="u8) + 7)..];
        ToTag = "b1"u8.ToArray();
        Host = "biloxi.example.com"u8.ToArray();
    }

    public byte[] From { get; }

    public byte[] To { get; }

    public byte[] Via { get; }

    public byte[] FromTag { get; }

    public byte[] InviteBranch { get; }

    public byte[] ByeBranch { get; }

    public byte[] ToTag { get; }

    public byte[] Host { get; }

    /// <summary>The Call-ID of a message of the current call (it changes with every call).</summary>
    public ReadOnlySpan<byte> CallId(byte[] message)
    {
        int start = message.AsSpan().IndexOf("Call-ID: "u8) + 9;
        return message.AsSpan(start, message.AsSpan(start).IndexOf((byte)'\r'));
    }

    private static byte[] Value(byte[] message, ReadOnlySpan<byte> name)
    {
        var reader = new SipMessageReader(message);
        return reader.TryGetHeader(name, out SipHeaderField field) ? field.UnfoldedValue().ToArray() : [];
    }
}

/// <summary>The OpenTelemetry providers a <see cref="SipCallTracerBenchmarks.Listening"/> mode runs.</summary>
internal sealed class ListeningProviders : IDisposable
{
    private readonly TracerProvider? _tracerProvider;
    private readonly MeterProvider? _meterProvider;

    public ListeningProviders(SipCallTracerBenchmarks.Listening mode)
    {
        if (mode == SipCallTracerBenchmarks.Listening.NoListener)
        {
            return;
        }

        _tracerProvider = Sdk.CreateTracerProviderBuilder()
            .AddSipInstrumentation()
            .SetSampler(mode == SipCallTracerBenchmarks.Listening.Sampled ? new AlwaysOnSampler() : new AlwaysOffSampler())
            .Build();
        _meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddSipInstrumentation()
            .AddReader(new BaseExportingMetricReader(new DiscardingMetricExporter()))
            .Build();
    }

    public void Dispose()
    {
        _tracerProvider?.Dispose();
        _meterProvider?.Dispose();
    }

    /// <summary>Collects metrics (so instruments are enabled and aggregate) and throws them away.</summary>
    private sealed class DiscardingMetricExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}

/// <summary>
/// A full answered call (INVITE, 100, 180, 200, ACK, BYE, 200; about 450 bytes each) as a UAS sees it,
/// with a new Call-ID for each call.
/// </summary>
internal sealed class AnsweredCallMessages
{
    private const string CallIdTemplate = "0000000000-a84b4c76e66710@pc33.atlanta.example.com";

    private readonly byte[][] _messages;
    private readonly int[] _callIdOffsets;
    private long _call;

    public AnsweredCallMessages()
    {
        _messages =
        [
            Request("INVITE", 1, "z9hG4bKinv", toTag: null),
            Response(100, "Trying", 1, "INVITE", "z9hG4bKinv", toTag: null),
            Response(180, "Ringing", 1, "INVITE", "z9hG4bKinv", "b1"),
            Response(200, "OK", 1, "INVITE", "z9hG4bKinv", "b1"),
            Request("ACK", 1, "z9hG4bKack", "b1"),
            Request("BYE", 2, "z9hG4bKbye", "b1"),
            Response(200, "OK", 2, "BYE", "z9hG4bKbye", "b1"),
        ];
        _callIdOffsets = _messages.Select(m => m.AsSpan().IndexOf(Encoding.ASCII.GetBytes(CallIdTemplate))).ToArray();
    }

    /// <summary>Feeds the next call's seven messages to <paramref name="tracer"/>, received and sent as a UAS does.</summary>
    public bool RecordNext(SipCallTracer tracer)
    {
        byte[][] m = Next();
        tracer.Record(m[0], SipDirection.In);
        tracer.Record(m[1], SipDirection.Out);
        tracer.Record(m[2], SipDirection.Out);
        tracer.Record(m[3], SipDirection.Out);
        tracer.Record(m[4], SipDirection.In);
        tracer.Record(m[5], SipDirection.In);
        return tracer.Record(m[6], SipDirection.Out).IsRemote;
    }

    /// <summary>The seven messages with the next call's Call-ID: ten decimal digits of a counter written into every message.</summary>
    public byte[][] Next()
    {
        long n = ++_call;
        for (int i = 9; i >= 0; i--)
        {
            byte digit = (byte)('0' + (n % 10));
            n /= 10;
            for (int m = 0; m < _messages.Length; m++)
            {
                _messages[m][_callIdOffsets[m] + i] = digit;
            }
        }

        return _messages;
    }

    private static byte[] Request(string method, int cseq, string branch, string? toTag) => Encoding.ASCII.GetBytes(
        $"{method} sip:bob@biloxi.example.com SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch={branch}\r\n" +
        "Max-Forwards: 70\r\n" +
        "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        $"To: <sip:bob@biloxi.example.com>{(toTag is null ? string.Empty : ";tag=" + toTag)}\r\n" +
        $"Call-ID: {CallIdTemplate}\r\n" +
        $"CSeq: {cseq} {method}\r\n" +
        "Contact: <sip:alice@pc33.atlanta.example.com>\r\n" +
        "User-Agent: BenchPhone/1.0\r\n" +
        "Content-Length: 0\r\n\r\n");

    private static byte[] Response(int status, string reason, int cseq, string method, string branch, string? toTag) => Encoding.ASCII.GetBytes(
        $"SIP/2.0 {status} {reason}\r\n" +
        $"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch={branch};received=192.0.2.101\r\n" +
        "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        $"To: <sip:bob@biloxi.example.com>{(toTag is null ? string.Empty : ";tag=" + toTag)}\r\n" +
        $"Call-ID: {CallIdTemplate}\r\n" +
        $"CSeq: {cseq} {method}\r\n" +
        "Contact: <sip:bob@192.0.2.4>\r\n" +
        "Content-Length: 0\r\n\r\n");
}
