using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SipTraceContext.Capture;

namespace SipTraceContext.Collector;

/// <summary>
/// Logs one line when the collector is ready (where HEP is received, where spans and metrics go) and one
/// with the counts when it stops: nothing in between, the counts are on the metrics.
/// </summary>
internal sealed partial class StartupReport(
    HepCaptureListener listener,
    ExporterSettings exporters,
    HealthSettings health,
    IHostApplicationLifetime lifetime,
    ILogger<StartupReport> logger) : IHostedService
{
    private CancellationTokenRegistration _started;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = lifetime.ApplicationStarted.Register(Ready);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _started.Dispose();
        Stopped(logger, listener.PacketsReceived, listener.PacketsRecorded, listener.PacketsDropped, listener.CaptureAgents);
        return Task.CompletedTask;
    }

    private void Ready()
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        string metrics = exporters.Prometheus is { } prometheus ? $"Prometheus scrape at {prometheus}metrics" : "no Prometheus scrape";
        string otlp = exporters.Otlp is { } endpoint ? "OTLP to " + endpoint : "no OTLP";
        string hep = listener.LocalEndPoint?.ToString() ?? "?";
        string healthz = health.Prefix is { } prefix ? $"at {prefix}healthz" : "not served";
        Listening(logger, hep, metrics, otlp, healthz);
        if (exporters.Otlp is null && exporters.Prometheus is null)
        {
            NoExporter(logger);
        }
    }

    [LoggerMessage(EventId = 1, EventName = "CollectorReady", Level = LogLevel.Information,
        Message = "Ready: receiving HEP on {HepEndPoint}; {Metrics}; {Otlp}; health {Health}")]
    private static partial void Listening(ILogger logger, string hepEndPoint, string metrics, string otlp, string health);

    [LoggerMessage(EventId = 2, EventName = "CollectorNoExporter", Level = LogLevel.Warning,
        Message = "No exporter is configured: spans and metrics go nowhere. Set Exporters:Otlp:Endpoint (--otlp) or Exporters:Prometheus:Prefixes (--prometheus).")]
    private static partial void NoExporter(ILogger logger);

    [LoggerMessage(EventId = 3, EventName = "CollectorStopped", Level = LogLevel.Information,
        Message = "Stopping: {Received} HEP packets received, {Recorded} recorded, {Dropped} dropped, {Agents} capture agents")]
    private static partial void Stopped(ILogger logger, long received, long recorded, long dropped, int agents);
}
