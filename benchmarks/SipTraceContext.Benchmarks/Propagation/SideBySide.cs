using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using OpenTelemetry.Context.Propagation;

namespace SipTraceContext.Benchmarks.Propagation;

/// <summary>
/// Two builds of the propagator in one process, timed in alternating rounds: a change of a few percent
/// shows here when separate benchmark runs on a shared machine differ by more than that between runs.
/// </summary>
/// <remarks>
/// Each build is loaded into an assembly load context of its own and called through delegates, so both
/// pay the same call overhead. The rounds alternate between the builds (and reverse their order every
/// other round), so that the machine's slow spells fall on both. The answer is the median of the
/// per-round ratios; run it a second time with the builds swapped, as the first build loaded can
/// be favoured by a percent or two.
/// Usage: <c>dotnet run -c Release --project benchmarks/SipTraceContext.Benchmarks -- --side-by-side A.dll B.dll [rounds]</c>,
/// each path a build of <c>SipTraceContext.Propagation.dll</c>.
/// </remarks>
internal static class SideBySide
{
    private const int CallsPerRound = 200_000;

    private delegate bool InjectCall(ReadOnlySpan<byte> source, in ActivityContext context, Span<byte> destination, out int bytesWritten);

    private delegate bool ExtractCall(ReadOnlySpan<byte> message, out ActivityContext context);

    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: --side-by-side A.dll B.dll [rounds]");
            return 2;
        }

        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
        const string TraceParentValue = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        byte[] invite = SipBenchmarkMessages.Invite($"X-OTel-traceparent: {TraceParentValue}", "X-OTel-tracestate: congo=t61rcWkgMzE");
        byte[] withoutTraceHeaders = SipBenchmarkMessages.Invite();
        byte[] toReplace = SipBenchmarkMessages.Invite("X-OTel-traceparent: 00-11111111111111111111111111111111-2222222222222222-01", "X-OTel-tracestate: old=1");
        var context = new ActivityContext(
            ActivityTraceId.CreateFromString(TraceParentValue.AsSpan(3, 32)),
            ActivitySpanId.CreateFromString(TraceParentValue.AsSpan(36, 16)),
            ActivityTraceFlags.Recorded,
            "congo=t61rcWkgMzE");
        byte[] destination = new byte[toReplace.Length + 4096];

        var cases = new List<(string Name, Func<int, long> Run)>();
        foreach ((string side, string path) in new[] { ("A", args[0]), ("B", args[1]) })
        {
            var build = new Build(Path.GetFullPath(path), side);
            cases.Add(($"{side} inject", n => build.Inject(toReplace, context, destination, n)));
            cases.Add(($"{side} extract, tracestate", n => build.Extract(invite, n)));
            cases.Add(($"{side} extract, no trace headers", n => build.Extract(withoutTraceHeaders, n)));
        }

        var otel = new TraceContextPropagator();
        var dictionary = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var propagationContext = new PropagationContext(context, default);
        cases.Add(("OpenTelemetry inject", n =>
        {
            for (int i = 0; i < n; i++)
            {
                otel.Inject(propagationContext, dictionary, static (d, k, v) => d[k] = v);
            }

            return dictionary.Count;
        }));

        foreach ((_, Func<int, long> warmUp) in cases)
        {
            for (int i = 0; i < 30; i++)
            {
                warmUp(CallsPerRound / 10);
            }
        }

        Dictionary<string, List<double>> times = cases.ToDictionary(c => c.Name, _ => new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            IEnumerable<(string Name, Func<int, long> Run)> order = round % 2 == 0 ? cases : Enumerable.Reverse(cases);
            foreach ((string name, Func<int, long> run) in order)
            {
                long start = Stopwatch.GetTimestamp();
                run(CallsPerRound);
                times[name].Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / CallsPerRound);
            }
        }

        foreach ((string name, List<double> ns) in times)
        {
            Console.WriteLine(FormattableString.Invariant($"{name,-32} min {ns.Min(),7:F1} ns  median {Median(ns),7:F1} ns"));
        }

        foreach (string name in new[] { "inject", "extract, tracestate", "extract, no trace headers" })
        {
            List<double> ratios = times["A " + name].Zip(times["B " + name], (a, b) => a / b).ToList();
            Console.WriteLine(FormattableString.Invariant($"A/B {name,-28} median of the rounds' ratios {Median(ratios):F3}"));
        }

        return 0;
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>One build of the propagator, loaded on its own.</summary>
    private sealed class Build
    {
        private readonly InjectCall _inject;
        private readonly ExtractCall _extract;

        public Build(string path, string name)
        {
            Type type = new BuildLoadContext(Path.GetDirectoryName(Path.GetFullPath(path))!, name).LoadFromAssemblyPath(Path.GetFullPath(path)).GetType("SipTraceContext.Propagation.SipRawPropagator", throwOnError: true)!;
            object propagator = Activator.CreateInstance(type)!;
            _inject = type.GetMethod("TryInject", [typeof(ReadOnlySpan<byte>), typeof(ActivityContext).MakeByRefType(), typeof(Span<byte>), typeof(int).MakeByRefType()])!
                .CreateDelegate<InjectCall>(propagator);
            _extract = type.GetMethod("TryExtract", [typeof(ReadOnlySpan<byte>), typeof(ActivityContext).MakeByRefType()])!
                .CreateDelegate<ExtractCall>(propagator);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public long Inject(byte[] source, ActivityContext context, byte[] destination, int calls)
        {
            long written = 0;
            for (int i = 0; i < calls; i++)
            {
                _inject(source, context, destination, out int bytes);
                written += bytes;
            }

            return written;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public long Extract(byte[] message, int calls)
        {
            long sampled = 0;
            for (int i = 0; i < calls; i++)
            {
                _extract(message, out ActivityContext context);
                sampled += (int)context.TraceFlags;
            }

            return sampled;
        }
    }

    /// <summary>
    /// Loads our assemblies from the build's own folder (a netstandard2.0 Propagation needs the
    /// netstandard2.0 Sip.Abstractions beside it) and everything else, such as the <c>Activity</c>
    /// types the delegates share, from the default context.
    /// </summary>
    private sealed class BuildLoadContext(string directory, string name) : AssemblyLoadContext(name)
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string candidate = Path.Combine(directory, assemblyName.Name + ".dll");
            return assemblyName.Name is { } simple && simple.StartsWith("SipTraceContext.", StringComparison.Ordinal) && File.Exists(candidate)
                ? LoadFromAssemblyPath(candidate)
                : null;
        }
    }
}
