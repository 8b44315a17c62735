using SipTraceContext.Conventions;

namespace OpenTelemetry.Metrics;

/// <summary>Registers the metrics of the SIP call tracer and the IMS node helpers with an OpenTelemetry meter provider.</summary>
public static class SipInstrumentationMeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes the provider to the metrics of every <c>SipTraceContext.Instrumentation.SipCallTracer</c>
    /// (meter <see cref="SipSemanticConventions.InstrumentationName"/>): call setup and teardown
    /// latency, responses, active calls, failures, retransmissions, malformed messages, evictions and
    /// capacity; and those of the IMS node helpers (<c>ims.*</c>), which share the meter. Histograms carry their
    /// bucket advice, so no view is needed. It only subscribes: the
    /// tracer is the one <c>AddSipInstrumentation</c> on the tracer provider registers (or one the host
    /// creates), never a second one.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static MeterProviderBuilder AddSipInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(SipSemanticConventions.InstrumentationName);
    }
}
