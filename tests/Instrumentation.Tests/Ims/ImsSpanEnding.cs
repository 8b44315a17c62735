using SipTraceContext.Instrumentation.Ims;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>Ends a span with its outcome in one call, as a node does when the final answer arrives.</summary>
internal static class ImsSpanEnding
{
    public static void EndWith(this ImsSpan span, int code)
    {
        span.SetResultCode(code);
        span.Dispose();
    }

    /// <summary>Ends a CSCF request span with the status code of the raw SIP response it answers with.</summary>
    public static void EndWithStatusOf(this ImsSpan span, byte[] response) => span.EndWith(new SipMessageReader(response).StatusCode);
}
