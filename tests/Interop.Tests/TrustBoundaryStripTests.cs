using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Propagation;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// Kamailio's untrusted socket removes <c>P-OTel-*</c> with <c>remove_hf_re("^P-OTel-")</c>; our
/// <see cref="SipRawPropagator.TryStrip"/> with <see cref="SipTraceHeaderScope.POTel"/> must leave the
/// same header set on the same messages, in the shapes real peers send: canonical, odd case, repeated,
/// folded, compact forms around them. Kamailio's trusted socket is the control: nothing is removed.
/// </summary>
public sealed partial class TrustBoundaryStripTests(ITestOutputHelper output) : InteropTest(output)
{
    private const string TraceParentValue = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    // {0} Request-URI host:port, {1} sender port, {2} unique id. Lines end in CRLF except where a
    // shape says otherwise.
    public static TheoryData<string, string> Messages => new()
    {
        {
            "canonical P-OTel next to X-OTel",
            "OPTIONS sip:receiver@{0} SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP 127.0.0.1:{1};branch=z9hG4bK-{2};rport\r\n" +
            "Max-Forwards: 70\r\n" +
            "From: <sip:sender@127.0.0.1:{1}>;tag={2}\r\n" +
            "To: <sip:receiver@{0}>\r\n" +
            "Call-ID: {2}@127.0.0.1\r\n" +
            "CSeq: 1 OPTIONS\r\n" +
            "P-OTel-Traceparent: " + TraceParentValue + "\r\n" +
            "P-OTel-Tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7\r\n" +
            "X-OTel-traceparent: " + TraceParentValue + "\r\n" +
            "X-OTel-tracestate: congo=t61rcWkgMzE\r\n" +
            "Subject: stays\r\n" +
            "Content-Length: 0\r\n\r\n"
        },
        {
            "odd case and repeated tracestate",
            "OPTIONS sip:receiver@{0} SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP 127.0.0.1:{1};branch=z9hG4bK-{2};rport\r\n" +
            "Max-Forwards: 70\r\n" +
            "From: <sip:sender@127.0.0.1:{1}>;tag={2}\r\n" +
            "To: <sip:receiver@{0}>\r\n" +
            "Call-ID: {2}@127.0.0.1\r\n" +
            "CSeq: 1 OPTIONS\r\n" +
            "p-otel-traceparent: " + TraceParentValue + "\r\n" +
            "P-OTEL-TRACESTATE: congo=t61rcWkgMzE\r\n" +
            "P-OTel-tracestate: rojo=00f067aa0ba902b7\r\n" +
            "Content-Length: 0\r\n\r\n"
        },
        {
            "folded tracestate and folded neighbour",
            "OPTIONS sip:receiver@{0} SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP 127.0.0.1:{1};branch=z9hG4bK-{2};rport\r\n" +
            "Max-Forwards: 70\r\n" +
            "From: <sip:sender@127.0.0.1:{1}>;tag={2}\r\n" +
            "To: <sip:receiver@{0}>\r\n" +
            "Call-ID: {2}@127.0.0.1\r\n" +
            "CSeq: 1 OPTIONS\r\n" +
            "P-OTel-Traceparent: " + TraceParentValue + "\r\n" +
            "P-OTel-Tracestate: congo=t61rcWkgMzE,\r\n rojo=00f067aa0ba902b7\r\n" +
            "Subject: folded\r\n\tneighbour\r\n" +
            "Content-Length: 0\r\n\r\n"
        },
        {
            "compact forms around the trace headers",
            "OPTIONS sip:receiver@{0} SIP/2.0\r\n" +
            "v: SIP/2.0/UDP 127.0.0.1:{1};branch=z9hG4bK-{2};rport\r\n" +
            "Max-Forwards: 70\r\n" +
            "f: <sip:sender@127.0.0.1:{1}>;tag={2}\r\n" +
            "t: <sip:receiver@{0}>\r\n" +
            "i: {2}@127.0.0.1\r\n" +
            "CSeq: 1 OPTIONS\r\n" +
            "P-OTel-Traceparent: " + TraceParentValue + "\r\n" +
            "s: compact subject\r\n" +
            "P-OTel-Tracestate: congo=t61rcWkgMzE\r\n" +
            "l: 0\r\n\r\n"
        },
    };

