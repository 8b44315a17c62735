using SipTraceContext.SipHeaderGenerator;
using SipTraceContext.Tools;

// Regenerates src/Sip.Abstractions/Generated/*.g.cs from src/Sip.Abstractions/model/sip-headers.yaml.
//   dotnet run --project tools/SipHeaderGenerator              writes what changed
//   dotnet run --project tools/SipHeaderGenerator -- --check   writes nothing, exits 1 when a file is stale
//   ... -- --root <dir>                                        repository root (default: found from the
//                                                              current folder, else from the tool's folder)

return GeneratedFiles.Run(args, HeaderTableGeneration.RegenerateCommand, HeaderTableGeneration.Generate, HeaderTableGeneration.GeneratedCodeDirectory);
