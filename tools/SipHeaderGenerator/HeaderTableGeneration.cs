namespace SipTraceContext.SipHeaderGenerator;

/// <summary>A file the generator produces: its path relative to the repository root, and its content.</summary>
internal sealed record GeneratedFile(string RelativePath, string Content);

/// <summary>
/// The generator as a library: the console entry point writes what <see cref="Generate"/> returns, and the
/// tests compare it with the committed files.
/// </summary>
internal static class HeaderTableGeneration
{
    /// <summary>The command that regenerates every output, run from the repository root.</summary>
    public const string RegenerateCommand = "dotnet run --project tools/SipHeaderGenerator";

    /// <summary>The file that marks the repository root.</summary>
    public const string SolutionFileName = "SipTraceContext.sln";

    /// <summary>The model file, relative to the repository root.</summary>
    public const string ModelPath = "src/Sip.Abstractions/model/sip-headers.yaml";

    /// <summary>The folder of the generated C# files, relative to the repository root. It holds nothing else.</summary>
    public const string GeneratedCodeDirectory = "src/Sip.Abstractions/Generated";

    /// <summary>Loads the model under <paramref name="repositoryRoot"/> and returns every generated file.</summary>
    public static IReadOnlyList<GeneratedFile> Generate(string repositoryRoot)
    {
        var headers = HeaderModelLoader.Load(Path.Combine(repositoryRoot, ModelPath));
        return HeaderTableGenerator.Generate(headers)
            .Select(f => new GeneratedFile(GeneratedCodeDirectory + "/" + f.FileName, f.Content))
            .ToList();
    }

    /// <summary>
    /// Compares the generated files with what is on disk and returns the relative paths that differ, are missing,
    /// or sit in the generated folder without being generated. Line endings are not compared (a checkout on
    /// Windows may have CRLF).
    /// </summary>
    public static IReadOnlyList<string> FindStaleFiles(string repositoryRoot, IReadOnlyList<GeneratedFile> files)
    {
        var stale = new List<string>();
        foreach (var file in files)
        {
            var path = Path.Combine(repositoryRoot, file.RelativePath);
            if (!File.Exists(path) || File.ReadAllText(path).ReplaceLineEndings("\n") != file.Content)
            {
                stale.Add(file.RelativePath);
            }
        }

        var generatedDirectory = Path.Combine(repositoryRoot, GeneratedCodeDirectory);
        if (Directory.Exists(generatedDirectory))
        {
            var expected = files.Select(f => f.RelativePath).ToHashSet(StringComparer.Ordinal);
            foreach (var path in Directory.GetFiles(generatedDirectory, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(repositoryRoot, path).Replace('\\', '/');
                if (!expected.Contains(relative))
                {
                    stale.Add(relative);
                }
            }
        }

        stale.Sort(StringComparer.Ordinal);
        return stale;
    }

    /// <summary>
    /// Writes the generated files, and deletes files in the generated folder that are no longer generated.
    /// Returns the relative paths that changed.
    /// </summary>
    public static IReadOnlyList<string> Write(string repositoryRoot, IReadOnlyList<GeneratedFile> files)
    {
        var changed = FindStaleFiles(repositoryRoot, files);
        var byPath = files.ToDictionary(f => f.RelativePath, StringComparer.Ordinal);
        foreach (var relative in changed)
        {
            var path = Path.Combine(repositoryRoot, relative);
            if (byPath.TryGetValue(relative, out var file))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, file.Content);
            }
            else
            {
                File.Delete(path);
            }
        }

        return changed;
    }

    /// <summary>
    /// Walks up from <paramref name="startDirectory"/> to the folder that holds <see cref="SolutionFileName"/>.
    /// Returns null when there is none.
    /// </summary>
    public static string? FindRepositoryRoot(string startDirectory)
    {
        for (var directory = new DirectoryInfo(startDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
