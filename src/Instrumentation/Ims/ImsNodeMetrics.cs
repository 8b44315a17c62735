using System.Diagnostics;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// What one IMS node records into the package's instruments (<see cref="SipTelemetry"/>), as
/// <see cref="SipCallMetrics"/> does for a call tracer: every measurement carries the node's own tags
/// (<see cref="ImsNodeOptions.MetricTags"/>) first, so two nodes of the same role in one process keep separate series.
/// </summary>
internal sealed class ImsNodeMetrics
{
    // The node's tags, first in every measurement. TagList keeps up to 8 tags inline: with up to 4 node tags and
    // at most 2 per measurement here, recording allocates nothing; with none, a measurement carries exactly the
    // tags it did before node tags existed.
    private readonly KeyValuePair<string, object?>[] _tags;

    public ImsNodeMetrics(IEnumerable<KeyValuePair<string, object?>>? tags) => _tags = tags is null ? [] : [.. tags];

    public void RegistrationLatency(double milliseconds, string? accessType, string? errorType) =>
        SipTelemetry.RegistrationLatency.Record(milliseconds, With(ImsAttributes.AccessType, accessType, errorType));

    public void SessionSetupTime(double milliseconds, string? accessType) =>
        SipTelemetry.SessionSetupTime.Record(milliseconds, With(ImsAttributes.AccessType, accessType, errorType: null));

    public void HssQueryLatency(double milliseconds, string? command, string? errorType) =>
        SipTelemetry.HssQueryLatency.Record(milliseconds, With(ImsAttributes.HssCommand, command, errorType));

    public void AsInvocationLatency(double milliseconds, string? service, string? errorType) =>
        SipTelemetry.AsInvocationLatency.Record(milliseconds, With(ImsAttributes.AsService, service, errorType));

    public void RxAarLatency(double milliseconds, string? errorType) =>
        SipTelemetry.RxAarLatency.Record(milliseconds, With(key: null, value: null, errorType));

    public void SessionActiveChanged(long delta) => SipTelemetry.SessionActiveCount.Add(delta, new TagList(_tags));

    /// <summary>Counts a message whose trace headers the fast path could not rewrite; <paramref name="outcome"/> is an <see cref="ImsAttributes.TraceHeadersOutcomeValues"/> value.</summary>
    public void TraceHeadersFallback(string outcome) =>
        SipTelemetry.TraceHeadersFallbacks.Add(1, With(ImsAttributes.TraceHeadersOutcome, outcome, errorType: null));

    private TagList With(string? key, string? value, string? errorType)
    {
        var tags = new TagList(_tags);
        if (key is not null && value is not null)
        {
            tags.Add(key, value);
        }

        if (errorType is not null)
        {
            tags.Add(OtelAttributes.ErrorType, errorType);
        }

        return tags;
    }
}
