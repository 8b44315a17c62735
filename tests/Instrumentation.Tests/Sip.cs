using System.Text;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>Builds the SIP messages of the call-flow tests (RFC 3261 §24 / RFC 3665 shapes).</summary>
internal static class Sip
{
    public const string Alice = "\"Alice\" <sip:alice@atlanta.example.com>";
    public const string Bob = "<sip:bob@biloxi.example.com>";
    public const string AliceTag = "1928301774";
    public const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    public static byte[] Invite(string callId, int cseq = 1, string branch = "z9hG4bKinv1", string? toTag = null, params string[] extra) =>
        Request("INVITE", callId, cseq, branch, Alice, AliceTag, Bob, toTag, extra);

    public static byte[] Ack(string callId, int cseq = 1, string branch = "z9hG4bKack1", string toTag = "b1") =>
        Request("ACK", callId, cseq, branch, Alice, AliceTag, Bob, toTag);

    public static byte[] Cancel(string callId, int cseq = 1, string branch = "z9hG4bKinv1") =>
        Request("CANCEL", callId, cseq, branch, Alice, AliceTag, Bob, null);

    /// <summary>A BYE from the caller (From Alice), or with <paramref name="fromCallee"/> from Bob.</summary>
    public static byte[] Bye(string callId, int cseq = 2, string branch = "z9hG4bKbye1", bool fromCallee = false, string toTag = "b1") =>
        fromCallee
            ? Request("BYE", callId, cseq, branch, Bob, toTag, Alice, AliceTag)
            : Request("BYE", callId, cseq, branch, Alice, AliceTag, Bob, toTag);

    public static byte[] Request(string method, string callId, int cseq, string branch, string from, string fromTag, string to, string? toTag, params string[] extra)
    {
        var text = new StringBuilder()
            .Append(method).Append(" sip:bob@biloxi.example.com:5062 SIP/2.0\r\n")
            .Append("Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=").Append(branch).Append("\r\n")
            .Append("Max-Forwards: 70\r\n")
            .Append("From: ").Append(from).Append(";tag=").Append(fromTag).Append("\r\n")
            .Append("To: ").Append(to).Append(toTag is null ? string.Empty : ";tag=" + toTag).Append("\r\n")
            .Append("Call-ID: ").Append(callId).Append("\r\n")
            .Append("CSeq: ").Append(cseq).Append(' ').Append(method).Append("\r\n")
            .Append("Contact: <sip:alice@pc33.atlanta.example.com>\r\n");
        foreach (string header in extra)
        {
            text.Append(header).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.Append("Content-Length: 0\r\n\r\n").ToString());
    }

    public static byte[] Response(int status, string reason, string callId, int cseq = 1, string method = "INVITE", string branch = "z9hG4bKinv1", string? toTag = "b1")
    {
        string text = new StringBuilder()
            .Append("SIP/2.0 ").Append(status).Append(' ').Append(reason).Append("\r\n")
            .Append("Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=").Append(branch).Append("\r\n")
            .Append("From: ").Append(Alice).Append(";tag=").Append(AliceTag).Append("\r\n")
            .Append("To: ").Append(Bob).Append(toTag is null ? string.Empty : ";tag=" + toTag).Append("\r\n")
            .Append("Call-ID: ").Append(callId).Append("\r\n")
            .Append("CSeq: ").Append(cseq).Append(' ').Append(method).Append("\r\n")
            .Append("Content-Length: 0\r\n\r\n")
            .ToString();
        return Encoding.UTF8.GetBytes(text);
    }
}
