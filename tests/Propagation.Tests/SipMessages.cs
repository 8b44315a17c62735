using System.Text;

namespace SipTraceContext.Propagation.Tests;

/// <summary>Hand-written SIP messages for the propagation tests.</summary>
internal static class SipMessages
{
    public const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    public const string OtherTraceParent = "00-11111111111111111111111111111111-2222222222222222-00";

    /// <summary>An INVITE of about 1 KB with the given extra header lines just before the empty line.</summary>
    public static byte[] Invite(params string[] extraHeaders) => Encoding.UTF8.GetBytes(InviteText(extraHeaders));

    public static string InviteText(params string[] extraHeaders)
    {
        var text = new StringBuilder()
            .Append("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n")
            .Append("Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n")
            .Append("Via: SIP/2.0/UDP proxy1.atlanta.example.com;branch=z9hG4bK4b43c2ff8.1\r\n")
            .Append("Max-Forwards: 70\r\n")
            .Append("To: Bob <sip:bob@biloxi.example.com>\r\n")
            .Append("From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n")
            .Append("Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n")
            .Append("CSeq: 314159 INVITE\r\n")
            .Append("Contact: <sip:alice@pc33.atlanta.example.com>\r\n")
            .Append("Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE, PRACK\r\n")
            .Append("Supported: replaces, timer, 100rel\r\n")
            .Append("User-Agent: TestPhone/1.0\r\n")
            .Append("Session-Expires: 1800;refresher=uac\r\n")
            .Append("P-Asserted-Identity: <sip:+15551234567@atlanta.example.com>\r\n")
            .Append("Content-Type: application/sdp\r\n")
            .Append("Content-Length: 149\r\n");
        foreach (string header in extraHeaders)
        {
            text.Append(header).Append("\r\n");
        }

        text.Append("\r\n")
            .Append("v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\ns=-\r\n")
            .Append("c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n");
        return text.ToString();
    }
}
