using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SipTraceContext.Propagation;

namespace CallTraceDemo;

/// <summary>What to run.</summary>
public sealed record DemoOptions
{
    public int Calls { get; init; } = 4;

    public int Concurrency { get; init; } = 1;

    public SipHeaderStyle Style { get; init; } = SipHeaderStyle.XOTel;

    /// <summary>An OTLP endpoint (e.g. http://localhost:4317) to export the same traces and metrics to; null for none.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>Reports progress (calls done, calls total) during long runs; null for none.</summary>
    public Action<int, int>? Progress { get; init; }
}

/// <summary>One span of a call's trace, with its children, as the waterfall shows it.</summary>
public sealed record SpanNode(
    string Name,
    string Node,
    ActivityKind Kind,
    TimeSpan Offset,
    TimeSpan Duration,
    ActivityStatusCode Status,
    string? StatusDescription,
    IReadOnlyList<(string Name, TimeSpan Offset)> Events,
    IReadOnlyList<SpanNode> Children);

/// <summary>One call: its scenario and its trace as a tree rooted at the caller's span.</summary>
public sealed record CallTrace(int Index, CallScenario Scenario, ActivityTraceId TraceId, SpanNode Root);

/// <summary>The metrics summary, from the OpenTelemetry SDK's metric points (both proxies summed).</summary>
public sealed record MetricsSummary(
    long AnsweredCalls,
    double SetupP50Ms,
    double SetupP95Ms,
    double SetupMaxMs,
    IReadOnlyDictionary<string, long> ResponsesByCode,
    IReadOnlyDictionary<string, long> FailuresByReason,
    long Retransmissions,
    long ActiveCalls);

/// <summary>What a run produced.</summary>
public sealed record DemoResult(IReadOnlyList<CallTrace> Calls, MetricsSummary Metrics, string Text, IReadOnlyList<string> Errors);

/// <summary>
/// Starts a caller, an edge proxy (P-CSCF role), a core proxy (S-CSCF role) and a callee on
/// 127.0.0.1, places the calls, and collects their traces and metrics with the OpenTelemetry SDK.
/// </summary>
public static class DemoRunner
{
    public const string SourceName = "CallTraceDemo";
    public const string NodeTag = "demo.node";
    public const string ScenarioTag = "demo.scenario";
    public const string IndexTag = "demo.call_index";

    private static readonly CallScenario[] Scenarios = [CallScenario.Answered, CallScenario.Busy, CallScenario.Cancelled, CallScenario.Retransmitted];

