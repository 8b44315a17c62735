using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// Base of every interoperability test: owns what the test starts (processes, sockets, tracer
/// provider) and disposes it in reverse order whatever happens; <see cref="RunAsync"/> writes the
/// transcript of SIP messages and program logs to the test output when the test fails.
/// </summary>
public abstract class InteropTest : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _resources = [];

    /// <param name="output">xunit's output for this test.</param>
    /// <param name="sipInstrumentation">
    /// Also collect the spans and metrics of <c>SipCallTracer</c> (the SDK's <c>AddSipInstrumentation</c>).
    /// Only a test class that creates call tracers should ask: the source and meter name is shared by
    /// every tracer in the process, and test classes run in parallel.
    /// </param>
    protected InteropTest(ITestOutputHelper output, bool sipInstrumentation = false)
    {
        Output = output;
        Source = new ActivitySource(new ActivitySourceOptions("SipTraceContext.Interop.Tests." + GetType().Name + "." + Guid.NewGuid().ToString("N")));
        TracerProviderBuilder tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(Source.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(ExportedSpans);
        MeterProviderBuilder metering = Sdk.CreateMeterProviderBuilder()
            .AddInMemoryExporter(ExportedMetrics);
        if (sipInstrumentation)
        {
            tracing.AddSipInstrumentation();
            metering.AddSipInstrumentation();
        }

        TracerProvider = tracing.Build();
        MeterProvider = metering.Build();
    }

    protected ITestOutputHelper Output { get; }

    /// <summary>The test's own activity source, exported by <see cref="TracerProvider"/>.</summary>
    protected ActivitySource Source { get; }

    /// <summary>The real OpenTelemetry SDK, exporting to <see cref="ExportedSpans"/>.</summary>
    protected TracerProvider TracerProvider { get; }

    protected List<Activity> ExportedSpans { get; } = [];

    /// <summary>The real OpenTelemetry SDK's metrics, exporting to <see cref="ExportedMetrics"/> on flush.</summary>
    protected MeterProvider MeterProvider { get; }

    protected List<MetricSnapshot> ExportedMetrics { get; } = [];

    internal SipTranscript Transcript { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Everything is disposed even when something fails to: a process left running would outlive
        // the test run.
        var failures = new List<Exception>();
        for (int i = _resources.Count - 1; i >= 0; i--)
        {
            try
            {
                await _resources[i].DisposeAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Collected and rethrown below, after the rest is disposed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures.Add(e);
            }
        }

        TracerProvider.Dispose();
        MeterProvider.Dispose();
        Source.Dispose();
        if (failures.Count > 0)
        {
            throw new AggregateException("Disposing the test's resources failed.", failures);
        }
    }

    internal T Own<T>(T resource)
        where T : IAsyncDisposable
    {
        _resources.Add(resource);
        return resource;
    }

    internal T OwnDisposable<T>(T resource)
        where T : IDisposable
    {
        _resources.Add(new DisposableAdapter(resource));
        return resource;
    }

    internal SipUdpEndpoint Endpoint(string name)
    {
        var endpoint = new SipUdpEndpoint(name, Transcript);
        _resources.Add(new DisposableAdapter(endpoint));
        return endpoint;
    }

    internal async Task<KamailioProcess> StartKamailioAsync(System.Net.IPEndPoint? nextHop = null, bool copyTraceHeaders = true, System.Net.IPEndPoint? hepCollector = null, int hepVersion = 3, uint hepCaptureId = KamailioProcess.HepCaptureId, bool hepOverTcp = false, TopologyHiding hideTopology = TopologyHiding.None) =>
        Own(await KamailioProcess.StartAsync(Transcript, nextHop, copyTraceHeaders, hepCollector, hepVersion, hepCaptureId, hepOverTcp, hideTopology).ConfigureAwait(false));

    internal async Task<SippProcess> StartSippAsync(
        string name,
        string scenario,
        System.Net.IPEndPoint? remote = null,
        IReadOnlyDictionary<string, string>? variables = null,
        IReadOnlyDictionary<string, string>? replacements = null,
        IReadOnlyList<string>? omitLinesContaining = null,
        bool overTcp = false) =>
        Own(await SippProcess.StartAsync(Transcript, name, scenario, remote, variables, replacements, omitLinesContaining: omitLinesContaining, overTcp: overTcp).ConfigureAwait(false));

    /// <summary>
    /// Runs a SIPp caller scenario against <paramref name="remote"/>, its calls answered by the SIPp
    /// <paramref name="callee"/>, sending <paramref name="sent"/>'s trace headers unless it is null, and
    /// asserts that both scenarios completed (exit code 0). Returns the caller, for its message trace.
    /// </summary>
    internal async Task<SippProcess> RunSippCallAsync(
        string name,
        string scenario,
        System.Net.IPEndPoint remote,
        SippProcess callee,
        TraceContextSample? sent,
        IReadOnlyList<string>? omitLinesContaining = null,
        bool overTcp = false)
    {
        var variables = new Dictionary<string, string> { ["uas_port"] = callee.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (sent is not null)
        {
            variables["traceparent"] = sent.TraceParent;
            variables["tracestate"] = sent.TraceState;
        }

        SippProcess caller = await StartSippAsync(name, scenario, remote, variables, omitLinesContaining: omitLinesContaining, overTcp: overTcp).ConfigureAwait(false);
        int callerExit = await caller.WaitForExitCodeAsync().ConfigureAwait(false);
        int calleeExit = await callee.WaitForExitCodeAsync().ConfigureAwait(false);
        Assert.True(callerExit == 0 && calleeExit == 0, $"{name}: SIPp exit codes: caller {callerExit}, callee {calleeExit} (0 = scenario completed)");
        return caller;
    }

    /// <summary>Runs the test body; on failure writes the transcript to the output and rethrows.</summary>
    protected async Task RunAsync(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await body().ConfigureAwait(false);
        }
        catch
        {
            Transcript.WriteTo(Output);
            throw;
        }
    }

    /// <summary>Flushes the SDK so every ended span is in <see cref="ExportedSpans"/>.</summary>
    protected void FlushSpans() => TracerProvider.ForceFlush(5000);

    /// <summary>Collects the metrics now (cumulative) and returns the points of the latest snapshot of each metric.</summary>
    protected IReadOnlyList<MetricPoint> CollectMetric(string name)
    {
        ExportedMetrics.Clear();
        MeterProvider.ForceFlush(5000);
        MetricSnapshot? snapshot = ExportedMetrics.LastOrDefault(m => m.Name == name);
        return snapshot is null ? [] : [.. snapshot.MetricPoints];
    }

    /// <summary>The count of a histogram over all its points, collected now.</summary>
    protected long HistogramCount(string name) =>
        CollectMetric(name).Sum(p => p.GetHistogramCount());

    /// <summary>The sum of a counter over the points whose tags include these (values compared as invariant text), collected now.</summary>
    protected long CounterSum(string name, params (string Key, string Value)[] tags)
    {
        long sum = 0;
        foreach (MetricPoint point in CollectMetric(name))
        {
            var pointTags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, object?> tag in point.Tags)
            {
                pointTags[tag.Key] = Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            }

            if (tags.All(t => pointTags.TryGetValue(t.Key, out string? value) && value == t.Value))
            {
                sum += point.GetSumLong();
            }
        }

        return sum;
    }

    private sealed class DisposableAdapter(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
