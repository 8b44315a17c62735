using System.Diagnostics.Tracing;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// The package's one <see cref="EventSource"/>: what the capture listener cannot do (a receive error, a
/// throwing direction resolver, a packet that failed) is reported here and the capture carries on.
/// </summary>
// Named "OpenTelemetry-..." because OpenTelemetry's self-diagnostics (OTEL_DIAGNOSTICS.json) records
// only event sources whose name starts with "OpenTelemetry-"; "Instrumentation-" as contrib's
// instrumentations do; the package name last, so each package's source is told apart.
[EventSource(Name = "OpenTelemetry-Instrumentation-SipTraceContext-Capture")]
internal sealed class CaptureEventSource : EventSource
{
    public static readonly CaptureEventSource Log = new();

    private const int ListeningEventId = 1;
    private const int ReceiveFailedEventId = 2;
    private const int CallbackFailedEventId = 3;
    private const int ProcessingFailedEventId = 4;
    private const int CaptureAgentAddedEventId = 5;
    private const int ReceiveBufferEventId = 6;
    private const int ReceiveBufferCappedEventId = 7;
    private const int CaptureAgentRemovedEventId = 8;
    private const int KernelDropsUnavailableEventId = 9;
    private const int TcpConnectionRejectedEventId = 10;
    private const int TcpConnectionClosedEventId = 11;

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

    /// <summary>The socket's receive buffer as the OS reports it after the listener asked for a size.</summary>
    [Event(ReceiveBufferEventId, Message = "HEP socket receive buffer: {0} bytes requested, {1} reported by the OS", Level = EventLevel.Informational)]
    public void ReceiveBuffer(int requested, int reported) => WriteEvent(ReceiveBufferEventId, requested, reported);

    /// <summary>The OS granted less receive buffer than asked (on Linux, raise net.core.rmem_max).</summary>
    [Event(ReceiveBufferCappedEventId, Message = "HEP socket receive buffer: {0} bytes requested, the OS granted less ({1} reported); on Linux raise net.core.rmem_max", Level = EventLevel.Warning)]
    public void ReceiveBufferCapped(int requested, int reported) => WriteEvent(ReceiveBufferCappedEventId, requested, reported);

    /// <summary>A capture agent sent nothing for the idle timeout; its tracer was released.</summary>
    [Event(CaptureAgentRemovedEventId, Message = "HEP capture agent {0} was idle; its call tracer was released", Level = EventLevel.Informational)]
    public void CaptureAgentRemoved(long captureAgentId)
    {
        if (IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            WriteEvent(CaptureAgentRemovedEventId, captureAgentId);
        }
    }

    /// <summary>Kernel drops of the listener's socket cannot be counted here.</summary>
    [Event(KernelDropsUnavailableEventId, Message = "HEP socket: kernel drops are not counted: {0}", Level = EventLevel.Informational)]
    public void KernelDropsUnavailable(string reason) => WriteEvent(KernelDropsUnavailableEventId, reason);

    /// <summary>A TCP connection was closed as soon as it was accepted: the connection limit was reached.</summary>
    [Event(TcpConnectionRejectedEventId, Message = "HEP over TCP: connection from {0} closed at once, {1} are open", Level = EventLevel.Warning)]
    public void TcpConnectionRejected(string peer, int open) => WriteEvent(TcpConnectionRejectedEventId, peer, open);

    /// <summary>A TCP connection ended: closed by its sender, idle, not HEPv3, or the listener stopped.</summary>
    [Event(TcpConnectionClosedEventId, Message = "HEP over TCP: connection from {0} ended: {1}", Level = EventLevel.Informational)]
    public void TcpConnectionClosed(string peer, string reason) => WriteEvent(TcpConnectionClosedEventId, peer, reason);
}
