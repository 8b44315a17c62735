namespace SipTraceContext.Tools;

/// <summary>A file a generator produces: its path relative to the repository root, and its content.</summary>
internal sealed record GeneratedFile(string RelativePath, string Content);

/// <summary>
/// What the repository's generators share (linked into each tool): finding the repository root,
/// comparing generated files with the committed ones, writing them, and the command line.
/// </summary>
internal static class GeneratedFiles
{
    /// <summary>The file that marks the repository root.</summary>
    public const string SolutionFileName = "SipTraceContext.sln";

    /// <summary>
    /// Compares the generated files with what is on disk and returns the relative paths that differ, are missing,
    /// or sit in <paramref name="generatedDirectory"/> without being generated. Line endings are not compared (a
    /// checkout on Windows may have CRLF).
    /// </summary>
    public static IReadOnlyList<string> FindStale(string repositoryRoot, IReadOnlyList<GeneratedFile> files, string generatedDirectory)
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

        var directory = Path.Combine(repositoryRoot, generatedDirectory);
        if (Directory.Exists(directory))
        {
            var expected = files.Select(f => f.RelativePath).ToHashSet(StringComparer.Ordinal);
            foreach (var path in Directory.GetFiles(directory, "*", SearchOption.AllDirectories))
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
    /// Writes the generated files, and deletes files in <paramref name="generatedDirectory"/> that are no longer
    /// generated. Returns the relative paths that changed.
    /// </summary>
    public static IReadOnlyList<string> Write(string repositoryRoot, IReadOnlyList<GeneratedFile> files, string generatedDirectory)
    {
        var changed = FindStale(repositoryRoot, files, generatedDirectory);
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

    /// <summary>
    /// The generators' command line: <c>[--check] [--root &lt;repository root&gt;]</c>. Writes what changed, or with
    /// <c>--check</c> writes nothing and returns 1 when a file is stale; 2 for bad arguments, 1 for a model error.
    /// </summary>
    public static int Run(string[] args, string regenerateCommand, Func<string, IReadOnlyList<GeneratedFile>> generate, string generatedDirectory)
    {
        var check = false;
        string? root = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--check":
                    check = true;
                    break;
                case "--root" when i + 1 < args.Length:
                    root = Path.GetFullPath(args[++i]);
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'. Usage: [--check] [--root <repository root>]");
                    return 2;
            }
        }

        root ??= FindRepositoryRoot(Directory.GetCurrentDirectory()) ?? FindRepositoryRoot(AppContext.BaseDirectory);
        if (root is null)
        {
            Console.Error.WriteLine($"no {SolutionFileName} above the current folder; pass --root");
            return 2;
        }

        IReadOnlyList<GeneratedFile> files;
        try
        {
            files = generate(root);
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"model error: {e.Message}");
            return 1;
        }

        if (check)
        {
            var stale = FindStale(root, files, generatedDirectory);
            foreach (var path in stale)
            {
                Console.Error.WriteLine($"stale: {path}");
            }

            if (stale.Count > 0)
            {
                Console.Error.WriteLine($"run `{regenerateCommand}` and commit the result");
                return 1;
            }

            Console.WriteLine($"{files.Count} generated files are up to date");
            return 0;
        }

        var changed = Write(root, files, generatedDirectory);
        foreach (var path in changed)
        {
            Console.WriteLine($"wrote {path}");
        }

        Console.WriteLine($"{files.Count} generated files, {changed.Count} changed");
        return 0;
    }
}
