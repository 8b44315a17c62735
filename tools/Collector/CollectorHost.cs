using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SipTraceContext.Capture;

namespace SipTraceContext.Collector;

/// <summary>Builds the collector's generic host from its configuration.</summary>
internal static class CollectorHost
{
    /// <summary>The prefix of the environment variables the collector reads (<c>SIPTRACECONTEXT_HepCapture__Port</c>).</summary>
    public const string EnvironmentPrefix = "SIPTRACECONTEXT_";

    /// <summary>The OpenTelemetry <c>service.name</c> unless <c>OTEL_SERVICE_NAME</c> or <c>OTEL_RESOURCE_ATTRIBUTES</c> say otherwise.</summary>
    public const string ServiceName = "siptracecontext-collector";

    private const int MaxDefaultConsumers = 4;

    /// <summary>
    /// The host: configuration in this order, later sources winning: <c>appsettings.json</c> next to the
    /// tool, the <c>--config</c> file, <c>SIPTRACECONTEXT_</c> environment variables, the
    /// <c>--Section:Key</c> arguments, the named switches.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(CollectorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);

        // DisableDefaults: no unprefixed environment variables, no appsettings.json from the working
        // directory; what the collector reads is exactly what the README lists.
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = ServiceName,
        });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (settings.ConfigFile is not null)
        {
            builder.Configuration.AddJsonFile(settings.ConfigFile, optional: false, reloadOnChange: false);
        }

        builder.Configuration
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(settings.ConfigurationArguments)
            .AddInMemoryCollection(settings.Switches);

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        // Under systemd: Type=notify readiness (READY=1 once started), journal log levels; elsewhere nothing.
        builder.Services.AddSystemd();

        var exporters = ExporterSettings.Read(builder.Configuration);

        // OpenTelemetry first: its hosted service builds the meter provider before the listener starts, so
        // the listener's zero-valued series (sip.capture.*) are recorded, and a scrape right after start shows them.
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddSipInstrumentation();
                if (exporters.Otlp is { } otlp)
                {
                    metrics.AddOtlpExporter(o => ConfigureOtlp(o, otlp, exporters.OtlpProtocol, "v1/metrics"));
                }

                if (exporters.Prometheus is { } prometheus)
                {
                    metrics.AddPrometheusHttpListener(o =>
                    {
                        o.Host = prometheus.Host;
                        o.Port = prometheus.Port;
                        o.ScrapeEndpointPath = prometheus.Path + "metrics";
                    });
                }
            });
        if (exporters.Otlp is { } traces)
        {
            // Spans go out with OTLP only; without a trace exporter the tracers make no spans at all.
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
                .AddSipInstrumentation()
                .AddOtlpExporter(o => ConfigureOtlp(o, traces, exporters.OtlpProtocol, "v1/traces")));
        }

        builder.Services.AddHepCaptureListener();

        // The tool sets no DirectionResolver, so its consumers can run in parallel: one per processor
        // (at most 4: the one receive loop feeding them is the limit) unless the configuration says otherwise.
        builder.Services.Configure<HepCaptureOptions>(o => o.ConsumerCount = Math.Min(Environment.ProcessorCount, MaxDefaultConsumers));
        builder.Services.Configure<HepCaptureOptions>(builder.Configuration.GetSection("HepCapture"));
        builder.Services.AddSingleton(exporters);
        builder.Services.AddSingleton(new HealthSettings(HttpPrefix.Read(builder.Configuration, "Health:Prefix")));
        builder.Services.AddHostedService<StartupReport>();
        builder.Services.AddHostedService<HealthEndpoint>();
        return builder;
    }

    /// <summary>The built host, ready to start.</summary>
    public static IHost Build(CollectorSettings settings) => CreateBuilder(settings).Build();

    /// <summary>
    /// The endpoint as given for gRPC; over HTTP, a base address (path <c>/</c>, as <c>http://host:4318</c>)
    /// gets the signal's path: the exporter appends <c>v1/traces</c> or <c>v1/metrics</c> only to an endpoint
    /// from <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, not to one set in code, and would post both signals to <c>/</c>.
    /// </summary>
    private static void ConfigureOtlp(OtlpExporterOptions options, Uri endpoint, OtlpExportProtocol? protocol, string signalPath)
    {
        if (protocol is { } p)
        {
            options.Protocol = p;
        }

        options.Endpoint = options.Protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath == "/"
            ? new Uri(endpoint, signalPath)
            : endpoint;
    }
}