    public static async Task<DemoResult> RunAsync(DemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        ResourceBuilder resource = ResourceBuilder.CreateDefault().AddService("CallTraceDemo");

        TracerProviderBuilder tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .SetSampler(new AlwaysOnSampler())
            .AddSource(SourceName)
            .AddSipInstrumentation()
            .AddInMemoryExporter(spans);
        MeterProviderBuilder metering = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSipInstrumentation()
            .AddInMemoryExporter(metrics);
        if (options.OtlpEndpoint is { } endpoint)
        {
            tracing.AddOtlpExporter(o => o.Endpoint = endpoint);
            metering.AddOtlpExporter(o => o.Endpoint = endpoint);
        }

        using TracerProvider tracerProvider = tracing.Build();
        using MeterProvider meterProvider = metering.Build();
        using var source = new ActivitySource(new ActivitySourceOptions(SourceName) { Version = "1.0.0" });

        var propagation = new SipPropagationOptions { Style = options.Style };
        var traceIds = new (int Index, CallScenario Scenario, ActivityTraceId TraceId)[options.Calls];
        var errors = new List<string>();
        await using (var callee = new Callee(propagation, source))
        await using (var core = new Proxy("S-CSCF", propagation))
        await using (var edge = new Proxy("P-CSCF", propagation))
        await using (var caller = new Caller(propagation, source))
        {
            int done = 0;
            using var gate = new SemaphoreSlim(Math.Max(1, options.Concurrency));
            var tasks = Enumerable.Range(0, options.Calls).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    CallScenario scenario = Scenarios[i % Scenarios.Length];
                    ActivityTraceId id = await Task.Run(() => caller.PlaceAsync(i, scenario, edge.EndPoint, core.EndPoint, callee.EndPoint));
                    traceIds[i] = (i, scenario, id);
                }
                catch (Exception e)
                {
                    lock (errors)
                    {
                        errors.Add($"call {i + 1}: {e.Message}");
                    }
                }
                finally
                {
                    gate.Release();
                    options.Progress?.Invoke(Interlocked.Increment(ref done), options.Calls);
                }
            }).ToList();
            await Task.WhenAll(tasks);

            // The proxies end a teardown span on the 200 to the BYE they forwarded upstream, a moment
            // after the caller reads it: let them finish before the spans are flushed.
            for (int wait = 0; wait < 100 && (edge.TrackedCalls > 0 || core.TrackedCalls > 0); wait++)
            {
                await Task.Delay(10);
            }

            errors.AddRange(caller.Errors.Items.Concat(edge.Errors.Items).Concat(core.Errors.Items).Concat(callee.Errors.Items));
        }

        tracerProvider.ForceFlush();
        meterProvider.ForceFlush();

        List<CallTrace> calls = BuildTraces(spans, traceIds.Where(t => t.TraceId != default));
        MetricsSummary summary = Summarize(metrics);
        string text = WaterfallRenderer.Render(calls, summary, options, errors);
        return new DemoResult(calls, summary, text, errors);
    }

    private static List<CallTrace> BuildTraces(List<Activity> spans, IEnumerable<(int Index, CallScenario Scenario, ActivityTraceId TraceId)> calls)
    {
        var result = new List<CallTrace>();
        foreach ((int index, CallScenario scenario, ActivityTraceId traceId) in calls)
        {
            List<Activity> trace = spans.Where(s => s.TraceId == traceId).OrderBy(s => s.StartTimeUtc).ToList();
            Activity? root = trace.FirstOrDefault(s => s.Source.Name == SourceName && s.Parent is null && s.ParentSpanId == default);
            if (root is null)
            {
                continue;
            }

            result.Add(new CallTrace(index, scenario, traceId, Node(root, trace, root.StartTimeUtc)));
        }

        return result;
    }

    private static SpanNode Node(Activity span, List<Activity> trace, DateTime origin)
    {
        var children = trace.Where(s => s.ParentSpanId == span.SpanId).Select(s => Node(s, trace, origin)).ToList();
        var events = span.Events.Select(e => (Describe(e), e.Timestamp.UtcDateTime - origin)).ToList();
        return new SpanNode(
            span.DisplayName,
            span.GetTagItem(NodeTag) as string ?? "?",
            span.Kind,
            span.StartTimeUtc - origin,
            span.Duration,
            span.Status,
            span.StatusDescription,
            events,
            children);
    }

    private static string Describe(ActivityEvent e)
    {
        foreach (KeyValuePair<string, object?> tag in e.Tags)
        {
            if (tag.Key is "sip.status_code" or "sip.method")
            {
                return $"{e.Name} ({tag.Value})";
            }
        }

        return e.Name;
    }

    private static MetricsSummary Summarize(List<MetricSnapshot> snapshots)
    {
        // Cumulative temporality: the last snapshot of each instrument holds the totals.
        var last = new Dictionary<string, MetricSnapshot>(StringComparer.Ordinal);
        foreach (MetricSnapshot s in snapshots)
        {
            last[s.Name] = s;
        }

        long answered = 0;
        double p50 = 0, p95 = 0, max = 0;
        if (last.TryGetValue("sip.call.setup_latency", out MetricSnapshot? setup))
        {
            var bounds = new SortedDictionary<double, long>();
            double min = double.MaxValue;
            foreach (MetricPoint point in setup.MetricPoints)
            {
                answered += point.GetHistogramCount();
                if (point.TryGetHistogramMinMaxValues(out double pointMin, out double pointMax))
                {
                    min = Math.Min(min, pointMin);
                    max = Math.Max(max, pointMax);
                }

                foreach (HistogramBucket bucket in point.GetHistogramBuckets())
                {
                    bounds[bucket.ExplicitBound] = bounds.GetValueOrDefault(bucket.ExplicitBound) + bucket.BucketCount;
                }
            }

            p50 = Percentile(bounds, answered, 0.50, min, max);
            p95 = Percentile(bounds, answered, 0.95, min, max);
        }

        return new MetricsSummary(
            answered,
            p50,
            p95,
            max,
            SumBy(last, "sip.response.count", p => $"{Tag(p, "sip.status_code")} {Tag(p, "sip.method")}"),
            SumBy(last, "sip.call.failed", p => Tag(p, "error.type")),
            SumBy(last, "sip.message.retransmissions", _ => "all").GetValueOrDefault("all"),
            SumBy(last, "sip.calls.active", _ => "all").GetValueOrDefault("all"));
    }

    /// <summary>A percentile estimated from the histogram buckets (linear within the bucket, clamped to min/max).</summary>
    private static double Percentile(SortedDictionary<double, long> buckets, long count, double quantile, double min, double max)
    {
        if (count == 0)
        {
            return 0;
        }

        double rank = quantile * count;
        long seen = 0;
        double lower = min;
        foreach ((double bound, long n) in buckets)
        {
            if (n > 0 && seen + n >= rank)
            {
                double upper = double.IsPositiveInfinity(bound) ? max : Math.Min(bound, max);
                double low = Math.Max(lower, min);
                return low + ((upper - low) * (rank - seen) / n);
            }

            seen += n;
            lower = bound;
        }

        return max;
    }

    private static Dictionary<string, long> SumBy(Dictionary<string, MetricSnapshot> last, string name, Func<MetricPoint, string> key)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!last.TryGetValue(name, out MetricSnapshot? snapshot))
        {
            return sums;
        }

        foreach (MetricPoint point in snapshot.MetricPoints)
        {
            string k = key(point);
            sums[k] = sums.GetValueOrDefault(k) + point.GetSumLong();
        }

        return sums;
    }

    private static string Tag(MetricPoint point, string name)
    {
        foreach (KeyValuePair<string, object?> tag in point.Tags)
        {
            if (tag.Key == name)
            {
                return Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            }
        }

        return string.Empty;
    }
}
