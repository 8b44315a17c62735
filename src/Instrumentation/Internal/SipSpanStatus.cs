using System.Diagnostics;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Which final outcomes of a SIP request set a span's status to Error, by span kind. The call tracer and
/// the IMS node helpers share it; <c>docs/semantic-conventions.md</c> ("Span status") states the table and
/// the reasons. <c>error.type</c> and <c>sip.call.failed</c> record every non-2xx outcome whatever this says.
/// </summary>
/// <remarks>
/// As OpenTelemetry's HTTP conventions do: a Server span (a request this node received) is Error only
/// when the outcome is this side's (or its downstream's) fault, 5xx or no final response before the
/// transaction timer; a 4xx or 6xx is the caller's or the callee's business. A Client span (a request this
/// node sent) is Error for any 4xx, 5xx or 6xx, except a digest challenge (401/407, answered by the same
/// request again with credentials) and a 487 after a CANCEL (the caller hung up: the expected answer). A
/// 3xx redirect is Unset on both: the sender is told where to try, nothing failed. Internal spans follow
/// the Client rules. A transaction timeout (Timer B, C or F: no final response) is Error on both sides.
/// </remarks>
internal static class SipSpanStatus
{
    /// <summary>Whether a final response <paramref name="status"/> (300-699) makes a span of <paramref name="kind"/> Error.</summary>
    /// <param name="kind">The span's kind: Server for a received request, Client for a sent one.</param>
    /// <param name="status">The final SIP status code.</param>
    /// <param name="cancelled">Whether a CANCEL for the request was seen (a 487 is then its expected answer).</param>
    public static bool IsError(ActivityKind kind, int status, bool cancelled)
    {
        if (status < 400 || (status == 487 && cancelled))
        {
            return false;
        }

        if (kind == ActivityKind.Server)
        {
            return status is >= 500 and < 600;
        }

        return status is not (401 or 407);
    }
}
