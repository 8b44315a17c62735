using System.Diagnostics.Metrics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// The listener's instruments, on a meter named like the call tracer's so that one
/// <c>AddSipInstrumentation()</c> collects both. Tag values are constants: recording allocates nothing.
/// </summary>
internal sealed class CaptureMetrics : IDisposable
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

    private readonly Meter _meter;
    private readonly Counter<long> _packets;
    private readonly Counter<long> _dropped;

    public CaptureMetrics()
    {
        Version? version = typeof(CaptureMetrics).Assembly.GetName().Version;
        _meter = new Meter(new MeterOptions(SipSemanticConventions.InstrumentationName)
        {
            Version = version is null ? "0.0.0" : version.ToString(3),
            TelemetrySchemaUrl = SipSemanticConventions.SchemaUrl,
        });
        _packets = _meter.CreateCounter<long>(SipMetrics.CapturePackets.Name, SipMetrics.CapturePackets.Unit, SipMetrics.CapturePackets.Description);
        _dropped = _meter.CreateCounter<long>(SipMetrics.CapturePacketDropped.Name, SipMetrics.CapturePacketDropped.Unit, SipMetrics.CapturePacketDropped.Description);
    }

    /// <summary>The <c>sip.capture.drop_reason</c> value of a reason, for logs that name reasons as the metric does.</summary>
    public static string ReasonName(HepDropReason reason) => (string)s_reasonTags[(int)reason].Value!;

    /// <summary>
    /// Records zero on <c>sip.capture.packets</c> and on <c>sip.capture.packet.dropped</c> for every reason,
    /// so that each series exists from the start: a scrape before the first packet shows 0, not nothing,
    /// and rate() and alerts on them have a first sample. Seen by the meter listeners enabled by then.
    /// </summary>
    public void RecordZeros()
    {
        _packets.Add(0);
        foreach (KeyValuePair<string, object?> reason in s_reasonTags)
        {
            _dropped.Add(0, reason);
        }
    }

    public void Received() => _packets.Add(1);

    public void Dropped(HepDropReason reason, long count = 1) => _dropped.Add(count, s_reasonTags[(int)reason]);

    public void Dispose() => _meter.Dispose();
}
