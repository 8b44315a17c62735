using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace SipTraceContext.Collector.Tests;

/// <summary>
/// The self-contained build the collector's README and systemd unit describe
/// (<c>dotnet publish tools/Collector -c Release -r linux-x64 --self-contained</c>) runs on a host
/// without .NET: started with neither <c>dotnet</c> on PATH nor <c>DOTNET_ROOT</c>, it answers its
/// health endpoint and stops with exit code 0 on SIGINT.
/// </summary>
public sealed class SelfContainedPublishTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [DotnetFact]
    public async Task The_self_contained_build_runs_without_dotnet()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            return; // The documented build is linux-x64; CI runs there.
        }

        string work = Directory.CreateTempSubdirectory("collector-self-contained-").FullName;
        try
        {
            string output = Path.Combine(work, "app");
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            using (await ToolPackage.LockPackingAsync(ToolPackage.RepositoryRoot))
            {
                await RunToEndAsync(ToolPackage.FindDotnet()!, ToolPackage.RepositoryRoot, "publish", "tools/Collector", "-c", configuration, "-r", "linux-x64", "--self-contained", "-o", output);
            }

            string executable = Path.Combine(output, "SipTraceContext.Collector");
            Assert.True(File.Exists(executable), $"no {executable} after publishing");
            Assert.True(File.Exists(Path.Combine(output, "libcoreclr.so")), "the build carries no runtime (not self-contained)");

            string[] args = Collector.OnFreePorts(out _, out string health);
            var start = new ProcessStartInfo(executable) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            // A host without .NET: nothing points at an installed runtime.
            start.Environment.Remove("DOTNET_ROOT");
            start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            using Process collector = Process.Start(start)!;
            var outputText = new System.Text.StringBuilder();
            collector.OutputDataReceived += (_, e) => { lock (outputText) { outputText.AppendLine(e.Data); } };
            collector.ErrorDataReceived += (_, e) => { lock (outputText) { outputText.AppendLine(e.Data); } };
            collector.BeginOutputReadLine();
            collector.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                var clock = Stopwatch.StartNew();
                HttpStatusCode status = default;
                while (status != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    Assert.False(collector.HasExited, $"the self-contained collector exited at start:\n{Text()}");
                    try
                    {
                        using HttpResponseMessage response = await http.GetAsync(new Uri(health + "healthz"));
                        status = response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(200);
                    }
                }

                Assert.True(status == HttpStatusCode.OK, $"{health}healthz did not answer 200 within 30 s:\n{Text()}");

                using (Process kill = Process.Start("kill", ["-INT", collector.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync();
                }

                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await collector.WaitForExitAsync(stop.Token);
                Assert.True(collector.ExitCode == 0, $"exit code {collector.ExitCode}:\n{Text()}");
                Assert.Contains("Ready: receiving HEP on 127.0.0.1:", Text(), StringComparison.Ordinal);
            }
            finally
            {
                if (!collector.HasExited)
                {
                    collector.Kill(entireProcessTree: true);
                }
            }

            string Text()
            {
                lock (outputText)
                {
                    return outputText.ToString();
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task RunToEndAsync(string program, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
