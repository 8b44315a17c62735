using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;
using SipTraceContext.Instrumentation.Ims;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace CallTraceDemo;

/// <summary>Which network the demo runs.</summary>
public enum DemoFlow
{
    /// <summary>caller -> P-CSCF -> S-CSCF -> callee: two proxies with the call tracer, four kinds of call.</summary>
    Proxies,

    /// <summary>A VoLTE registration then a call through UE, P-CSCF, I-CSCF, S-CSCF, AS and UE-B with the IMS node helpers.</summary>
    Ims,
}

/// <summary>What to run.</summary>
public sealed record DemoOptions
{
    public DemoFlow Flow { get; init; } = DemoFlow.Proxies;

    public int Calls { get; init; } = 4;

    public int Concurrency { get; init; } = 1;

    /// <summary>The trace header style; null for the flow's usual one (X-OTel between proxies, P-OTel inside an IMS core).</summary>
    public SipHeaderStyle? Style { get; init; }

    /// <summary>
    /// Whether the nodes send trace headers. Without them (proxies flow only) nothing carries a context
    /// from node to node: every node's call tracer derives its span ids from the SIP messages, and each
    /// call is still one tree.
    /// </summary>
    public bool TraceHeaders { get; init; } = true;

    /// <summary>An OTLP endpoint (e.g. http://localhost:4317) to export the same traces and metrics to; null for none.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>Reports progress (calls done, calls total) during long runs; null for none.</summary>
    public Action<int, int>? Progress { get; init; }

    public SipHeaderStyle EffectiveStyle => Style ?? (Flow == DemoFlow.Ims ? SipHeaderStyle.POTel : SipHeaderStyle.XOTel);
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
    IReadOnlyList<SpanNode> Children,
    IReadOnlyDictionary<string, object?> Attributes,
    int Links)
{
    /// <summary>This span and every span under it, depth first.</summary>
    public IEnumerable<SpanNode> DescendantsAndSelf() => Children.SelectMany(c => c.DescendantsAndSelf()).Prepend(this);
}

/// <summary>One traced flow (a call, or an IMS registration): its scenario and its trace as a tree.</summary>
public sealed record CallTrace(int Index, CallScenario Scenario, ActivityTraceId TraceId, SpanNode Root);

/// <summary>The call tracer's instruments on one proxy, read from the exported points by its node tag (see <see cref="NodeMetricsCollector"/>).</summary>
public sealed record ProxyMetrics(
    string Node,
    LatencySummary Setup,
    LatencySummary Teardown,
    IReadOnlyDictionary<string, long> ResponsesByCode,
    IReadOnlyDictionary<string, long> FailuresByReason,
    long Retransmissions,
    long ActiveCalls);

/// <summary>One IMS instrument (or one tag value of it), labelled with the node that records it.</summary>
public sealed record ImsMetric(string Name, string Node, string Detail, LatencySummary? Latency, long? Value);

/// <summary>The metrics summary: per proxy in the proxies flow, per IMS instrument in the IMS flow.</summary>
public sealed record MetricsSummary(IReadOnlyList<ProxyMetrics> Proxies, IReadOnlyList<ImsMetric> Ims)
{
    public ProxyMetrics Proxy(string node) => Proxies.Single(p => p.Node == node);

    public ImsMetric Metric(string name, string detail = "") => Ims.Single(m => m.Name == name && m.Detail == detail);
}

/// <summary>What a run produced; <see cref="Text"/> is the output rendered without colours, as a redirected run prints it.</summary>
public sealed record DemoResult(DemoOptions Options, IReadOnlyList<CallTrace> Calls, MetricsSummary Metrics, string Text, IReadOnlyList<string> Errors)
{
    /// <summary>How many traces a complete run has: one per call, plus one per registration in the IMS flow.</summary>
    public int ExpectedTraces => Options.Flow == DemoFlow.Ims ? 2 * Options.Calls : Options.Calls;

    public bool Succeeded => Errors.Count == 0 && Calls.Count == ExpectedTraces;
}

/// <summary>
/// Runs one of the demo's flows on 127.0.0.1 (every node its own UDP socket, real SIP bytes between them) and
/// collects the traces with the OpenTelemetry SDK and the metrics per node.
/// </summary>
public static class DemoRunner
{
    public const string SourceName = "CallTraceDemo";
    public const string NodeTag = "demo.node";
    public const string ScenarioTag = "demo.scenario";
    public const string IndexTag = "demo.call_index";

    /// <summary>The called party of the IMS flow's calls (a tel URI, as a handset dials it).</summary>
    public const string CalledParty = "tel:+15550209999";

    private static readonly CallScenario[] Scenarios = [CallScenario.Answered, CallScenario.Busy, CallScenario.Cancelled, CallScenario.Retransmitted];

