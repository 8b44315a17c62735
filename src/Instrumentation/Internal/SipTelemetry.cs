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

    public static readonly UpDownCounter<long> CallsActive = s_meter.CreateUpDownCounter<long>(
        SipMetrics.CallsActive.Name, SipMetrics.CallsActive.Unit, SipMetrics.CallsActive.Description);

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

    private static IEnumerable<Measurement<long>> ObserveCallLimits()
    {
        foreach (SipCallMetrics tracer in Volatile.Read(ref s_tracers))
        {
            yield return new Measurement<long>(tracer.Capacity, tracer.Tags);
        }
    }

    /// <summary>A histogram created with the conventions' bucket boundaries as advice.</summary>
    private static Histogram<double> CreateHistogram(this Meter meter, string name, string unit, string description, IReadOnlyList<double> bucketBoundaries) =>
        meter.CreateHistogram<double>(name, unit, description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = bucketBoundaries });
}
