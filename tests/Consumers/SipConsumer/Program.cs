// A consumer of the packed SipTraceContext packages, as an application uses them: the real OpenTelemetry
// SDK and exporters, the global propagator, the raw propagator, the call tracer and the HEP listener.
// Every check that does not hold prints FAIL and makes the exit code 1; an exception in a scenario
// (a MissingMethodException from a mismatched dependency, say) fails that scenario and the others still run.
// The code stays within what net462 offers, for the matrix row that compiles it there.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SipTraceContext.Capture;
using SipTraceContext.Instrumentation;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

internal static class Program
{
    private const string ParentTraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string ParentTraceParent = "00-" + ParentTraceId + "-b7ad6b7169203331-01";
    private const string SetupSpan = "sip.call.setup";
    private const string TeardownSpan = "sip.call.teardown";

    private static readonly ActivitySource AppSource = new ActivitySource("SipConsumer");
    private static readonly List<Activity> Spans = new List<Activity>();
    private static readonly List<Metric> Metrics = new List<Metric>();
    private static int _failures;

    private static int Main()
    {
        Console.WriteLine($"SipConsumer on {Runtime()}, "
            + $"OpenTelemetry {Version(typeof(Sdk))}, OpenTelemetry.Api {Version(typeof(Baggage))}, "
            + $"DiagnosticSource {Version(typeof(Activity))} ({typeof(Activity).Assembly.Location})");

        using TracerProvider tracerProvider = Sdk.CreateTracerProviderBuilder()
            .SetSampler(new AlwaysOnSampler())
            .AddSource(AppSource.Name)
            .AddSipInstrumentation()
            .AddInMemoryExporter(Spans)
            .AddConsoleExporter()
            .Build()!;
        using MeterProvider meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddSipInstrumentation()
            .AddInMemoryExporter(Metrics)
            .Build()!;

        Run("global propagator", GlobalPropagator);
        Run("raw propagator", RawPropagator);
        Run("call tracer", () => CallTracer(tracerProvider, meterProvider));
        Run("HEP listener", () => HepListener(tracerProvider).GetAwaiter().GetResult());

        Console.WriteLine(_failures == 0 ? "consumer OK" : $"consumer FAILED: {_failures} check(s)");
        return _failures == 0 ? 0 : 1;
    }

    // RuntimeInformation is not part of net462 without a package of its own.
    private static string Runtime() =>
#if NETFRAMEWORK
        ".NET Framework " + Environment.Version;
#else
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
#endif

    private static string Version(Type type)
    {
        string? version = type.Assembly.GetCustomAttributes(typeof(AssemblyInformationalVersionAttribute), false)
            .OfType<AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        int metadata = version?.IndexOf('+') ?? -1;
        return version is null ? "?" : metadata < 0 ? version : version.Substring(0, metadata);
    }

