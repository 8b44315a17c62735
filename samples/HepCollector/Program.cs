using HepCollector;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

CollectorOptions? options = CollectorOptions.Parse(args, out string? error);
if (options is null || options.Help)
{
    Console.Error.WriteLine(error is null ? CollectorOptions.Usage : $"{error}\n\n{CollectorOptions.Usage}");
    return options is null ? 2 : 0;
}

HostApplicationBuilder builder = Host.CreateApplicationBuilder();
builder.Services.AddHepCaptureListener(capture =>
{
    capture.Address = options.Listen.Address.ToString();
    capture.Port = options.Listen.Port;
    capture.AuthKey = options.AuthKey;
    capture.QueueCapacity = options.Queue;
    foreach (var node in options.Nodes)
    {
        capture.NodeEndPoints.Add(node.ToString());
    }
});
builder.Services.AddHostedService<StatusReporter>();

builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService("hep-collector"))
    .WithTracing(tracing =>
    {
        tracing.AddSipInstrumentation();
        if (options.Otlp is { } endpoint)
        {
            tracing.AddOtlpExporter(otlp => otlp.Endpoint = endpoint);
        }
        else
        {
            tracing.AddConsoleExporter();
        }
    })
    .WithMetrics(metrics =>
    {
        metrics.AddSipInstrumentation();
        if (options.Otlp is { } endpoint)
        {
            metrics.AddOtlpExporter(otlp => otlp.Endpoint = endpoint);
        }
        else
        {
            metrics.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 30_000);
        }
    });

using IHost host = builder.Build();
Console.WriteLine($"HepCollector: HEP on udp {options.Listen}, nodes [{string.Join(", ", options.Nodes)}], exporting to {options.Otlp?.ToString() ?? "the console"}; Ctrl+C stops.");
if (options.StopAfter is { } stopAfter)
{
    using var stop = new CancellationTokenSource(stopAfter);
    await host.RunAsync(stop.Token);
}
else
{
    await host.RunAsync();
}

return 0;
