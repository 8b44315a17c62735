namespace SipTraceContext.Collector.Tests;

/// <summary>Packs the tool, installs it with <c>dotnet tool install</c> from that package, and runs it.</summary>
public sealed class ToolPackageTests
{
    [DotnetFact]
    public async Task The_packed_tool_installs_and_runs()
    {
        using ToolPackage tool = await ToolPackage.PackAndInstallAsync();
        string help = await tool.RunAsync(tool.Command, ToolPackage.RepositoryRoot, "--help");

        Assert.Contains("--prometheus <prefix>", help, StringComparison.Ordinal);
        Assert.Contains("--node <agent=ip:port>", help, StringComparison.Ordinal);
        Assert.True(File.Exists(Directory.GetFiles(tool.ToolPath, "appsettings.json", SearchOption.AllDirectories).Single()));
    }
}

/// <summary>A fact that needs the <c>dotnet</c> CLI on PATH (CI has it); skipped, saying so, where it is missing.</summary>
public sealed class DotnetFactAttribute : FactAttribute
{
    public DotnetFactAttribute()
    {
        if (ToolPackage.FindDotnet() is null)
        {
            Skip = "needs the dotnet CLI on PATH";
        }
    }
}
