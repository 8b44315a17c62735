using System.Diagnostics;

namespace SipTraceContext.Collector.Tests;

/// <summary>
/// Packs the collector (already built: <c>dotnet pack --no-build</c>) and installs it with
/// <c>dotnet tool install --tool-path</c> from that package, in a folder of its own that
/// <see cref="Dispose"/> deletes. Shared with the interoperability tests (linked there).
/// </summary>
internal sealed class ToolPackage : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private ToolPackage(string work)
    {
        Work = work;
    }

    /// <summary>The temporary folder: <c>packages/</c>, <c>tool/</c> and <c>nuget/</c> under it.</summary>
    public string Work { get; }

    /// <summary>The folder <c>dotnet tool install --tool-path</c> installed into.</summary>
    public string ToolPath => Path.Combine(Work, "tool");

    /// <summary>The installed command, <c>siptracecontext-collector</c>.</summary>
    public string Command => Path.Combine(ToolPath, OperatingSystem.IsWindows() ? "siptracecontext-collector.exe" : "siptracecontext-collector");

    /// <summary>The repository's root (where SipTraceContext.sln is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            string root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "SipTraceContext.sln")))
            {
                root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("SipTraceContext.sln not found above " + AppContext.BaseDirectory);
            }

            return root;
        }
    }

    /// <summary>Packs the built tool and installs it from the package.</summary>
    public static async Task<ToolPackage> PackAndInstallAsync()
    {
        string dotnet = FindDotnet() ?? throw new InvalidOperationException("needs the dotnet CLI on PATH");
        string root = RepositoryRoot;
        var package = new ToolPackage(Directory.CreateTempSubdirectory("collector-tool-").FullName);
        try
        {
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            // The tool is built already (the test project references it); pack what was built.
            string packages = Path.Combine(package.Work, "packages");
            using (await LockPackingAsync(root))
            {
                await package.RunAsync(dotnet, root, "pack", "tools/Collector", "-c", configuration, "--no-build", "-o", packages);
            }

            string name = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(packages, "SipTraceContext.Collector.*.nupkg")));
            string version = name["SipTraceContext.Collector.".Length..];
            await package.RunAsync(dotnet, root, "tool", "install", "--tool-path", package.ToolPath, "--add-source", packages, "SipTraceContext.Collector", "--version", version);
            return package;
        }
        catch
        {
            package.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One pack at a time: the test projects run in parallel (dotnet test of the solution), and two
    /// packs of the same project write the same files under its obj/. The lock file is held open
    /// exclusively (an advisory lock on Linux, honoured by every .NET process).
    /// </summary>
    internal static async Task<FileStream> LockPackingAsync(string root)
    {
        string file = Path.Combine(root, "artifacts", "collector-pack.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < Limit)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>The environment a program started from the package needs: <c>DOTNET_ROOT</c> and a NuGet folder of its own.</summary>
    public void SetEnvironment(IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);

        // A packages folder of its own: the machine's would keep an older build of the same version.
        environment["NUGET_PACKAGES"] = Path.Combine(Work, "nuget");
        environment["DOTNET_ROOT"] = Path.GetDirectoryName(FindDotnet()!);
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
    }

    /// <summary>Runs a program to its end; its standard output, or a failure with both outputs.</summary>
    public async Task<string> RunAsync(string program, string directory, params string[] args)
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

        SetEnvironment(start.Environment);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
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

    public void Dispose() => Directory.Delete(Work, recursive: true);
}
