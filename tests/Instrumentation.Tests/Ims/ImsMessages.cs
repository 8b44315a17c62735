using System.Text;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>The SIP messages of a VoLTE registration and call (3GPP TS 24.229 / RFC 3261 shapes).</summary>
internal static class ImsMessages
{
    public const string Impu = "sip:+15551234567@ims.mnc001.mcc001.3gppnetwork.org";
    public const string Callee = "tel:+15557654321";
    public const string AccessNetworkInfo = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100011A2D051";
    public const string Icid = "1234bc9876e";
    public const string ForgedTraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    public const string ForgedTraceId = "0af7651916cd43dd8448eb211c80319c";

    public const string Sdp =
        "v=0\r\n" +
        "o=- 1027 1027 IN IP4 192.0.2.10\r\n" +
        "s=-\r\n" +
        "c=IN IP4 192.0.2.10\r\n" +
        "b=AS:49\r\n" +
        "t=0 0\r\n" +
        "m=audio 49152 RTP/AVP 97 98\r\n" +
        "b=AS:49\r\n" +
        "a=rtpmap:97 AMR-WB/16000/1\r\n" +
        "a=rtpmap:98 telephone-event/16000\r\n";

    public static byte[] Register(string callId) => Message(
        $"REGISTER sip:ims.mnc001.mcc001.3gppnetwork.org SIP/2.0",
        [
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKreg1",
            "Max-Forwards: 70",
            $"From: <{Impu}>;tag=4fa3",
            $"To: <{Impu}>",
            $"Call-ID: {callId}",
            "CSeq: 1 REGISTER",
            "Contact: <sip:192.0.2.10:5060>;expires=600000",
            "P-Preferred-Identity: <sip:+15551234567@ims.mnc001.mcc001.3gppnetwork.org>",
            $"P-Access-Network-Info: {AccessNetworkInfo}",
        ],
        body: null);

    public static byte[] Invite(string callId, params string[] extra) => Message(
        $"INVITE {Callee} SIP/2.0",
        [
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1",
            "Max-Forwards: 70",
            $"From: \"Alice\" <{Impu}>;tag=a1",
            $"To: <{Callee}>",
            $"Call-ID: {callId}",
            "CSeq: 1 INVITE",
            "Contact: <sip:192.0.2.10:5060>",
            "P-Asserted-Identity: \"Alice\" <tel:+15551234567>",
            $"P-Access-Network-Info: {AccessNetworkInfo}",
            $"P-Charging-Vector: icid-value={Icid};icid-generated-at=192.0.2.1;orig-ioi=home1.net",
            .. extra,
        ],
        Sdp);

    public static byte[] Ok(string callId, string method) => Message(
        "SIP/2.0 200 OK",
        [
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKx",
            $"From: <{Impu}>;tag=a1",
            $"To: <{Callee}>;tag=b1",
            $"Call-ID: {callId}",
            $"CSeq: 1 {method}",
        ],
        body: null);

    public static string Text(ReadOnlyMemory<byte> message) => Encoding.UTF8.GetString(message.Span);

    private static byte[] Message(string startLine, string[] headers, string? body)
    {
        var text = new StringBuilder().Append(startLine).Append("\r\n");
        foreach (string header in headers)
        {
            text.Append(header).Append("\r\n");
        }

        if (body is not null)
        {
            text.Append("Content-Type: application/sdp\r\n");
        }

        text.Append("Content-Length: ").Append(body is null ? 0 : Encoding.UTF8.GetByteCount(body)).Append("\r\n\r\n");
        text.Append(body);
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