    public static async Task<DemoResult> RunAsync(DemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var spans = new List<Activity>();
        ResourceBuilder resource = ResourceBuilder.CreateDefault().AddService("CallTraceDemo");

        TracerProviderBuilder tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .SetSampler(new AlwaysOnSampler())
            .AddSource(SourceName)
            .AddSipInstrumentation()
            .AddInMemoryExporter(spans);
        if (options.OtlpEndpoint is { } endpoint)
        {
            tracing.AddOtlpExporter(o => o.Endpoint = endpoint);
        }

        using TracerProvider tracerProvider = tracing.Build();

        // The metrics the summary shows are the SDK's exported points, the same the collector gets with --otlp:
        // every node's measurements carry its node tag.
        using var collector = new NodeMetricsCollector(resource, options.OtlpEndpoint);

        (List<(int Index, CallScenario Scenario, Func<Activity, bool> IsRoot)> flows, List<string> errors) = options.Flow == DemoFlow.Ims
            ? await RunImsAsync(options, collector)
            : await RunProxiesAsync(options, collector);

        tracerProvider.ForceFlush();

        List<CallTrace> calls = BuildTraces(spans, flows);
        MetricsSummary summary = options.Flow == DemoFlow.Ims ? SummarizeIms(collector) : SummarizeProxies(collector);
        var result = new DemoResult(options, calls, summary, string.Empty, errors);
        return result with { Text = DemoConsole.RenderPlain(result) };
    }

    private static async Task<(List<(int, CallScenario, Func<Activity, bool>)>, List<string>)> RunProxiesAsync(DemoOptions options, NodeMetricsCollector collector)
    {
        using var source = new ActivitySource(new ActivitySourceOptions(SourceName) { Version = "1.0.0" });
        var propagation = new SipPropagationOptions { Style = options.EffectiveStyle };
        var traceIds = new ActivityTraceId[options.Calls];
        var errors = new List<string>();
        bool headers = options.TraceHeaders;
        await using (var core = new Proxy(ImsRoles.Scscf, propagation, headers))
        await using (var edge = new Proxy(ImsRoles.Pcscf, propagation, headers))
        await using (var callee = new Callee(propagation, source, headers))
        await using (var caller = new Caller(propagation, source, headers))
        {
            await ForEachCallAsync(options, errors, async i =>
                traceIds[i] = await caller.PlaceAsync(i, Scenarios[i % Scenarios.Length], edge.EndPoint, core.EndPoint, callee.EndPoint));

            // The proxies end a teardown span on the 200 to the BYE they forwarded upstream, a moment
            // after the caller reads it: let them finish before the spans are flushed.
            for (int wait = 0; wait < 100 && (edge.TrackedCalls > 0 || core.TrackedCalls > 0); wait++)
            {
                await Task.Delay(10);
            }

            errors.AddRange(caller.Errors.Items.Concat(edge.Errors.Items).Concat(core.Errors.Items).Concat(callee.Errors.Items));

            // While the proxies' tracers (and so their meters) are alive.
            collector.Collect();
        }

        var flows = new List<(int, CallScenario, Func<Activity, bool>)>();
        for (int i = 0; i < options.Calls; i++)
        {
            ActivityTraceId traceId = traceIds[i];
            if (traceId != default)
            {
                // Without trace headers the root is the caller's own call tracer's setup span.
                flows.Add((i, Scenarios[i % Scenarios.Length], s => s.TraceId == traceId && (s.Source.Name == SourceName || !options.TraceHeaders)));
            }
        }

        return (flows, errors);
    }

    private static async Task<(List<(int, CallScenario, Func<Activity, bool>)>, List<string>)> RunImsAsync(DemoOptions options, NodeMetricsCollector collector)
    {
        var ims = new ImsNodeOptions { Propagation = new SipPropagationOptions { Style = options.EffectiveStyle } };
        var callIds = new (string Register, string Call)[options.Calls];
        Array.Fill(callIds, (string.Empty, string.Empty));
        var errors = new List<string>();
        await using var ueB = new TerminatingUserEquipment();
        await using var pcscf = new PcscfNode(ims);
        await using var icscf = new IcscfNode(ims);
        await using var scscf = new ScscfNode(ims);
        await using var applicationServer = new ApplicationServerNode(ims);
        await using var ueA = new OriginatingUserEquipment();

        pcscf.IcscfRoute = icscf.RouteEntry;
        pcscf.ScscfRoute = scscf.RouteEntry;
        pcscf.Core = [icscf.EndPoint, scscf.EndPoint, applicationServer.EndPoint];
        icscf.ScscfRoute = scscf.RouteEntry;
        icscf.Locate = to => to.Contains(CalledParty, StringComparison.Ordinal) ? (pcscf.RouteEntry, ueB.Contact) : null;
        scscf.AsUri = $"sip:{applicationServer.EndPoint.Address}:{applicationServer.EndPoint.Port};lr";
        scscf.IcscfRoute = icscf.RouteEntry;

        await ForEachCallAsync(options, errors, async i =>
        {
            // Kept before the call starts, so a failed call still shows its registration's trace.
            string register = await ueA.RegisterAsync(i, pcscf.EndPoint);
            callIds[i] = (register, string.Empty);
            callIds[i] = (register, await ueA.CallAsync(i, CalledParty, pcscf.EndPoint));
        });

        errors.AddRange(ueA.Errors.Items
            .Concat(pcscf.Errors.Items)
            .Concat(icscf.Errors.Items)
            .Concat(scscf.Errors.Items)
            .Concat(applicationServer.Errors.Items)
            .Concat(ueB.Errors.Items));
        collector.Collect();

        var flows = new List<(int, CallScenario, Func<Activity, bool>)>();
        for (int i = 0; i < options.Calls; i++)
        {
            (string register, string call) = callIds[i];
            if (register.Length > 0)
            {
                flows.Add((i, CallScenario.ImsRegistration, s => s.OperationName == ImsSpanNames.PcscfRegister && (s.GetTagItem(SipAttributes.CallId) as string) == register));
            }

            if (call.Length > 0)
            {
                flows.Add((i, CallScenario.ImsCall, s => s.OperationName == ImsSpanNames.PcscfInvite && (s.GetTagItem(SipAttributes.CallId) as string) == call));
            }
        }

        return (flows, errors);
    }

