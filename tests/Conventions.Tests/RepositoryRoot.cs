using SipTraceContext.ConventionsGenerator;

namespace SipTraceContext.Conventions.Tests;

/// <summary>The repository root, found by walking up from the test's base directory to SipTraceContext.sln.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> s_path = new(() =>
        ConventionsGeneration.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException(
            $"No {ConventionsGeneration.SolutionFileName} above {AppContext.BaseDirectory}: run the tests from a checkout of the repository."));

    public static string Path => s_path.Value;
}
