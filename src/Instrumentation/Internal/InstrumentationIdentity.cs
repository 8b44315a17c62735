using System.Diagnostics;
using System.Diagnostics.Metrics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The one name, version and schema under which the call tracer and the IMS helpers create their
/// activity sources and meters, so <c>AddSipInstrumentation()</c> enables both and exporters see one scope.
/// </summary>
internal static class InstrumentationIdentity
{
    /// <summary>The package version (major.minor.patch) the sources and meters report.</summary>
    public static readonly string Version = typeof(InstrumentationIdentity).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static ActivitySource CreateActivitySource() => new(new ActivitySourceOptions(SipSemanticConventions.InstrumentationName)
    {
        Version = Version,
        TelemetrySchemaUrl = SipSemanticConventions.SchemaUrl,
    });

    public static Meter CreateMeter() => new(new MeterOptions(SipSemanticConventions.InstrumentationName)
    {
        Version = Version,
        TelemetrySchemaUrl = SipSemanticConventions.SchemaUrl,
    });

    /// <summary>A histogram created with the conventions' bucket boundaries as advice.</summary>
    public static Histogram<double> CreateHistogram(this Meter meter, string name, string unit, string description, IReadOnlyList<double> bucketBoundaries) =>
        meter.CreateHistogram<double>(name, unit, description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = bucketBoundaries });
}
