using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SipTraceContext.Collector.Tests;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// The installed collector tool (<c>siptracecontext-collector</c>) run as an operator runs it: one
/// command with a config file written from <c>settings</c>, ready when its health endpoint answers 200,
/// stopped with SIGINT.
/// </summary>
internal sealed class CollectorProcess
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private CollectorProcess(ChildProcess process, string config)
    {
        Process = process;
        Config = config;
    }

    public ChildProcess Process { get; }

    /// <summary>The config file's path.</summary>
    public string Config { get; }

    /// <summary>
    /// Writes <paramref name="settings"/> (the appsettings shape) to <c>&lt;name&gt;.json</c> in the tool's
    /// folder, adds a health endpoint on a free port, starts the tool with <c>--config</c> and waits until
    /// the health endpoint answers 200. <paramref name="own"/> takes the process, so it is stopped
    /// whatever the test does.
    /// </summary>
    public static async Task<CollectorProcess> StartAsync(ToolPackage tool, string name, Dictionary<string, object> settings, SipTranscript transcript, Func<ChildProcess, ChildProcess> own)
    {
        int healthPort = LoopbackPorts.NextTcp();
        settings["Health"] = new Dictionary<string, string> { ["Prefix"] = $"http://127.0.0.1:{healthPort}/" };
        string config = Path.Combine(tool.Work, name + ".json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(settings));

        ChildProcess process = own(ChildProcess.Start(tool.Command, ["--config", config], tool.Work, tool.SetEnvironment));
        transcript.Note($"collector {name} pid {process.Id}: {tool.Command} --config {config} ({File.ReadAllText(config)})");
        await WaitForHealthAsync(process, $"http://127.0.0.1:{healthPort}/healthz");
        return new CollectorProcess(process, config);
    }

    /// <summary>SIGINT, as a terminal's Ctrl+C or a script's <c>kill -INT</c>: the collector flushes and must exit 0 within 10 s.</summary>
    public async Task InterruptAsync()
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", Process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        Assert.True(await Process.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the collector did not stop within 10 s of SIGINT");
        Assert.True(Process.ExitCode == 0, $"the collector exited {Process.ExitCode}:\n{Process.Output}");
    }

    private static async Task WaitForHealthAsync(ChildProcess collector, string uri)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Assert.False(collector.HasExited, $"the collector exited at start:\n{collector.Output}");
            try
            {
                using HttpResponseMessage response = await Http.GetAsync(new Uri(uri));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{uri} did not answer 200 within 30 s:\n{collector.Output}");
    }
}
