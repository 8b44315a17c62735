using System.Diagnostics;
using SipTraceContext.Instrumentation.Ims;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>
/// The IMS calls the tests make over and over, each in one line: ending a span with its outcome, as a node does
/// when the final answer arrives, and the bytes a node forwards, as an array (empty when it forwards nothing).
/// </summary>
internal static class ImsTestExtensions
{
    public static void EndWith(this ImsSpan span, int code)
    {
        span.SetResultCode(code);
        span.Dispose();
    }

    /// <summary>Ends a CSCF request span with the status code of the raw SIP response it answers with.</summary>
    public static void EndWithStatusOf(this ImsSpan span, byte[] response) => span.EndWith(new SipMessageReader(response).StatusCode);

    /// <summary>What the span's node sends for <paramref name="message"/>.</summary>
    public static byte[] Rewrite(this ImsSpan span, byte[] message)
    {
        byte[] destination = new byte[message.Length + new PcscfInstrumentation().MaxAddedBytes];
        return span.TryRewriteTraceHeaders(message, destination, out int written) ? destination[..written] : [];
    }

    public static byte[] StripToArray(this ImsNode node, byte[] message)
    {
        byte[] destination = new byte[message.Length];
        return node.TryStripTraceHeaders(message, destination, out int written) ? destination[..written] : [];
    }

    public static byte[] InjectToArray(this ImsNode node, byte[] message, ActivityContext context)
    {
        byte[] destination = new byte[message.Length + node.MaxAddedBytes];
        return node.TryInject(message, context, destination, out int written) ? destination[..written] : [];
    }
}
