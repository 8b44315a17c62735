using System.Diagnostics;

namespace SipTraceContext.Collector.Tests;

/// <summary>Packs the tool, installs it with <c>dotnet tool install</c> from that package, and runs it.</summary>
public sealed class ToolPackageTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [DotnetFact]
    public async Task The_packed_tool_installs_and_runs()
    {
        string dotnet = DotnetFactAttribute.FindDotnet()!;
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SipTraceContext.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        string work = Directory.CreateTempSubdirectory("collector-tool-").FullName;
        try
        {
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            // The tool is built already (this project references it); pack what was built.
            await RunAsync(dotnet, root, work, "pack", "tools/Collector", "-c", configuration, "--no-build", "-o", Path.Combine(work, "packages"));
            string package = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(Path.Combine(work, "packages"), "SipTraceContext.Collector.*.nupkg")));
            string version = package["SipTraceContext.Collector.".Length..];

            await RunAsync(dotnet, root, work, "tool", "install", "--tool-path", Path.Combine(work, "tool"), "--add-source", Path.Combine(work, "packages"), "SipTraceContext.Collector", "--version", version);
            string help = await RunAsync(Path.Combine(work, "tool", OperatingSystem.IsWindows() ? "siptracecontext-collector.exe" : "siptracecontext-collector"), root, work, "--help");

            Assert.Contains("--prometheus <prefix>", help, StringComparison.Ordinal);
            Assert.Contains("--node <agent=ip:port>", help, StringComparison.Ordinal);
            Assert.True(File.Exists(Directory.GetFiles(Path.Combine(work, "tool"), "appsettings.json", SearchOption.AllDirectories).Single()));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Runs a program to its end; its standard output, or a failure with both outputs.</summary>
    private static async Task<string> RunAsync(string program, string directory, string work, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A packages folder of its own: the machine's would keep an older build of the same version.
        start.Environment["NUGET_PACKAGES"] = Path.Combine(work, "nuget");
        start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(DotnetFactAttribute.FindDotnet()!);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }
}

/// <summary>A fact that needs the <c>dotnet</c> CLI on PATH (CI has it); skipped, saying so, where it is missing.</summary>
public sealed class DotnetFactAttribute : FactAttribute
{
    public DotnetFactAttribute()
    {
        if (FindDotnet() is null)
        {
            Skip = "needs the dotnet CLI on PATH";
        }
    }

    /// <summary>The full path of <c>dotnet</c> on PATH (links resolved), or <see langword="null"/>.</summary>
    public static string? FindDotnet()
    {
        string name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var file = new FileInfo(Path.Combine(directory, name));
            if (file.Exists)
            {
                return (file.ResolveLinkTarget(returnFinalTarget: true) ?? file).FullName;
            }
        }

        return null;
    }
}
