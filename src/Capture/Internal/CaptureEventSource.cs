using System.Diagnostics.Tracing;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// The package's one <see cref="EventSource"/>: what the capture listener cannot do (a receive error, a
/// throwing direction resolver, a packet that failed) is reported here and the capture carries on.
/// </summary>
[EventSource(Name = "SipTraceContext-Capture")]
internal sealed class CaptureEventSource : EventSource
{
    public static readonly CaptureEventSource Log = new();

    private const int ListeningEventId = 1;
    private const int ReceiveFailedEventId = 2;
    private const int CallbackFailedEventId = 3;
    private const int ProcessingFailedEventId = 4;
    private const int CaptureAgentAddedEventId = 5;

    /// <summary>The listener bound its socket.</summary>
    [Event(ListeningEventId, Message = "Listening for HEP on {0}", Level = EventLevel.Informational)]
    public void Listening(string endPoint) => WriteEvent(ListeningEventId, endPoint);

    /// <summary>A receive failed; the socket is kept.</summary>
    [Event(ReceiveFailedEventId, Message = "HEP receive failed: {0}", Level = EventLevel.Warning)]
    public void ReceiveFailed(string error) => WriteEvent(ReceiveFailedEventId, error);

    /// <summary>A user callback threw; the listener used its default instead.</summary>
    [Event(CallbackFailedEventId, Message = "HEP capture callback '{0}' threw: {1}", Level = EventLevel.Error)]
    public void CallbackFailed(string callback, string exception) => WriteEvent(CallbackFailedEventId, callback, exception);

    /// <summary>Recording a packet failed; the next one is recorded as usual.</summary>
    [Event(ProcessingFailedEventId, Message = "Recording a HEP packet failed: {0}", Level = EventLevel.Error)]
    public void ProcessingFailed(string exception) => WriteEvent(ProcessingFailedEventId, exception);

    /// <summary>A capture agent sent its first packet and got a call tracer.</summary>
    [Event(CaptureAgentAddedEventId, Message = "HEP capture agent {0} gets a call tracer", Level = EventLevel.Informational)]
    public void CaptureAgentAdded(long captureAgentId)
    {
        if (IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            WriteEvent(CaptureAgentAddedEventId, captureAgentId);
        }
    }
}
