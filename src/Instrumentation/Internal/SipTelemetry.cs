using System.Diagnostics;
using System.Diagnostics.Metrics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The package's one <see cref="ActivitySource"/> and one <see cref="Meter"/>, and every instrument on that meter:
/// the call tracer's and the IMS helpers'. <c>AddSipInstrumentation()</c> subscribes to their one name, so it
/// enables both, and exporters see one scope.
/// </summary>
/// <remarks>
/// <para>
/// They live as long as the process, and whoever records (a <see cref="SipCallTracer"/>, an IMS node helper)
/// records into them with its own tags (its <c>MetricTags</c>): <see cref="SipCallMetrics"/> and
/// <see cref="Ims.ImsNodeMetrics"/>. Instruments per owner would add nothing, since OpenTelemetry merges
/// instruments of the same meter name and version into the same streams, and tags are what keep owners apart
/// either way; and each instrument is created once, with the unit and description of the conventions.
/// </para>
/// <para>
/// <c>sip.call.limit</c> is observed from the tracers alive now: a tracer joins when it is created and leaves
/// when it is disposed, so its series goes with it.
/// </para>
/// </remarks>
internal static class SipTelemetry
{
    /// <summary>The package version (major.minor.patch) the source and the meter report.</summary>
    public static readonly string Version = typeof(SipTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static readonly ActivitySource Source = new(new ActivitySourceOptions(SipSemanticConventions.InstrumentationName)
    {
        Version = Version,
        TelemetrySchemaUrl = SipSemanticConventions.SchemaUrl,
    });

    /// <summary>
    /// Starts a span of <see cref="Source"/> under <paramref name="parent"/> (the ambient span when it is
    /// <c>default</c>) at <paramref name="startTime"/> (now when <c>default</c>), when its sampler records it.
    /// A span the sampler dropped is not started (<see cref="TryPropagateOnly"/>): <see langword="null"/>, with
    /// its <paramref name="context"/> to propagate. <paramref name="context"/> is <c>default</c> when no span was created.
    /// </summary>
    public static Activity? Start(string name, ActivityKind kind, ActivityContext parent, IEnumerable<ActivityLink>? links, DateTimeOffset startTime, out ActivityContext context) =>
        StartIfRecorded(Source.CreateActivity(name, kind, parent, tags: null, links), startTime, out context);

    /// <summary>
    /// Starts <paramref name="created"/> at <paramref name="startTime"/> (now when <c>default</c>) unless it
    /// exists only to propagate, as <see cref="Start"/> does with the span it creates.
    /// </summary>
    public static Activity? StartIfRecorded(Activity? created, DateTimeOffset startTime, out ActivityContext context)
    {
        if (created is null)
        {
            context = default;
            return null;
        }

        if (TryPropagateOnly(created, out context))
        {
            return null;
        }

        if (startTime != default)
        {
            created.SetStartTime(startTime.UtcDateTime);
        }

        created.Start();
        context = created.Context;
        return created;
    }

    /// <summary>
    /// Whether <paramref name="created"/> is a span its sampler dropped and that exists only to propagate
    /// (the OpenTelemetry SDK creates one for every root or remote-parented span it drops). Such a span is
    /// never started: nothing exports it, so starting it would only take the ambient slot, notify
    /// listeners and leave a span to end. <paramref name="context"/> is the context it stands for: its
    /// parent's trace (or the trace id its sampler drew), a new span id, the sampler's flags and trace state.
    /// </summary>
    private static bool TryPropagateOnly(Activity created, out ActivityContext context)
    {
        if (created.IsAllDataRequested)
        {
            context = default;
            return false;
        }

        ActivityTraceId traceId = created.TraceId;
        ActivityTraceFlags flags = created.ActivityTraceFlags;
        if (traceId == default)
        {
            if (Activity.Current is not null)
            {
                // A listener let an ambient child through: only Start knows its parent.
                context = default;
                return false;
            }

            // A root whose sampler did not ask for a trace id: a random one, flagged as random (W3C Trace Context level 2).
            traceId = ActivityTraceId.CreateRandom();
            flags |= DerivedIds.RandomTraceFlag;
        }

        context = new ActivityContext(traceId, ActivitySpanId.CreateRandom(), flags, created.TraceStateString);
        return true;
    }

    private static readonly Meter s_meter = new(new MeterOptions(SipSemanticConventions.InstrumentationName)
    {
        Version = Version,
        TelemetrySchemaUrl = SipSemanticConventions.SchemaUrl,
    });

    // The tracers whose capacity sip.call.limit reports; replaced, never changed, so the callback reads it unlocked.
    private static SipCallMetrics[] s_tracers = [];

    // The call tracer's instruments.
    public static readonly Histogram<double> CallSetupLatency = s_meter.CreateHistogram(
        SipMetrics.CallSetupLatency.Name, SipMetrics.CallSetupLatency.Unit, SipMetrics.CallSetupLatency.Description, SipMetrics.CallSetupLatency.ExplicitBucketBoundaries);

    public static readonly Histogram<double> CallTeardownDuration = s_meter.CreateHistogram(
        SipMetrics.CallTeardownDuration.Name, SipMetrics.CallTeardownDuration.Unit, SipMetrics.CallTeardownDuration.Description, SipMetrics.CallTeardownDuration.ExplicitBucketBoundaries);

    public static readonly Counter<long> ResponseCount = s_meter.CreateCounter<long>(
        SipMetrics.ResponseCount.Name, SipMetrics.ResponseCount.Unit, SipMetrics.ResponseCount.Description);

    public static readonly ObservableUpDownCounter<long> CallsActive = s_meter.CreateObservableUpDownCounter(
        SipMetrics.CallsActive.Name, ObserveActiveCalls, SipMetrics.CallsActive.Unit, SipMetrics.CallsActive.Description);

    public static readonly Counter<long> CallFailed = s_meter.CreateCounter<long>(
        SipMetrics.CallFailed.Name, SipMetrics.CallFailed.Unit, SipMetrics.CallFailed.Description);

    public static readonly Counter<long> MessageRetransmissions = s_meter.CreateCounter<long>(
        SipMetrics.MessageRetransmissions.Name, SipMetrics.MessageRetransmissions.Unit, SipMetrics.MessageRetransmissions.Description);

    public static readonly Counter<long> MessageMalformed = s_meter.CreateCounter<long>(
        SipMetrics.MessageMalformed.Name, SipMetrics.MessageMalformed.Unit, SipMetrics.MessageMalformed.Description);

    public static readonly Counter<long> CallEvictions = s_meter.CreateCounter<long>(
        SipMetrics.CallEvictions.Name, SipMetrics.CallEvictions.Unit, SipMetrics.CallEvictions.Description);

    public static readonly ObservableGauge<long> CallLimit = s_meter.CreateObservableGauge(
        SipMetrics.CallLimit.Name, ObserveCallLimits, SipMetrics.CallLimit.Unit, SipMetrics.CallLimit.Description);

    // The HEP listener's instruments (SipTraceContext.Capture, through InternalsVisibleTo).
    public static readonly Counter<long> CapturePackets = s_meter.CreateCounter<long>(
        SipMetrics.CapturePackets.Name, SipMetrics.CapturePackets.Unit, SipMetrics.CapturePackets.Description);

    public static readonly Counter<long> CapturePacketDropped = s_meter.CreateCounter<long>(
        SipMetrics.CapturePacketDropped.Name, SipMetrics.CapturePacketDropped.Unit, SipMetrics.CapturePacketDropped.Description);

    // The IMS helpers' instruments.
    public static readonly Histogram<double> RegistrationLatency = s_meter.CreateHistogram(
        ImsMetrics.RegistrationLatency.Name, ImsMetrics.RegistrationLatency.Unit, ImsMetrics.RegistrationLatency.Description, ImsMetrics.RegistrationLatency.ExplicitBucketBoundaries);

    public static readonly Histogram<double> SessionSetupTime = s_meter.CreateHistogram(
        ImsMetrics.SessionSetupTime.Name, ImsMetrics.SessionSetupTime.Unit, ImsMetrics.SessionSetupTime.Description, ImsMetrics.SessionSetupTime.ExplicitBucketBoundaries);

    public static readonly Histogram<double> HssQueryLatency = s_meter.CreateHistogram(
        ImsMetrics.HssQueryLatency.Name, ImsMetrics.HssQueryLatency.Unit, ImsMetrics.HssQueryLatency.Description, ImsMetrics.HssQueryLatency.ExplicitBucketBoundaries);

    public static readonly Histogram<double> AsInvocationLatency = s_meter.CreateHistogram(
        ImsMetrics.AsInvocationLatency.Name, ImsMetrics.AsInvocationLatency.Unit, ImsMetrics.AsInvocationLatency.Description, ImsMetrics.AsInvocationLatency.ExplicitBucketBoundaries);

    public static readonly Histogram<double> RxAarLatency = s_meter.CreateHistogram(
        ImsMetrics.RxAarLatency.Name, ImsMetrics.RxAarLatency.Unit, ImsMetrics.RxAarLatency.Description, ImsMetrics.RxAarLatency.ExplicitBucketBoundaries);

    public static readonly UpDownCounter<long> SessionActiveCount = s_meter.CreateUpDownCounter<long>(
        ImsMetrics.SessionActiveCount.Name, ImsMetrics.SessionActiveCount.Unit, ImsMetrics.SessionActiveCount.Description);

    public static readonly Counter<long> TraceHeadersFallbacks = s_meter.CreateCounter<long>(
        ImsMetrics.TraceHeadersFallbacks.Name, ImsMetrics.TraceHeadersFallbacks.Unit, ImsMetrics.TraceHeadersFallbacks.Description);

    /// <summary>Adds a tracer's capacity to <c>sip.call.limit</c>.</summary>
    public static void AddTracer(SipCallMetrics tracer)
    {
        SipCallMetrics[] current, next;
        do
        {
            current = Volatile.Read(ref s_tracers);
            next = [.. current, tracer];
        }
        while (Interlocked.CompareExchange(ref s_tracers, next, current) != current);
    }

    /// <summary>Removes a tracer's capacity from <c>sip.call.limit</c>.</summary>
    public static void RemoveTracer(SipCallMetrics tracer)
    {
        SipCallMetrics[] current, next;
        do
        {
            current = Volatile.Read(ref s_tracers);
            next = [.. current.Where(t => t != tracer)];
        }
        while (Interlocked.CompareExchange(ref s_tracers, next, current) != current);
    }

    private static IEnumerable<Measurement<long>> ObserveCallLimits() => ObservePerTagSet(static tracer => tracer.Capacity);

    private static IEnumerable<Measurement<long>> ObserveActiveCalls() => ObservePerTagSet(static tracer => tracer.Active);

    // One measurement per set of tags, the sum over the tracers that have it: tracers with the same tags
    // share a series, as their measurements of a synchronous instrument would, so that active calls and
    // capacity stay comparable. A listener is collecting: the tracers' response counts are flushed first.
    private static IEnumerable<Measurement<long>> ObservePerTagSet(Func<SipCallMetrics, long> value)
    {
        SipCallMetrics[] tracers = Volatile.Read(ref s_tracers);
        foreach (SipCallMetrics tracer in tracers)
        {
            tracer.FlushResponses();
        }

        for (int i = 0; i < tracers.Length; i++)
        {
            if (SameTagsAsAnEarlier(tracers, i))
            {
                continue;
            }

            long sum = value(tracers[i]);
            for (int j = i + 1; j < tracers.Length; j++)
            {
                if (tracers[j].HasTagsOf(tracers[i]))
                {
                    sum += value(tracers[j]);
                }
            }

            yield return new Measurement<long>(sum, tracers[i].Tags);
        }
    }

    private static bool SameTagsAsAnEarlier(SipCallMetrics[] tracers, int index)
    {
        for (int i = 0; i < index; i++)
        {
            if (tracers[i].HasTagsOf(tracers[index]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A histogram created with the conventions' bucket boundaries as advice.</summary>
    private static Histogram<double> CreateHistogram(this Meter meter, string name, string unit, string description, IReadOnlyList<double> bucketBoundaries) =>
        meter.CreateHistogram<double>(name, unit, description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = bucketBoundaries });
}
