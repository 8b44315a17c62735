using System.Diagnostics.Tracing;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The package's one <see cref="EventSource"/>. Propagators never throw on bad input; they report it
/// here (listen with dotnet-trace, dotnet-counters or an <see cref="EventListener"/>) and carry on.
/// </summary>
// Named "OpenTelemetry-..." because OpenTelemetry's self-diagnostics (OTEL_DIAGNOSTICS.json) records
// only event sources whose name starts with "OpenTelemetry-"; "Instrumentation-" as contrib's
// instrumentations do; the package name last, so each package's source is told apart.
[EventSource(Name = "OpenTelemetry-Instrumentation-SipTraceContext-Propagation")]
internal sealed class SipPropagationEventSource : EventSource
{
    public static readonly SipPropagationEventSource Log = new();

    private const int InvalidHeaderEventId = 1;
    private const int InjectFailedEventId = 2;
    private const int CallbackFailedEventId = 3;

    /// <summary>A trace header was present but invalid (repeated, malformed, over a limit) and was ignored.</summary>
    [Event(InvalidHeaderEventId, Message = "Ignored invalid SIP trace header '{0}': {1}", Level = EventLevel.Warning)]
    public void InvalidHeader(string headerName, string reason)
    {
        if (IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            WriteEvent(InvalidHeaderEventId, headerName, reason);
        }
    }

    /// <summary>An injection did not happen (invalid context, destination too small, message without a header section).</summary>
    [Event(InjectFailedEventId, Message = "SIP trace context injection skipped: {0}", Level = EventLevel.Warning)]
    public void InjectFailed(string reason)
    {
        if (IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            WriteEvent(InjectFailedEventId, reason);
        }
    }

    /// <summary>A carrier's getter or setter threw; the propagator returned the input context.</summary>
    [Event(CallbackFailedEventId, Message = "SIP carrier accessor threw: {0}", Level = EventLevel.Error)]
    public void CarrierAccessorFailed(string exception)
    {
        if (IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            WriteEvent(CallbackFailedEventId, exception);
        }
    }
}
