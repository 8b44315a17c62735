using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;
using SipTraceContext.Instrumentation.Internal;

namespace OpenTelemetry.Trace;

/// <summary>Adds the SIP call tracer to an OpenTelemetry tracer provider.</summary>
/// <remarks>
/// <para>
/// <c>AddSipInstrumentation</c> does what OpenTelemetry's <c>AddXxxInstrumentation</c> methods do: it
/// subscribes the provider to the activity source <see cref="SipSemanticConventions.InstrumentationName"/>
/// (the call tracer's spans and the IMS node helpers', which need no registration of their own),
/// registers <see cref="SipCallTracerOptions"/> as options of the given name (so
/// <c>services.Configure&lt;SipCallTracerOptions&gt;(...)</c>, before or after this call, and binding from
/// <c>IConfiguration</c> apply), and registers a <see cref="SipCallTracer"/> singleton built from those
/// options and the container's <see cref="TimeProvider"/>. Resolve that tracer and feed it messages:
/// <c>GetRequiredService&lt;SipCallTracer&gt;()</c> for the default (unnamed) one,
/// <c>GetRequiredKeyedService&lt;SipCallTracer&gt;(name)</c> (or <c>[FromKeyedServices(name)]</c>) for a
/// named one; each name is one tracer with options of that name.
/// </para>
/// <para>
/// The tracer is created when it is first resolved, not when the provider is built, so a host that
/// records through tracers of its own (<c>new SipCallTracer(...)</c>, or the HEP capture listener's)
/// gets no idle extra tracer and no extra <c>sip.call.limit</c> series. The tracer provider owns it:
/// disposing the provider (or the host that holds it) disposes the tracer first, which ends its open
/// spans while the exporters can still send them. Do not dispose it yourself.
/// </para>
/// </remarks>
public static class SipInstrumentationTracerProviderBuilderExtensions
{
    /// <summary>
    /// Adds the default <see cref="SipCallTracer"/> (options of <see cref="Options.DefaultName"/>) to the
    /// provider and subscribes the provider to its spans; see the class remarks.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static TracerProviderBuilder AddSipInstrumentation(this TracerProviderBuilder builder) =>
        AddSipInstrumentation(builder, name: null, configure: null);

    /// <summary>
    /// Adds the default <see cref="SipCallTracer"/> to the provider, with <paramref name="configure"/>
    /// applied to its options, and subscribes the provider to its spans; see the class remarks.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <param name="configure">Sets the tracer's options (registered as <c>services.Configure</c>), or <see langword="null"/>.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static TracerProviderBuilder AddSipInstrumentation(this TracerProviderBuilder builder, Action<SipCallTracerOptions>? configure) =>
        AddSipInstrumentation(builder, name: null, configure);

    /// <summary>
    /// Adds the <see cref="SipCallTracer"/> of <paramref name="name"/> to the provider, with
    /// <paramref name="configure"/> applied to the options of that name, and subscribes the provider to
    /// its spans; see the class remarks. Calling it again with the same name adds configuration, not a
    /// second tracer.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <param name="name">
    /// The name of the tracer and of its options; <see langword="null"/> or empty for the default tracer
    /// (resolved as <c>SipCallTracer</c>). A named tracer is resolved as the keyed service
    /// <c>SipCallTracer</c> of that name.
    /// </param>
    /// <param name="configure">Sets the tracer's options (registered as <c>services.Configure(name, ...)</c>), or <see langword="null"/>.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static TracerProviderBuilder AddSipInstrumentation(this TracerProviderBuilder builder, string? name, Action<SipCallTracerOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string optionsName = name ?? Options.DefaultName;
        builder.ConfigureServices(services => SipCallTracerRegistration.Register(services, optionsName, configure));
        builder.AddInstrumentation(provider => provider.GetRequiredKeyedService<SipCallTracerOwner>(optionsName));
        return builder.AddSource(SipSemanticConventions.InstrumentationName);
    }
}
