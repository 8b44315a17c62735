using BenchmarkDotNet.Running;
using SipTraceContext.Benchmarks.Propagation;

// Folders mirror src/: Propagation/, Sip.Abstractions/, Instrumentation/.
// dotnet run -c Release --project benchmarks/SipTraceContext.Benchmarks -- --filter '*TraceParent*'
// Two builds of the propagator side by side in one process (see SideBySide):
// dotnet run -c Release --project benchmarks/SipTraceContext.Benchmarks -- --side-by-side A.dll B.dll [rounds]
if (args.Length > 0 && args[0] == "--side-by-side")
{
    return SideBySide.Run(args[1..]);
}

// A load test of the HEP listener: rising rates, the highest loss-free one (see Capture/HepFlood.cs):
// dotnet run -c Release --project benchmarks/SipTraceContext.Benchmarks -- --hep-flood [--agents N] [--consumers N] [seconds per rate] [rates...]
if (args.Length > 0 && args[0] == "--hep-flood")
{
    return SipTraceContext.Benchmarks.Capture.HepFlood.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
