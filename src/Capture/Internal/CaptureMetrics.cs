using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// The listener's measurements, on the instruments of the one SipTraceContext meter the call tracers
/// and IMS helpers use (<c>SipTelemetry</c>), so that one <c>AddSipInstrumentation()</c> collects all.
/// Tag values are constants: recording allocates nothing.
/// </summary>
internal static class CaptureMetrics
{
    private static readonly KeyValuePair<string, object?>[] s_reasonTags =
    [
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.QueueFull),
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.Malformed),
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.NotSip),
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.Compressed),
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.TooManyAgents),
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.Unauthorized),
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.SocketBuffer),
        new(SipAttributes.CaptureDropReason, SipAttributes.CaptureDropReasonValues.ProcessingError),
    ];


    /// <summary>The <c>sip.capture.drop_reason</c> value of a reason, for logs that name reasons as the metric does.</summary>
    public static string ReasonName(HepDropReason reason) => (string)s_reasonTags[(int)reason].Value!;

    /// <summary>
    /// Records zero on <c>sip.capture.packets</c> and on <c>sip.capture.packet.dropped</c> for every reason,
    /// so that each series exists from the start: a scrape before the first packet shows 0, not nothing,
    /// and rate() and alerts on them have a first sample. Seen by the meter listeners enabled by then.
    /// </summary>
    public static void RecordZeros()
    {
        SipTelemetry.CapturePackets.Add(0);
        foreach (KeyValuePair<string, object?> reason in s_reasonTags)
        {
            SipTelemetry.CapturePacketDropped.Add(0, reason);
        }
    }

    public static void Received() => SipTelemetry.CapturePackets.Add(1);

    public static void Dropped(HepDropReason reason, long count = 1) => SipTelemetry.CapturePacketDropped.Add(count, s_reasonTags[(int)reason]);
}