    private static void Run(string name, Action scenario)
    {
        int before = _failures;
        try
        {
            scenario();
        }
        catch (Exception e)
        {
            Fail($"{name} threw {e}");
        }

        Console.WriteLine(_failures == before ? $"PASS {name}" : $"FAIL {name}");
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            Fail(what);
        }
    }

    private static void Fail(string what)
    {
        _failures++;
        Console.WriteLine($"FAIL: {what}");
    }

    /// <summary>SipPropagators.CreateDefault as the global propagator: W3C for HTTP carriers, SIP headers for SIP ones.</summary>
    private static void GlobalPropagator()
    {
        Sdk.SetDefaultTextMapPropagator(SipPropagators.CreateDefault());
        TextMapPropagator propagator = Propagators.DefaultTextMapPropagator;

        using Activity? activity = AppSource.StartActivity("http-request", ActivityKind.Client);
        Check(activity is not null, "the SDK samples the app's activity");
        if (activity is null)
        {
            return;
        }

        Baggage baggage = Baggage.Create(new Dictionary<string, string> { ["tenant"] = "acme" });
        var http = new Dictionary<string, string>();
        propagator.Inject(new PropagationContext(activity.Context, baggage), http, (carrier, key, value) => carrier[key] = value);
        // The flags as the activity has them: with OpenTelemetry 1.21 (DiagnosticSource 11) a new trace also
        // carries W3C Trace Context level 2's random flag (0x02).
        string expected = $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{(byte)activity.ActivityTraceFlags:x2}";
        Check(http.TryGetValue("traceparent", out string? traceparent) && traceparent == expected, $"HTTP inject wrote traceparent {expected}, got {traceparent}");
        Check(http.TryGetValue("baggage", out string? baggageHeader) && baggageHeader == "tenant=acme", $"HTTP inject wrote baggage, got {baggageHeader}");

        PropagationContext extracted = propagator.Extract(default, http, (carrier, key) =>
            carrier.TryGetValue(key, out string? value) ? new[] { value } : Array.Empty<string>());
        Check(extracted.ActivityContext.TraceId == activity.TraceId && extracted.ActivityContext.SpanId == activity.SpanId, "HTTP extract returns the injected context");
        Check(extracted.Baggage.GetBaggage("tenant") == "acme", "HTTP extract returns the baggage");

        // A SIP carrier through the same global propagator.
        ISipHeaderCarrier sip = new SipWireMessage(Invite("global@consumer", ParentTraceParent, body: string.Empty));
        PropagationContext fromSip = propagator.Extract(default, sip, SipHeaderCarrier.Getter);
        Check(fromSip.ActivityContext.TraceId.ToHexString() == ParentTraceId, $"SIP extract reads X-OTel-traceparent, got {fromSip.ActivityContext.TraceId}");
        propagator.Inject(new PropagationContext(activity.Context, default), sip, SipHeaderCarrier.Setter);
        Check(sip.TryGetValue("X-OTel-traceparent", out string? injected) && injected == expected, $"SIP inject replaced X-OTel-traceparent, got {injected}");
    }

    /// <summary>SipRawPropagator on the bytes of an INVITE with an SDP body.</summary>
    private static void RawPropagator()
    {
        var raw = new SipRawPropagator();
        byte[] invite = Invite("raw@consumer", ParentTraceParent, body: "v=0\r\no=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n");

        Check(raw.TryExtract(invite, out TraceParent parsed) && parsed.ToActivityContext().TraceId.ToHexString() == ParentTraceId, "raw extract to TraceParent");
        Check(raw.TryExtract(invite, out ActivityContext parent) && parent.TraceId.ToHexString() == ParentTraceId && parent.IsRemote, "raw extract to ActivityContext");

        var next = new ActivityContext(parent.TraceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        byte[] buffer = new byte[invite.Length + raw.MaxAddedBytes];
        bool injected = raw.TryInject(invite, next, buffer, out int written);
        Check(injected && written > 0, "raw inject into an INVITE whose Content-Length matches its body");
        if (!injected)
        {
            return;
        }

        byte[] forwarded = buffer.Take(written).ToArray();
        Check(raw.TryExtract(forwarded, out ActivityContext again) && again.SpanId == next.SpanId && again.TraceId == next.TraceId, "the forwarded INVITE carries the new context");
        Check(Encoding.UTF8.GetString(forwarded).EndsWith("m=audio 49170 RTP/AVP 0\r\n", StringComparison.Ordinal), "inject keeps the body");
        Check(new SipWireMessage(forwarded).Length == written, "the forwarded INVITE is still one valid message");
    }

    /// <summary>SipCallTracer over an answered call: INVITE, 180, 200, ACK, BYE, 200.</summary>
    private static void CallTracer(TracerProvider tracerProvider, MeterProvider meterProvider)
    {
        const string callId = "tracer@consumer";
        using (var tracer = new SipCallTracer(new SipCallTracerOptions()))
        {
            ActivityContext setup = tracer.Record(Invite(callId, ParentTraceParent, body: string.Empty), SipDirection.In);
            Check(setup.TraceId.ToHexString() == ParentTraceId, $"the setup span continues the INVITE's trace, got {setup.TraceId}");
            tracer.Record(Response(180, "Ringing", callId, 1, "INVITE", "z9hG4bKinv1"), SipDirection.Out);
            tracer.Record(Response(200, "OK", callId, 1, "INVITE", "z9hG4bKinv1"), SipDirection.Out);
            tracer.Record(Request("ACK", callId, 1, "z9hG4bKack1", toTag: "b1", extra: null, body: string.Empty), SipDirection.In);
            tracer.Record(Request("BYE", callId, 2, "z9hG4bKbye1", toTag: "b1", extra: null, body: string.Empty), SipDirection.In);
            tracer.Record(Response(200, "OK", callId, 2, "BYE", "z9hG4bKbye1"), SipDirection.Out);
        }

        tracerProvider.ForceFlush();
        Activity? setupSpan = FindSpan(SetupSpan, callId);
        Activity? teardownSpan = FindSpan(TeardownSpan, callId);
        Check(setupSpan is not null, "a sip.call.setup span was exported");
        Check(teardownSpan is not null, "a sip.call.teardown span was exported");
        Check(setupSpan is not null && Equals(setupSpan.GetTagItem("sip.status_code"), 200), "the setup span ends with the 200");
        Check(setupSpan is not null && teardownSpan is not null && teardownSpan.ParentSpanId == setupSpan.SpanId, "the teardown span is the setup span's child");

        Metrics.Clear();
        meterProvider.ForceFlush();
        Check(HistogramCount("sip.call.setup_latency") >= 1, "sip.call.setup_latency recorded the call");
        Check(HistogramCount("sip.call.teardown.duration") >= 1, "sip.call.teardown.duration recorded the BYE");
    }

    /// <summary>HepCaptureListener on 127.0.0.1: one HEPv3 packet with an INVITE becomes a setup span.</summary>
    private static async Task HepListener(TracerProvider tracerProvider)
    {
        const string callId = "hep@consumer";
        var node = new IPEndPoint(IPAddress.Loopback, 5060);
        var options = new HepCaptureOptions { Address = "127.0.0.1", Port = 0 };
        options.NodeEndPoints.Add(node.ToString());
        using var listener = new HepCaptureListener(options);
        await listener.StartAsync(CancellationToken.None).ConfigureAwait(false);
        IPEndPoint? endPoint = listener.LocalEndPoint;
        Check(endPoint is not null && IPAddress.IsLoopback(endPoint.Address), "the listener is bound to 127.0.0.1");
        if (endPoint is null)
        {
            return;
        }

        byte[] packet = Hep3(Invite(callId, ParentTraceParent, body: string.Empty), new IPEndPoint(IPAddress.Loopback, 5070), node, DateTimeOffset.UtcNow, agent: 2001);
        using (var agent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            agent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            agent.SendTo(packet, new IPEndPoint(IPAddress.Loopback, endPoint.Port));
        }

        var clock = Stopwatch.StartNew();
        while (listener.PacketsRecorded + listener.PacketsDropped < 1 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        Check(listener.PacketsReceived == 1 && listener.PacketsRecorded == 1, $"the listener received and recorded the packet (received {listener.PacketsReceived}, recorded {listener.PacketsRecorded}, dropped {listener.PacketsDropped})");

        // Stopping ends the open setup span (the INVITE got no final response).
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await listener.StopAsync(limit.Token).ConfigureAwait(false);
        }

        tracerProvider.ForceFlush();
        Activity? span = FindSpan(SetupSpan, callId);
        Check(span is not null, "the HEP packet's INVITE became a sip.call.setup span");
        Check(span is not null && span.TraceId.ToHexString() == ParentTraceId, "the captured INVITE's trace context is the span's parent");
        Check(span is not null && Equals(span.GetTagItem("sip.capture.agent_id"), 2001L), "the span names the capture agent");
    }

    private static Activity? FindSpan(string name, string callId) =>
        Spans.FirstOrDefault(s => s.OperationName == name && Equals(s.GetTagItem("sip.call_id"), callId));

    private static long HistogramCount(string name)
    {
        long count = 0;
        foreach (Metric metric in Metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                count += point.GetHistogramCount();
            }
        }

        return count;
    }

    private static byte[] Invite(string callId, string traceParent, string body) =>
        Request("INVITE", callId, 1, "z9hG4bKinv1", toTag: null, extra: "X-OTel-traceparent: " + traceParent, body: body);

    private static byte[] Request(string method, string callId, int cseq, string branch, string? toTag, string? extra, string body)
    {
        var text = new StringBuilder()
            .Append(method).Append(" sip:bob@biloxi.example.com SIP/2.0\r\n")
            .Append("Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=").Append(branch).Append("\r\n")
            .Append("Max-Forwards: 70\r\n")
            .Append("From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n")
            .Append("To: <sip:bob@biloxi.example.com>").Append(toTag is null ? string.Empty : ";tag=" + toTag).Append("\r\n")
            .Append("Call-ID: ").Append(callId).Append("\r\n")
            .Append("CSeq: ").Append(cseq).Append(' ').Append(method).Append("\r\n")
            .Append("Contact: <sip:alice@pc33.atlanta.example.com>\r\n");
        if (extra is not null)
        {
            text.Append(extra).Append("\r\n");
        }

        if (body.Length > 0)
        {
            text.Append("Content-Type: application/sdp\r\n");
        }

        // Content-Length counts the body's bytes exactly: raw inject refuses a message whose body disagrees.
        text.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n\r\n").Append(body);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] Response(int status, string reason, string callId, int cseq, string method, string branch) =>
        Encoding.UTF8.GetBytes(new StringBuilder()
            .Append("SIP/2.0 ").Append(status).Append(' ').Append(reason).Append("\r\n")
            .Append("Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=").Append(branch).Append("\r\n")
            .Append("From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n")
            .Append("To: <sip:bob@biloxi.example.com>;tag=b1\r\n")
            .Append("Call-ID: ").Append(callId).Append("\r\n")
            .Append("CSeq: ").Append(cseq).Append(' ').Append(method).Append("\r\n")
            .Append("Content-Length: 0\r\n\r\n")
            .ToString());

    /// <summary>A HEPv3 packet as a capture agent sends one (chunk layout as in tests/Capture.Tests/HepBuilder.cs).</summary>
    private static byte[] Hep3(byte[] sip, IPEndPoint source, IPEndPoint destination, DateTimeOffset time, uint agent)
    {
        long micros = (time.UtcTicks - new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks) / (TimeSpan.TicksPerMillisecond / 1000);
        var chunks = new List<byte[]>
        {
            Chunk(1, new byte[] { 2 }),                               // IPv4
            Chunk(2, new byte[] { 17 }),                              // UDP
            Chunk(3, source.Address.GetAddressBytes()),
            Chunk(4, destination.Address.GetAddressBytes()),
            Chunk(7, U16((ushort)source.Port)),
            Chunk(8, U16((ushort)destination.Port)),
            Chunk(9, U32((uint)(micros / 1_000_000))),
            Chunk(10, U32((uint)(micros % 1_000_000))),
            Chunk(11, new byte[] { 1 }),                              // SIP
            Chunk(12, U32(agent)),
            Chunk(15, sip),
        };
        int length = 6 + chunks.Sum(c => c.Length);
        var packet = new byte[length];
        Encoding.ASCII.GetBytes("HEP3").CopyTo(packet, 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)length);
        int offset = 6;
        foreach (byte[] chunk in chunks)
        {
            chunk.CopyTo(packet, offset);
            offset += chunk.Length;
        }

        return packet;
    }

    private static byte[] Chunk(ushort type, byte[] value)
    {
        var chunk = new byte[6 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(0), 0);    // generic vendor
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(2), type);
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(4), (ushort)chunk.Length);
        value.CopyTo(chunk, 6);
        return chunk;
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
