using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SipTraceContext.Capture;
using SipTraceContext.Capture.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="HepCaptureListener"/> with a host.</summary>
public static class HepCaptureServiceCollectionExtensions
{
    /// <summary>
    /// Adds a HEP capture listener as a hosted service (and as a singleton, to read its counters), built
    /// from <see cref="IOptions{TOptions}"/> of <see cref="HepCaptureOptions"/>: <paramref name="configure"/>
    /// is registered as <c>services.Configure</c>, so other <c>services.Configure&lt;HepCaptureOptions&gt;</c>
    /// calls (before or after, binding an <c>IConfiguration</c> section among them) apply too, in the order
    /// they were made. The options are validated when the host starts: invalid ones make
    /// <c>StartAsync</c> throw an <see cref="OptionsValidationException"/> naming each bad setting. It uses
    /// the container's <see cref="TimeProvider"/> when one is registered, and logs through its
    /// <see cref="ILogger{TCategoryName}"/> of <see cref="HepCaptureListener"/> when logging is registered
    /// (as every host does). Collect its spans and metrics with <c>AddSipInstrumentation()</c> on the
    /// OpenTelemetry builders.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options (address, port, queue, nodes, tracer options), or <see langword="null"/>.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">A listener is already registered: one host runs one (a second would bind the same port).</exception>
    public static IServiceCollection AddHepCaptureListener(this IServiceCollection services, Action<HepCaptureOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(HepCaptureListener)))
        {
            throw new InvalidOperationException("A HepCaptureListener is already registered; configure it in one AddHepCaptureListener call.");
        }

        services.AddOptions<HepCaptureOptions>().ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HepCaptureOptions>, HepCaptureOptionsValidator>());
        services.AddSingleton(provider => new HepCaptureListener(
            provider.GetRequiredService<IOptions<HepCaptureOptions>>().Value,
            provider.GetService<TimeProvider>(),
            provider.GetService<ILogger<HepCaptureListener>>()));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<HepCaptureListener>());
        return services;
    }
}
