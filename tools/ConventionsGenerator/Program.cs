using SipTraceContext.ConventionsGenerator;

// Regenerates src/Conventions/Generated/*.g.cs and docs/semantic-conventions.md from src/Conventions/model.
//   dotnet run --project tools/ConventionsGenerator              writes what changed
//   dotnet run --project tools/ConventionsGenerator -- --check   writes nothing, exits 1 when a file is stale
//   ... -- --root <dir>                                          repository root (default: found from the
//                                                                current folder, else from the tool's folder)
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

root ??= ConventionsGeneration.FindRepositoryRoot(Directory.GetCurrentDirectory())
    ?? ConventionsGeneration.FindRepositoryRoot(AppContext.BaseDirectory);
if (root is null)
{
    Console.Error.WriteLine($"no {ConventionsGeneration.SolutionFileName} above the current folder; pass --root");
    return 2;
}

IReadOnlyList<GeneratedFile> files;
try
{
    files = ConventionsGeneration.Generate(root);
}
catch (InvalidDataException e)
{
    Console.Error.WriteLine($"model error: {e.Message}");
    return 1;
}

if (check)
{
    var stale = ConventionsGeneration.FindStaleFiles(root, files);
    foreach (var path in stale)
    {
        Console.Error.WriteLine($"stale: {path}");
    }

    if (stale.Count > 0)
    {
        Console.Error.WriteLine($"run `{ConventionsGeneration.RegenerateCommand}` and commit the result");
        return 1;
    }

    Console.WriteLine($"{files.Count} generated files are up to date");
    return 0;
}

var changed = ConventionsGeneration.Write(root, files);
foreach (var path in changed)
{
    Console.WriteLine($"wrote {path}");
}

Console.WriteLine($"{files.Count} generated files, {changed.Count} changed");
return 0;
