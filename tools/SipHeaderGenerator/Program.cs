using SipTraceContext.SipHeaderGenerator;

// Regenerates src/Sip.Abstractions/Generated/*.g.cs from src/Sip.Abstractions/model/sip-headers.yaml.
//   dotnet run --project tools/SipHeaderGenerator              writes what changed
//   dotnet run --project tools/SipHeaderGenerator -- --check   writes nothing, exits 1 when a file is stale
//   ... -- --root <dir>                                        repository root (default: found from the
//                                                              current folder, else from the tool's folder)
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

root ??= HeaderTableGeneration.FindRepositoryRoot(Directory.GetCurrentDirectory())
    ?? HeaderTableGeneration.FindRepositoryRoot(AppContext.BaseDirectory);
if (root is null)
{
    Console.Error.WriteLine($"no {HeaderTableGeneration.SolutionFileName} above the current folder; pass --root");
    return 2;
}

IReadOnlyList<GeneratedFile> files;
try
{
    files = HeaderTableGeneration.Generate(root);
}
catch (InvalidDataException e)
{
    Console.Error.WriteLine($"model error: {e.Message}");
    return 1;
}

if (check)
{
    var stale = HeaderTableGeneration.FindStaleFiles(root, files);
    foreach (var path in stale)
    {
        Console.Error.WriteLine($"stale: {path}");
    }

    if (stale.Count > 0)
    {
        Console.Error.WriteLine($"run `{HeaderTableGeneration.RegenerateCommand}` and commit the result");
        return 1;
    }

    Console.WriteLine($"{files.Count} generated files are up to date");
    return 0;
}

var changed = HeaderTableGeneration.Write(root, files);
foreach (var path in changed)
{
    Console.WriteLine($"wrote {path}");
}

Console.WriteLine($"{files.Count} generated files, {changed.Count} changed");
return 0;
