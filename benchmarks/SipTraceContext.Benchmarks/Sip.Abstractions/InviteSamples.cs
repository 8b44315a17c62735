using System.Text;

namespace SipTraceContext.Benchmarks.SipAbstractions;

/// <summary>
/// A realistic INVITE of about 1 KB as it looks after two proxies: two Vias, Record-Routes, IMS
/// identity headers, an SDP body, and the trace headers near the end of the header section.
/// </summary>
internal static class InviteSamples
{
    public const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    public const string TraceState = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    public const string NewTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    public static byte[] Invite()
    {
        const string Sdp =
            "v=0\r\n" +
            "o=- 3724394400 3724394405 IN IP4 198.51.100.17\r\n" +
            "s=-\r\n" +
            "c=IN IP4 198.51.100.17\r\n" +
            "t=0 0\r\n" +
            "m=audio 20000 RTP/AVP 8 0 101\r\n" +
            "a=rtpmap:8 PCMA/8000\r\n" +
            "a=rtpmap:0 PCMU/8000\r\n" +
            "a=rtpmap:101 telephone-event/8000\r\n" +
            "a=fmtp:101 0-15\r\n" +
            "a=ptime:20\r\n" +
            "a=sendrecv\r\n";
        string message =
            "INVITE sip:+15551230002@sbc.example.net;user=phone SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a3f2c1d9e8b7;rport\r\n" +
            "Via: SIP/2.0/TCP 198.51.100.17:5060;received=198.51.100.17;branch=z9hG4bK-d8754z-1f2e3d4c\r\n" +
            "Record-Route: <sip:192.0.2.10;lr;ftag=as1b2c3d4e>\r\n" +
            "Max-Forwards: 68\r\n" +
            "From: \"Alice\" <sip:+15551230001@example.net;user=phone>;tag=as1b2c3d4e\r\n" +
            "To: <sip:+15551230002@example.net;user=phone>\r\n" +
            "Call-ID: 3c26700b2d0e-7f4a-4d5e-9b1c-2a7f8e6d5c4b@198.51.100.17\r\n" +
            "CSeq: 102 INVITE\r\n" +
            "Contact: <sip:+15551230001@198.51.100.17:5060;transport=tcp>\r\n" +
            "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, PRACK, UPDATE\r\n" +
            "Supported: replaces, timer, 100rel\r\n" +
            "User-Agent: ExampleSBC/4.2.1\r\n" +
            "P-Asserted-Identity: <sip:+15551230001@example.net;user=phone>\r\n" +
            "P-Charging-Vector: icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;orig-ioi=example.net\r\n" +
            "Session-Expires: 1800;refresher=uac\r\n" +
            "Content-Type: application/sdp\r\n" +
            $"X-OTel-traceparent: {TraceParent}\r\n" +
            $"X-OTel-tracestate: {TraceState}\r\n" +
            $"Content-Length: {Sdp.Length}\r\n" +
            "\r\n" +
            Sdp;
        return Encoding.UTF8.GetBytes(message);
    }
}
