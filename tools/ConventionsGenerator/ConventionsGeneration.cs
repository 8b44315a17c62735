using SipTraceContext.Tools;

namespace SipTraceContext.ConventionsGenerator;

/// <summary>
/// The generator as a library: the console entry point writes what <see cref="Generate"/> returns, and the
/// tests compare it with the committed files.
/// </summary>
internal static class ConventionsGeneration
{
    /// <summary>The command that regenerates every output, run from the repository root.</summary>
    public const string RegenerateCommand = "dotnet run --project tools/ConventionsGenerator";

    /// <summary>The file that marks the repository root.</summary>
    public const string SolutionFileName = GeneratedFiles.SolutionFileName;

    /// <summary>The model folder, relative to the repository root.</summary>
    public const string ModelDirectory = "src/Conventions/model";

    /// <summary>The folder of the generated C# files, relative to the repository root. It holds nothing else.</summary>
    public const string GeneratedCodeDirectory = "src/Conventions/Generated";

    /// <summary>The generated reference document, relative to the repository root.</summary>
    public const string DocumentPath = "docs/semantic-conventions.md";

    /// <summary>Loads the model under <paramref name="repositoryRoot"/> and returns every generated file.</summary>
    public static IReadOnlyList<GeneratedFile> Generate(string repositoryRoot)
    {
        var model = ModelLoader.Load(Path.Combine(repositoryRoot, ModelDirectory));
        var files = CSharpGenerator.Generate(model)
            .Select(f => new GeneratedFile(GeneratedCodeDirectory + "/" + f.FileName, f.Content))
            .ToList();
        files.Add(new GeneratedFile(DocumentPath, MarkdownGenerator.Generate(model)));
        return files;
    }

    /// <summary>The generated files that differ from the committed ones, are missing, or are no longer generated.</summary>
    public static IReadOnlyList<string> FindStaleFiles(string repositoryRoot, IReadOnlyList<GeneratedFile> files) =>
        GeneratedFiles.FindStale(repositoryRoot, files, GeneratedCodeDirectory);

    /// <summary>Writes the generated files and deletes stale ones; returns the relative paths that changed.</summary>
    public static IReadOnlyList<string> Write(string repositoryRoot, IReadOnlyList<GeneratedFile> files) =>
        GeneratedFiles.Write(repositoryRoot, files, GeneratedCodeDirectory);

    /// <summary>The folder above <paramref name="startDirectory"/> that holds the solution, or null.</summary>
    public static string? FindRepositoryRoot(string startDirectory) => GeneratedFiles.FindRepositoryRoot(startDirectory);
}
