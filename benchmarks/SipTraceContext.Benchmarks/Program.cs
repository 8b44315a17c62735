using BenchmarkDotNet.Running;

// Folders mirror src/: Propagation/, Sip.Abstractions/, Instrumentation/.
// dotnet run -c Release --project benchmarks/SipTraceContext.Benchmarks -- --filter '*TraceParent*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
