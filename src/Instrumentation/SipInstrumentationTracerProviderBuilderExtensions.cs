using SipTraceContext.Conventions;

namespace OpenTelemetry.Trace;

/// <summary>Registers the SIP call tracer's spans with an OpenTelemetry tracer provider.</summary>
public static class SipInstrumentationTracerProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes the provider to the spans of every <c>SipTraceContext.Instrumentation.SipCallTracer</c>
    /// (activity source <see cref="SipSemanticConventions.InstrumentationName"/>). The host creates
    /// the tracer, feeds it messages and disposes it.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static TracerProviderBuilder AddSipInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(SipSemanticConventions.InstrumentationName);
    }
}