    private static async Task ForEachCallAsync(DemoOptions options, List<string> errors, Func<int, Task> call)
    {
        int done = 0;
        using var gate = new SemaphoreSlim(Math.Max(1, options.Concurrency));
        await Task.WhenAll(Enumerable.Range(0, options.Calls).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                Activity.Current = null; // every call is its own trace
                await Task.Run(() => call(i));
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
        }));
    }

    /// <summary>A node's call tracer: its spans tagged with the node, its measurements in the node's own series.</summary>
    public static SipCallTracer NodeTracer(string role, SipPropagationOptions propagation) => new(new SipCallTracerOptions
    {
        Propagation = propagation,
        MetricTags = NodeMetricsCollector.TagsOf(role),
        EnrichWithRequest = (Activity activity, in SipMessageReader _) => activity.SetTag(NodeTag, role),
    });

    private static List<CallTrace> BuildTraces(List<Activity> spans, List<(int Index, CallScenario Scenario, Func<Activity, bool> IsRoot)> flows)
    {
        var result = new List<CallTrace>();
        foreach ((int index, CallScenario scenario, Func<Activity, bool> isRoot) in flows)
        {
            Activity? root = spans.FirstOrDefault(s => s.ParentSpanId == default && isRoot(s));
            if (root is null)
            {
                continue;
            }

            List<Activity> trace = [.. spans.Where(s => s.TraceId == root.TraceId).OrderBy(s => s.StartTimeUtc)];
            result.Add(new CallTrace(index, scenario, root.TraceId, Node(root, trace, root.StartTimeUtc)));
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
            span.StatusDescription ?? span.GetTagItem(OtelAttributes.ErrorType) as string,
            events,
            children,
            span.TagObjects.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal),
            span.Links.Count());
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

    private static MetricsSummary SummarizeProxies(NodeMetricsCollector metrics)
    {
        List<ProxyMetrics> proxies = [.. new[] { ImsRoles.Pcscf, ImsRoles.Scscf }.Select(node => new ProxyMetrics(
            node,
            metrics.Latency(node, SipMetrics.CallSetupLatency.Name),
            metrics.Latency(node, SipMetrics.CallTeardownDuration.Name).Scaled(1000), // recorded in s, shown in ms
            metrics.SumBy(node, SipMetrics.ResponseCount.Name, k => $"{k.Tag(SipAttributes.StatusCode)} {k.Tag(SipAttributes.Method)}"),
            metrics.SumBy(node, SipMetrics.CallFailed.Name, k => k.Tag(OtelAttributes.ErrorType)),
            metrics.Sum(node, SipMetrics.MessageRetransmissions.Name),
            metrics.Sum(node, SipMetrics.CallsActive.Name)))];
        return new MetricsSummary(proxies, []);
    }

    /// <summary>Every IMS instrument per node that recorded it (its node tag), and per HSS command or AS service.</summary>
    private static MetricsSummary SummarizeIms(NodeMetricsCollector metrics)
    {
        var rows = new List<ImsMetric>();
        Latencies(ImsMetrics.RegistrationLatency.Name, tag: null);
        Latencies(ImsMetrics.SessionSetupTime.Name, tag: null);
        Latencies(ImsMetrics.RxAarLatency.Name, tag: null);
        Latencies(ImsMetrics.HssQueryLatency.Name, ImsAttributes.HssCommand);
        Latencies(ImsMetrics.AsInvocationLatency.Name, ImsAttributes.AsService);
        foreach ((string node, long sum) in metrics.SumByNode(ImsMetrics.SessionActiveCount.Name))
        {
            rows.Add(new ImsMetric(ImsMetrics.SessionActiveCount.Name, node, string.Empty, null, sum));
        }

        return new MetricsSummary([], rows);

        void Latencies(string name, string? tag)
        {
            foreach ((string node, string detail, LatencySummary latency) in metrics.LatencyByNode(name, tag))
            {
                rows.Add(new ImsMetric(name, node, detail, latency, null));
            }
        }
    }
}
