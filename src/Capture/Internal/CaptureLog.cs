using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// What the listener logs through <see cref="ILogger"/>: what an operator must see without attaching a
/// tracing tool. The event source (<see cref="CaptureEventSource"/>) gets the same and more detail.
/// </summary>
internal static partial class CaptureLog
{
    [LoggerMessage(EventId = 1, EventName = "HepListening", Level = LogLevel.Information,
        Message = "Listening for HEP on {EndPoint}")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 2, EventName = "HepBindFailed", Level = LogLevel.Error,
        Message = "Cannot listen for HEP on {EndPoint} ({SocketError}); the listener does not start")]
    public static partial void BindFailed(ILogger logger, Exception exception, string endPoint, SocketError socketError);

    [LoggerMessage(EventId = 3, EventName = "HepProcessingFailed", Level = LogLevel.Error,
        Message = "Processing a HEP packet threw; the packet was dropped as processing_error ({SuppressedCount} more failures since the last one logged)")]
    public static partial void ProcessingFailed(ILogger logger, Exception exception, long suppressedCount);

    [LoggerMessage(EventId = 4, EventName = "HepPacketsDropped", Level = LogLevel.Warning,
        Message = "HEP capture dropped {DroppedCount} packets in the last {Period}: {DropReasons}")]
    public static partial void PacketsDropped(ILogger logger, long droppedCount, TimeSpan period, string dropReasons);

    [LoggerMessage(EventId = 5, EventName = "HepDirectionResolverFailed", Level = LogLevel.Warning,
        Message = "HepCaptureOptions.DirectionResolver threw; the packet was taken as {DefaultDirection} ({SuppressedCount} more failures since the last one logged)")]
    public static partial void DirectionResolverFailed(ILogger logger, Exception exception, SipDirection defaultDirection, long suppressedCount);

    [LoggerMessage(EventId = 6, EventName = "HepReceiveBufferCapped", Level = LogLevel.Warning,
        Message = "HEP socket receive buffer: {Requested} bytes requested, the OS granted less ({Reported} reported); on Linux raise net.core.rmem_max")]
    public static partial void ReceiveBufferCapped(ILogger logger, int requested, int reported);

    [LoggerMessage(EventId = 7, EventName = "HepHousekeepingFailed", Level = LogLevel.Error,
        Message = "HEP listener housekeeping (kernel drops, idle agents) threw ({SuppressedCount} more failures since the last one logged)")]
    public static partial void HousekeepingFailed(ILogger logger, Exception exception, long suppressedCount);

    [LoggerMessage(EventId = 8, EventName = "HepTcpConnectionRejected", Level = LogLevel.Warning,
        Message = "HEP over TCP: closed a connection from {Peer} at once, {OpenCount} are open (HepCaptureOptions.MaxTcpConnections) ({SuppressedCount} more rejected since the last one logged)")]
    public static partial void TcpConnectionRejected(ILogger logger, string peer, int openCount, long suppressedCount);
}
