using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>The services <c>AddSipInstrumentation</c> registers for a tracer name.</summary>
internal static class SipCallTracerRegistration
{
    public static void Register(IServiceCollection services, string name, Action<SipCallTracerOptions>? configure)
    {
        services.AddOptions<SipCallTracerOptions>(name).ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(name, configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SipCallTracerOptions>, SipCallTracerOptionsValidator>());

        // One owner per name; the provider disposes it (AddInstrumentation), the container too (idempotent).
        services.TryAddKeyedSingleton(name, (provider, _) => new SipCallTracerOwner(provider, name));
        services.TryAddKeyedSingleton(name, (provider, _) => provider.GetRequiredKeyedService<SipCallTracerOwner>(name).Tracer);
        if (name.Length == 0)
        {
            services.TryAddSingleton(provider => provider.GetRequiredKeyedService<SipCallTracerOwner>(name).Tracer);
        }
    }
}

/// <summary>
/// Creates the tracer of a name when it is first resolved, and disposes it with the tracer provider.
/// </summary>
internal sealed class SipCallTracerOwner(IServiceProvider services, string name) : IDisposable
{
    private readonly object _gate = new();
    private SipCallTracer? _tracer;
    private bool _disposed;

    public SipCallTracer Tracer
    {
        get
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(SipCallTracer), "The tracer provider that owned this SIP call tracer was disposed.");
                }

                return _tracer ??= new SipCallTracer(
                    services.GetRequiredService<IOptionsMonitor<SipCallTracerOptions>>().Get(name),
                    services.GetService<TimeProvider>());
            }
        }
    }

    public void Dispose()
    {
        SipCallTracer? tracer;
        lock (_gate)
        {
            _disposed = true;
            tracer = _tracer;
        }

        tracer?.Dispose();
    }
}

/// <summary>Checks tracer options (any name) with the rules the tracer's constructor applies.</summary>
internal sealed class SipCallTracerOptionsValidator : IValidateOptions<SipCallTracerOptions>
{
    public ValidateOptionsResult Validate(string? name, SipCallTracerOptions options)
    {
        string? error = options.FindError();
        return error is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"SipCallTracerOptions{(string.IsNullOrEmpty(name) ? string.Empty : $" '{name}'")}: {error}");
    }
}
