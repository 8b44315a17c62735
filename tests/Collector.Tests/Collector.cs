using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SipTraceContext.Capture;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Collector.Tests;

/// <summary>Builds the collector's host from a command line, as the tool does.</summary>
internal static class Collector
{
    public static CollectorSettings Settings(params string[] args)
    {
        System.CommandLine.ParseResult result = CollectorCommand.Create().Parse(args);
        Assert.True(CollectorCommand.TryGetSettings(result, out CollectorSettings? settings, out string? problem), problem);
        return settings;
    }

    public static IHost Build(params string[] args) => CollectorHost.Build(Settings(args));

    public static HepCaptureOptions Options(params string[] args)
    {
        using IHost host = Build(args);
        return host.Services.GetRequiredService<IOptions<HepCaptureOptions>>().Value;
    }

    /// <summary>
    /// The arguments that keep a test off the ports appsettings.json names (9060, 9464, 9465), then
    /// <paramref name="args"/> (option and value pairs), which replace the defaults they name.
    /// </summary>
    public static string[] OnFreePorts(out string prometheus, out string health, params string[] args)
    {
        prometheus = $"http://127.0.0.1:{LoopbackPorts.NextTcp()}/";
        health = $"http://127.0.0.1:{LoopbackPorts.NextTcp()}/";
        var options = new Dictionary<string, string>
        {
            ["--address"] = "127.0.0.1",
            ["--port"] = "0",
            ["--prometheus"] = prometheus,
            ["--health"] = health,
        };
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        return [.. options.SelectMany(o => new[] { o.Key, o.Value })];
    }
}
