using System.Text;

namespace SipTraceContext.Sip.Tests;

/// <summary>
/// Hand-written SIP messages in the shapes RFC 3261 §7 and the RFC 4475 torture tests describe.
/// Written for this project; every line break is explicit so the bytes are exactly what is meant.
/// </summary>
internal static class SipMessages
{
    public const string SdpBody =
        "v=0\r\n" +
        "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n" +
        "s=-\r\n" +
        "c=IN IP4 192.0.2.10\r\n" +
        "t=0 0\r\n" +
        "m=audio 49170 RTP/AVP 0 8 97\r\n" +
        "a=rtpmap:0 PCMU/8000\r\n";

    /// <summary>A plain INVITE with one of each header a proxy reads, trace headers near the end.</summary>
    public static string Invite =>
        "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n" +
        "Max-Forwards: 70\r\n" +
        "To: Bob <sip:bob@biloxi.example.com>\r\n" +
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" +
        "CSeq: 314159 INVITE\r\n" +
        "Contact: <sip:alice@pc33.atlanta.example.com>\r\n" +
        "Content-Type: application/sdp\r\n" +
        "X-OTel-traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n" +
        "X-OTel-tracestate: vendor=opaque\r\n" +
        $"Content-Length: {SdpBody.Length}\r\n" +
        "\r\n" +
        SdpBody;

    /// <summary>
    /// A tortuous INVITE in the spirit of RFC 4475 §3.1.1.1: whitespace before colons, names in odd
    /// case, compact and long forms mixed, values folded over several lines, empty values, unknown headers.
    /// </summary>
    public static string TortuousInvite
    {
        get
        {
            const string Body = "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\n";
            return
                "INVITE sip:carol;day=friday@chicago.example.com SIP/2.0\r\n" +
                "TO :\r\n" +
                " sip:carol@chicago.example.com ;   tag    = 8321234356\r\n" +
                "from   : \"Dave \\\"the\\\" Builder\"\r\n" +
                "  <sip:dave@denver.example.com>\r\n" +
                "  ;\r\n" +
                "  tag = 98asjd8\r\n" +
                "MaX-fOrWaRdS: 0068\r\n" +
                "Call-ID: tortuous.8dj3kd@192.0.2.7\r\n" +
                $"Content-Length   : {Body.Length}\r\n" +
                "cseq: 0009\r\n" +
                "  INVITE\r\n" +
                "Via  : SIP  /   2.0\r\n" +
                " /UDP\r\n" +
                "    192.0.2.2;branch=z9hG4bKkdjuw\r\n" +
                "s :\r\n" +
                "NewFangledHeader:   newfangled value\r\n" +
                " continued newfangled value\r\n" +
                "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n" +
                "Content-Type: application/sdp\r\n" +
                "Route:\r\n" +
                " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n" +
                "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n" +
                "  branch  =   z9hG4bK9ikj8  ,\r\n" +
                " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n" +
                " z9hG4bK30239\r\n" +
                "m:\"Quoted string \\\"\\\"\" <sip:dave@denver.example.com> ; newparam =\r\n" +
                "      newvalue ;\r\n" +
                "  secondparam ; q = 0.33\r\n" +
                "\r\n" +
                Body;
        }
    }

    /// <summary>A compact-form-only request (RFC 4475 §3.1.1.5 style) with repeated and comma-joined Via.</summary>
    public static string CompactRegister =>
        "REGISTER sip:registrar.example.com SIP/2.0\r\n" +
        "v: SIP/2.0/TCP 192.0.2.20:5060;branch=z9hG4bK-a1\r\n" +
        "v: SIP/2.0/UDP 192.0.2.21;branch=z9hG4bK-b2, SIP/2.0/UDP 192.0.2.22;branch=z9hG4bK-c3\r\n" +
        "i: compact.7fj3@192.0.2.20\r\n" +
        "f: <sip:erin@example.com>;tag=77\r\n" +
        "t: <sip:erin@example.com>\r\n" +
        "m: <sip:erin@192.0.2.20>\r\n" +
        "k: path, outbound\r\n" +
        "CSeq: 1 REGISTER\r\n" +
        "Expires:\r\n" +
        "l: 0\r\n" +
        "\r\n";

    /// <summary>A 180 response.</summary>
    public static string Ringing =>
        "SIP/2.0 180 Ringing\r\n" +
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n" +
        "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n" +
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" +
        "CSeq: 314159 INVITE\r\n" +
        "Content-Length: 0\r\n" +
        "\r\n";

    public static byte[] Bytes(string message) => Encoding.UTF8.GetBytes(message);

    /// <summary>Builds a message from a start line, header lines and a body, with a correct Content-Length last.</summary>
    public static byte[] Build(string startLine, IEnumerable<string> headerLines, ReadOnlySpan<byte> body, string lineEnd = "\r\n")
    {
        var text = new StringBuilder();
        text.Append(startLine).Append(lineEnd);
        foreach (string line in headerLines)
        {
            text.Append(line).Append(lineEnd);
        }

        text.Append("Content-Length: ").Append(body.Length).Append(lineEnd).Append(lineEnd);
        byte[] head = Encoding.UTF8.GetBytes(text.ToString());
        return [.. head, .. body];
    }
}