    [InteropTheory(InteropTool.Kamailio)]
    [MemberData(nameof(Messages))]
    public Task Kamailio_remove_hf_re_and_TryStrip_POTel_leave_the_same_headers(string shape, string template) => RunAsync(async () =>
    {
        Transcript.Note("shape: " + shape);
        KamailioProcess kamailio = await StartKamailioAsync();
        SipUdpEndpoint sender = Endpoint("dotnet-sender");
        SipUdpEndpoint receiver = Endpoint("dotnet-receiver");
        var propagator = new SipRawPropagator();

        // Untrusted socket: Kamailio strips; our TryStrip on the same bytes must agree.
        byte[] original = Build(template, receiver, sender);
        byte[] relayed = await RelayAsync(original, kamailio.Untrusted, sender, receiver);
        byte[] stripped = new byte[original.Length];
        Assert.True(propagator.TryStrip(original, SipTraceHeaderScope.POTel, stripped, out int strippedLength));
        Assert.Equal(HeaderSet(stripped.AsSpan(0, strippedLength).ToArray()), RelayedHeaderSet(relayed, kamailio.Untrusted));
        Assert.False(propagator.TryExtract(relayed, out System.Diagnostics.ActivityContext _) && Ascii(relayed).Contains("P-OTel", StringComparison.OrdinalIgnoreCase));

        // Trusted socket (control): nothing of ours is removed, and the P-OTel context still extracts.
        byte[] control = Build(template, receiver, sender);
        byte[] relayedControl = await RelayAsync(control, kamailio.Trusted, sender, receiver);
        Assert.Equal(HeaderSet(control), RelayedHeaderSet(relayedControl, kamailio.Trusted));
        var pOTel = new SipRawPropagator(new SipPropagationOptions { Style = SipHeaderStyle.POTel, ExtractOtherStyle = false, AcceptFallbackHeaders = false });
        Assert.True(pOTel.TryExtract(relayedControl, out TraceParent extracted));
        Assert.Equal(TraceParentValue, extracted.ToString());

        // Kamailio relays every field it does not own byte for byte: name case, compact forms and
        // folding reach the next hop as the sender wrote them, so our reader must (and does) cope.
        string relayedText = Encoding.Latin1.GetString(relayedControl);
        foreach ((string name, string raw) in SipWire.RawFields(control))
        {
            if (name is "Via" or "v" or "Max-Forwards")
            {
                continue;
            }

            Assert.Contains(raw, relayedText, StringComparison.Ordinal);
        }
    });

    private static string Ascii(byte[] message) => Encoding.ASCII.GetString(message);

    private static byte[] Build(string template, SipUdpEndpoint receiver, SipUdpEndpoint sender) =>
        Encoding.ASCII.GetBytes(string.Format(
            CultureInfo.InvariantCulture,
            template,
            $"127.0.0.1:{receiver.Port}",
            sender.Port,
            Guid.NewGuid().ToString("N")[..16]));

    /// <summary>Sends through Kamailio, answers at the receiver, waits for the answer at the sender.</summary>
    private static async Task<byte[]> RelayAsync(byte[] request, IPEndPoint kamailio, SipUdpEndpoint sender, SipUdpEndpoint receiver)
    {
        await sender.SendAsync(request, kamailio);
        ReceivedDatagram relayed = await receiver.ReceiveAsync("relayed OPTIONS", TimeSpan.FromSeconds(5), d => SipWire.Method(d.Data) == "OPTIONS");
        await receiver.SendAsync(SipWire.Response(relayed.Data, 200, "OK", "receiver", contact: null), SipWire.ViaEndPoint(SipWire.Header(relayed.Data, "Via")!));
        await sender.ReceiveAsync("200 to the OPTIONS", TimeSpan.FromSeconds(5), d => SipWire.IsResponse(d.Data, out int status, out _) && status == 200);
        return relayed.Data;
    }

    /// <summary>Every header as (name as written, unfolded value), Max-Forwards left out (a proxy decrements it).</summary>
    private static string HeaderSet(byte[] message) =>
        string.Join(
            "\n",
            SipWire.AllHeaders(message)
                .Where(h => !h.Name.Equals("Max-Forwards", StringComparison.OrdinalIgnoreCase))
                .Select(h => h.Name + ": " + h.Value));

    /// <summary>The header set of what Kamailio relayed, without the Via it added on top.</summary>
    private static string RelayedHeaderSet(byte[] relayed, IPEndPoint kamailio)
    {
        List<string> headers = [.. HeaderSet(relayed).Split('\n')];
        int top = headers.FindIndex(h => h.StartsWith("Via:", StringComparison.OrdinalIgnoreCase) || h.StartsWith("v:", StringComparison.Ordinal));
        Assert.True(top >= 0, "Kamailio relayed a request without a Via");
        Assert.Contains($"127.0.0.1:{kamailio.Port};branch=", headers[top], StringComparison.Ordinal);
        headers.RemoveAt(top);

        // Kamailio fills in received= and rport= on the sender's Via (RFC 3581); that is its job, not a
        // strip difference.
        return string.Join(
            "\n",
            headers.Select(h => RportValue().Replace(h.Replace(";received=127.0.0.1", string.Empty, StringComparison.Ordinal), ";rport")));
    }

    [GeneratedRegex(";rport=[0-9]+")]
    private static partial Regex RportValue();
}
