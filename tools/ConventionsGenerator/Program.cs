using SipTraceContext.ConventionsGenerator;
using SipTraceContext.Tools;

// Regenerates src/Conventions/Generated/*.g.cs and docs/semantic-conventions.md from src/Conventions/model.
//   dotnet run --project tools/ConventionsGenerator              writes what changed
//   dotnet run --project tools/ConventionsGenerator -- --check   writes nothing, exits 1 when a file is stale
//   ... -- --root <dir>                                          repository root (default: found from the
//                                                                current folder, else from the tool's folder)

return GeneratedFiles.Run(args, ConventionsGeneration.RegenerateCommand, ConventionsGeneration.Generate, ConventionsGeneration.GeneratedCodeDirectory);
