using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SipTraceContext.Capture;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="HepCaptureListener"/> with a host.</summary>
public static class HepCaptureServiceCollectionExtensions
{
    /// <summary>
    /// Adds a HEP capture listener as a hosted service (and as a singleton, to read its counters). It
    /// uses the container's <see cref="TimeProvider"/> when one is registered, and logs through its
    /// <see cref="ILogger{TCategoryName}"/> of <see cref="HepCaptureListener"/> when logging is registered
    /// (as every host does). Collect its spans and metrics with <c>AddSipInstrumentation()</c> on the
    /// OpenTelemetry builders.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options (address, port, queue, nodes, tracer options).</param>
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

        var options = new HepCaptureOptions();
        configure?.Invoke(options);
        services.AddSingleton(provider => new HepCaptureListener(options, provider.GetService<TimeProvider>(), provider.GetService<ILogger<HepCaptureListener>>()));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<HepCaptureListener>());
        return services;
    }
}
