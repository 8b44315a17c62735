using System.Diagnostics.Tracing;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The package's one <see cref="EventSource"/>. The call tracer never throws into the host: what goes
/// wrong (a user callback throwing, a message it cannot read) is reported here (dotnet-trace,
/// dotnet-counters, an <see cref="EventListener"/>) and processing carries on.
/// </summary>
// Named "OpenTelemetry-..." because OpenTelemetry's self-diagnostics (OTEL_DIAGNOSTICS.json) records
// only event sources whose name starts with "OpenTelemetry-"; "Instrumentation-" as contrib's
// instrumentations do; the package name last, so each package's source is told apart.
[EventSource(Name = "OpenTelemetry-Instrumentation-SipTraceContext-Instrumentation")]
internal sealed class SipInstrumentationEventSource : EventSource
{
    public static readonly SipInstrumentationEventSource Log = new();

    private const int CallbackFailedEventId = 1;
    private const int MalformedMessageEventId = 2;
    private const int CallEvictedEventId = 3;
    private const int InternalErrorEventId = 4;

    /// <summary>A user callback (filter, enricher, trust selector) threw; the tracer carried on without it.</summary>
    [NonEvent]
    public void CallbackFailed(string callback, Exception exception)
    {
        if (IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            CallbackFailed(callback, exception.ToString());
        }
    }

    /// <summary>A user callback (filter, enricher, trust selector) threw; the tracer carried on without it.</summary>
    [Event(CallbackFailedEventId, Message = "SIP instrumentation callback '{0}' threw: {1}", Level = EventLevel.Error)]
    public void CallbackFailed(string callback, string exception) => WriteEvent(CallbackFailedEventId, callback, exception);

    /// <summary>A message could not be read as SIP, or lacked a header the tracer needs; it was counted and ignored.</summary>
    [Event(MalformedMessageEventId, Message = "Ignored a SIP message the call tracer cannot use: {0}", Level = EventLevel.Verbose)]
    public void MalformedMessage(string reason)
    {
        if (IsEnabled(EventLevel.Verbose, EventKeywords.All))
        {
            WriteEvent(MalformedMessageEventId, reason);
        }
    }

    /// <summary>A call was evicted before it ended, to keep memory bounded.</summary>
    [Event(CallEvictedEventId, Message = "Evicted a tracked SIP call before it ended: {0}", Level = EventLevel.Informational)]
    public void CallEvicted(string reason)
    {
        if (IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            WriteEvent(CallEvictedEventId, reason);
        }
    }

    /// <summary>Something the tracer called (another ActivityListener, an exporter run inline) threw; the message was dropped.</summary>
    [NonEvent]
    public void InternalError(Exception exception)
    {
        if (IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            InternalError(exception.ToString());
        }
    }

    /// <summary>Something the tracer called (another ActivityListener, an exporter run inline) threw; the message was dropped.</summary>
    [Event(InternalErrorEventId, Message = "SIP call tracer caught an exception and dropped the message: {0}", Level = EventLevel.Error)]
    public void InternalError(string exception) => WriteEvent(InternalErrorEventId, exception);
}
