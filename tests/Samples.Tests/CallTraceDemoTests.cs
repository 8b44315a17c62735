using System.Diagnostics;
using System.Text.RegularExpressions;
using CallTraceDemo;
using SipTraceContext.Conventions;
using SipTraceContext.Propagation;

namespace SipTraceContext.Samples.Tests;

/// <summary>
/// Runs the demo's code path (<see cref="DemoRunner"/> and <see cref="DemoConsole"/>, real UDP on 127.0.0.1) in
/// both flows and both header styles, and checks the traces, the metrics and the printed output.
/// </summary>
/// <remarks>
/// One class, so xunit runs these one after another: every run's nodes carry the same node tags, and a second run
/// in the same process at the same time would add its measurements to this run's series.
/// </remarks>
public sealed class CallTraceDemoTests
{
    private static readonly string[] ImsRegistrationTree =
    [
        "ims.pcscf.register [server]",
        "├─ ims.pcscf.ipsec_setup",
        "└─ ims.icscf.register [server]",
        "   ├─ ims.icscf.hss_query [client]",
        "   └─ ims.scscf.hss_query [client]",
    ];

    private static readonly string[] ImsCallTree =
    [
        "ims.pcscf.invite [server]",
        "├─ ims.pcscf.rx_aar [client]",
        "└─ ims.scscf.invite [server]",
        "   ├─ ims.scscf.hss_query [client]",
        "   ├─ ims.scscf.ifc_eval",
        "   │  └─ ims.scscf.as_invoke [client]",
        "   └─ ims.icscf.invite [server]",
        "      ├─ ims.icscf.hss_query [client]",
        "      └─ ims.pcscf.invite [server]",
    ];

    [Fact]
    public async Task ProxiesFlowTracesEveryCallAcrossAllFourNodesAndCountsPerProxy()
    {
        DemoResult result = await DemoRunner.RunAsync(new DemoOptions { Calls = 4 });

        Assert.Empty(result.Errors);
        Assert.True(result.Succeeded);
        Assert.Equal(
            [CallScenario.Answered, CallScenario.Busy, CallScenario.Cancelled, CallScenario.Retransmitted],
            result.Calls.OrderBy(c => c.Index).Select(c => c.Scenario));

        foreach (CallTrace call in result.Calls)
        {
            // caller -> P-CSCF setup -> S-CSCF setup -> callee, one trace.
            SpanNode root = call.Root;
            Assert.Equal("caller", root.Node);
            SpanNode edge = Single(root, "sip.call.setup", "P-CSCF");
            SpanNode core = Single(edge, "sip.call.setup", "S-CSCF");
            SpanNode callee = Single(core, "callee INVITE", "callee");
            Assert.Equal(ActivityKind.Server, edge.Kind);
            Assert.Equal(ActivityKind.Server, core.Kind);
            Assert.True(edge.Offset <= core.Offset && core.Offset <= callee.Offset);

            switch (call.Scenario)
            {
                case CallScenario.Answered or CallScenario.Retransmitted:
                    Assert.All([root, edge, core, callee], s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
                    Assert.Contains(edge.Events, e => e.Name == "sip.answered (200)");
                    Assert.Contains(core.Events, e => e.Name == "sip.answered (200)");
                    Assert.Equal(ActivityStatusCode.Unset, Single(edge, "sip.call.teardown", "P-CSCF").Status);
                    Assert.Equal(ActivityStatusCode.Unset, Single(core, "sip.call.teardown", "S-CSCF").Status);
                    break;
                case CallScenario.Busy:
                    // Server spans: a 486 is the callee's answer, not a fault of any node (Unset); the
                    // proxies' spans still say why the call failed (error.type, shown as the description).
                    Assert.All([edge, core, callee], s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
                    Assert.All([edge, core], s => Assert.Equal("486", s.StatusDescription));
                    Assert.DoesNotContain(edge.Children, s => s.Name == "sip.call.teardown");
                    break;
                case CallScenario.Cancelled:
                    // A 487 after CANCEL is the expected answer to the caller hanging up (Unset).
                    Assert.All([edge, core, callee], s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
                    Assert.Contains(edge.Events, e => e.Name == "sip.cancelled");
                    Assert.Contains(core.Events, e => e.Name == "sip.cancelled");
                    break;
            }

            bool retransmitted = call.Scenario == CallScenario.Retransmitted;
            Assert.Equal(retransmitted, edge.Events.Any(e => e.Name == "sip.retransmission (INVITE)"));
            Assert.Equal(retransmitted, core.Events.Any(e => e.Name == "sip.retransmission (INVITE)"));
        }

        // Each proxy's own instruments: every call counts once on each, nothing is summed across them.
        foreach (string proxy in new[] { "P-CSCF", "S-CSCF" })
        {
            ProxyMetrics metrics = result.Metrics.Proxy(proxy);
            Assert.Equal(2, metrics.Setup.Count);
            Assert.Equal(2, metrics.Teardown.Count);
            Assert.True(metrics.Setup.P50Ms > 0 && metrics.Setup.P50Ms <= metrics.Setup.P95Ms && metrics.Setup.P95Ms <= metrics.Setup.MaxMs);
            Assert.Equal(
                new Dictionary<string, long>
                {
                    ["100 INVITE"] = 4,
                    ["180 INVITE"] = 3,
                    ["200 INVITE"] = 2,
                    ["486 INVITE"] = 1,
                    ["487 INVITE"] = 1,
                    ["200 CANCEL"] = 1,
                    ["200 BYE"] = 2,
                },
                metrics.ResponsesByCode);
            Assert.Equal(new Dictionary<string, long> { ["486"] = 1, ["cancelled"] = 1 }, metrics.FailuresByReason);
            Assert.Equal(0, metrics.ActiveCalls);

            // One INVITE was retransmitted: each proxy sees it come in and sends it on, and counts it once.
            // On a loaded machine the caller's timer can fire after the callee has already sent a provisional
            // response; the callee then repeats that response (RFC 3261 §17.2.1), a second retransmission.
            Assert.InRange(metrics.Retransmissions, 1, 2);
        }

        // The printed waterfall: the tree, the node and the status of every span.
        string text = result.Text;
        Assert.DoesNotContain("\u001b", text, StringComparison.Ordinal);
        Assert.Contains("X-OTel-* trace headers", text, StringComparison.Ordinal);
        Assert.Equal(
            [
                ("call 1: answered, hung up [client]", "caller", "unset"),
                ("└─ sip.call.setup [server]", "P-CSCF", "unset"),
                ("   ├─ sip.call.setup [server]", "S-CSCF", "unset"),
                ("   │  ├─ callee INVITE [server]", "callee", "unset"),
                ("   │  └─ sip.call.teardown [server]", "S-CSCF", "unset"),
                ("   └─ sip.call.teardown [server]", "P-CSCF", "unset"),
            ],
            PrintedSpans(text, Trace(result, 0)));
        Assert.Equal(
            [
                ("call 2: busy (486) [client]", "caller", "ERROR 486 Busy Here"),
                ("└─ sip.call.setup [server]", "P-CSCF", "unset"),
                ("   └─ sip.call.setup [server]", "S-CSCF", "unset"),
                ("      └─ callee INVITE [server]", "callee", "unset"),
            ],
            PrintedSpans(text, Trace(result, 1)));
        Assert.Equal(
            [
                ("call 3: cancelled ringing [client]", "caller", "unset"),
                ("└─ sip.call.setup [server]", "P-CSCF", "unset"),
                ("   └─ sip.call.setup [server]", "S-CSCF", "unset"),
                ("      └─ callee INVITE [server]", "callee", "unset"),
            ],
            PrintedSpans(text, Trace(result, 2)));
        Assert.Matches(@"│  · sip\.cancelled\s+\+\d+\.\dms", text);
        Assert.Matches(@"│  · sip\.retransmission \(INVITE\)\s+\+\d+\.\dms", text);

        // The printed metrics table: one column per proxy, the same counts in each.
        Assert.Matches(@"│ instrument\s+│ P-CSCF\s+│ S-CSCF\s+│", text);
        Assert.Matches(@"│ sip\.call\.failed\s+│ 486: 1\s+│ 486: 1\s+│", text);
        Assert.Matches(@"│\s+│ cancelled: 1\s+│ cancelled: 1\s+│", text);
        Assert.Matches(@"│ sip\.response\.count\s+│ 100 INVITE: 4\s+│ 100 INVITE: 4\s+│", text);
        Assert.Matches(@"│ sip\.calls\.active\s+│ 0\s+│ 0\s+│", text);
        Assert.Matches(@"│ sip\.call\.setup_latency\s+│ 2: \d+\.\d / \d+\.\d / \d+\.\d ms\s+│ 2: ", text);
    }

    [Fact]
    public async Task ProxiesFlowWithPOTelHeadersCarriesTheTraceWithConcurrentCalls()
    {
        DemoResult result = await DemoRunner.RunAsync(new DemoOptions { Calls = 8, Concurrency = 4, Style = SipHeaderStyle.POTel });

        Assert.Empty(result.Errors);
        Assert.Equal(8, result.Calls.Count);
        Assert.All(result.Calls, call => Single(Single(Single(call.Root, "sip.call.setup", "P-CSCF"), "sip.call.setup", "S-CSCF"), "callee INVITE", "callee"));
        foreach (ProxyMetrics metrics in result.Metrics.Proxies)
        {
            Assert.Equal(4, metrics.Setup.Count);
            Assert.Equal(4, metrics.ResponsesByCode["200 INVITE"]);
            Assert.Equal(2, metrics.ResponsesByCode["486 INVITE"]);
            Assert.Equal(new Dictionary<string, long> { ["486"] = 2, ["cancelled"] = 2 }, metrics.FailuresByReason);
            Assert.Equal(0, metrics.ActiveCalls);
        }

        Assert.Contains("P-OTel-* trace headers", result.Text, StringComparison.Ordinal);
        Assert.Equal(("└─ sip.call.setup [server]", "P-CSCF", "unset"), PrintedSpans(result.Text, Trace(result, 5))[1]);
    }

    [Theory]
    [InlineData(null, "P-OTel-*")] // the IMS flow's default: private headers inside the trust domain
    [InlineData(SipHeaderStyle.XOTel, "X-OTel-*")]
    public async Task ImsFlowRegistersThenCallsWithTheSeedSpanTree(SipHeaderStyle? style, string headers)
    {
        const int Calls = 2;
        DemoResult result = await DemoRunner.RunAsync(new DemoOptions { Flow = DemoFlow.Ims, Calls = Calls, Concurrency = 2, Style = style });

        // The AS reports a missing context and UE-B any trace header that crossed the trust edge: no errors, neither.
        Assert.Empty(result.Errors);
        Assert.True(result.Succeeded);
        Assert.Equal(2 * Calls, result.Calls.Count);

        for (int i = 0; i < Calls; i++)
        {
            CallTrace registration = Assert.Single(result.Calls, c => c.Index == i && c.Scenario == CallScenario.ImsRegistration);
            CallTrace call = Assert.Single(result.Calls, c => c.Index == i && c.Scenario == CallScenario.ImsCall);
            Assert.NotEqual(registration.TraceId, call.TraceId);

            Assert.Equal(5, registration.Root.DescendantsAndSelf().Count());
            Assert.Equal(9, call.Root.DescendantsAndSelf().Count());
            Assert.All(registration.Root.DescendantsAndSelf().Concat(call.Root.DescendantsAndSelf()), s => Assert.Equal(ActivityStatusCode.Unset, s.Status));

            // Every node's spans carry that node's name; the originating and terminating P-CSCF spans are one node.
            Assert.Equal(
                [("ims.pcscf.register", "P-CSCF"), ("ims.pcscf.ipsec_setup", "P-CSCF"), ("ims.icscf.register", "I-CSCF"), ("ims.icscf.hss_query", "I-CSCF"), ("ims.scscf.hss_query", "S-CSCF")],
                registration.Root.DescendantsAndSelf().Select(s => (s.Name, s.Node)));
            Assert.Equal(
                [
                    ("ims.pcscf.invite", "P-CSCF"), ("ims.pcscf.rx_aar", "P-CSCF"), ("ims.scscf.invite", "S-CSCF"), ("ims.scscf.hss_query", "S-CSCF"),
                    ("ims.scscf.ifc_eval", "S-CSCF"), ("ims.scscf.as_invoke", "S-CSCF"), ("ims.icscf.invite", "I-CSCF"), ("ims.icscf.hss_query", "I-CSCF"),
                    ("ims.pcscf.invite", "P-CSCF"),
                ],
                call.Root.DescendantsAndSelf().Select(s => (s.Name, s.Node)));

            // What the helpers read from the SIP bytes on the wire (UE-A sends no trace headers: no links).
            string impu = OriginatingUserEquipment.Impu(i);
            SpanNode register = registration.Root;
            Assert.Equal(impu, register.Attributes[ImsAttributes.Impu]);
            Assert.Equal(ImsAttributes.AccessTypeValues.EUtranFdd, register.Attributes[ImsAttributes.AccessType]);
            Assert.Equal(200, register.Attributes[ImsAttributes.ResponseCode]);
            Assert.Equal(0, register.Links);

            SpanNode originating = call.Root;
            Assert.Equal(impu, originating.Attributes[ImsAttributes.CallingParty]);
            Assert.Equal(DemoRunner.CalledParty, originating.Attributes[ImsAttributes.CalledParty]);
            Assert.Equal(ImsAttributes.AccessTypeValues.EUtranFdd, originating.Attributes[ImsAttributes.AccessType]);
            Assert.StartsWith("pcscf-", (string)originating.Attributes[ImsAttributes.Icid]!, StringComparison.Ordinal);
            Assert.Equal("AMR-WB", originating.Attributes[ImsAttributes.SdpCodec]);
            Assert.Equal(49L, originating.Attributes[ImsAttributes.SdpBandwidth]);
            Assert.Equal(200, originating.Attributes[ImsAttributes.ResponseCode]);
            Assert.Equal(0, originating.Links);

            SpanNode core = Assert.Single(originating.Children, s => s.Name == ImsSpanNames.ScscfInvite);
            Assert.Equal(originating.Attributes[ImsAttributes.Icid], core.Attributes[ImsAttributes.Icid]);
            SpanNode asInvoke = core.DescendantsAndSelf().Single(s => s.Name == ImsSpanNames.ScscfAsInvoke);
            Assert.Equal("mmtel", asInvoke.Attributes[ImsAttributes.AsService]);
            SpanNode terminating = core.DescendantsAndSelf().Single(s => s.Name == ImsSpanNames.PcscfInvite);
            Assert.StartsWith("sip:ue-b@127.0.0.1:", (string)terminating.Attributes[ImsAttributes.CalledParty]!, StringComparison.Ordinal);
            Assert.Equal("AMR-WB", terminating.Attributes[ImsAttributes.SdpCodec]);

            Assert.Equal(ImsRegistrationTree, PrintedSpans(result.Text, registration.TraceId).Select(s => s.Tree));
            Assert.Equal(ImsCallTree, PrintedSpans(result.Text, call.TraceId).Select(s => s.Tree));
            Assert.All(PrintedSpans(result.Text, call.TraceId), s => Assert.Equal("unset", s.Status));
        }

        // Exact counts: per flow one registration, one session, one Rx session, UAR and LIR at the I-CSCF, SAR at
        // the S-CSCF for the registration and for the call, one AS invocation; every session ended by its BYE.
        MetricsSummary metrics = result.Metrics;
        Assert.Equal(Calls, Count(ImsMetrics.RegistrationLatency.Name));
        Assert.Equal(Calls, Count(ImsMetrics.SessionSetupTime.Name));
        Assert.Equal(Calls, Count(ImsMetrics.RxAarLatency.Name));
        Assert.Equal(Calls, Count(ImsMetrics.HssQueryLatency.Name, ImsAttributes.HssCommandValues.Uar));
        Assert.Equal(Calls, Count(ImsMetrics.HssQueryLatency.Name, ImsAttributes.HssCommandValues.Lir));
        Assert.Equal(2 * Calls, Count(ImsMetrics.HssQueryLatency.Name, ImsAttributes.HssCommandValues.Sar));
        Assert.Equal(Calls, Count(ImsMetrics.AsInvocationLatency.Name, "mmtel"));
        Assert.Equal(0, metrics.Metric(ImsMetrics.SessionActiveCount.Name).Value);
        Assert.Equal("P-CSCF", metrics.Metric(ImsMetrics.RegistrationLatency.Name).Node);
        Assert.Equal("I-CSCF", metrics.Metric(ImsMetrics.HssQueryLatency.Name, ImsAttributes.HssCommandValues.Uar).Node);
        Assert.Equal("S-CSCF", metrics.Metric(ImsMetrics.HssQueryLatency.Name, ImsAttributes.HssCommandValues.Sar).Node);

        string text = result.Text;
        Assert.DoesNotContain("\u001b", text, StringComparison.Ordinal);
        Assert.Contains($"{headers} trace headers", text, StringComparison.Ordinal);
        Assert.Matches(@"│ ims\.registration\.latency\s+│ P-CSCF\s+│\s+│ 2: \d+\.\d / \d+\.\d / \d+\.\d ms", text);
        Assert.Matches(@"│ ims\.hss\.query_latency\s+│ S-CSCF\s+│ SAR\s+│ 4: ", text);
        Assert.Matches(@"│ ims\.session\.active_count\s+│ S-CSCF\s+│\s+│ 0\s+│", text);

        int Count(string name, string detail = "") => metrics.Metric(name, detail).Latency!.Count;
    }

    [Theory]
    [InlineData(true, 140)]
    [InlineData(false, 80)]
    public void WaterfallDegradesToAsciiAndDropsTheTimelineOnNarrowConsoles(bool unicode, int width)
    {
        SpanNode child = Span("sip.call.setup", "P-CSCF", 5, 40, ActivityStatusCode.Error, "Busy Here", []);
        SpanNode root = Span("call 1: busy (486)", "caller", 0, 50, ActivityStatusCode.Unset, null, [child]);
        var result = new DemoResult(
            new DemoOptions { Calls = 1 },
            [new CallTrace(0, CallScenario.Busy, ActivityTraceId.CreateRandom(), root)],
            new MetricsSummary([new ProxyMetrics("P-CSCF", LatencySummary.Empty, LatencySummary.Empty, new Dictionary<string, long>(), new Dictionary<string, long>(), 0, 0)], []),
            string.Empty,
            []);
        using var output = new StringWriter();
        Spectre.Console.IAnsiConsole console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
            Out = new Spectre.Console.AnsiConsoleOutput(output),
        });
        console.Profile.Width = width;
        console.Profile.Capabilities.Unicode = unicode;

        DemoConsole.Render(console, result);

        string text = output.ToString();
        Assert.DoesNotContain("\u001b", text, StringComparison.Ordinal);
        Assert.Contains((unicode ? "└─ " : "`- ") + "sip.call.setup [server]", text, StringComparison.Ordinal);
        Assert.Contains("ERROR Busy Here", text, StringComparison.Ordinal);
        Assert.Equal(unicode, text.Contains("timeline", StringComparison.Ordinal));
        Assert.Equal(unicode, text.Contains('━', StringComparison.Ordinal));
        Assert.All(text.ReplaceLineEndings("\n").Split('\n'), line => Assert.True(line.Length <= width, line));

        static SpanNode Span(string name, string node, double start, double duration, ActivityStatusCode status, string? description, SpanNode[] children) =>
            new(name, node, ActivityKind.Server, TimeSpan.FromMilliseconds(start), TimeSpan.FromMilliseconds(duration), status, description, [], children, new Dictionary<string, object?>(), 0);
    }

    [Fact]
    public void LatencySummaryUsesNearestRankOverEveryValue()
    {
        LatencySummary summary = LatencySummary.Of([5, 1, 4, 2, 3, 10, 6, 7, 9, 8, 20, 11, 12, 13, 14, 15, 16, 17, 18, 19]);

        Assert.Equal(new LatencySummary(20, 10, 19, 20), summary);
        Assert.Equal(LatencySummary.Empty, LatencySummary.Of([]));
    }

    [Fact]
    public void LatencySummaryFromBucketsIsExactAtTheEndsAndInterpolatesInside()
    {
        double[] bounds = [10, 25, 50, double.PositiveInfinity];

        // One value: exact. Two: the min and the max. 21 values from 1 to 40 ms: p50 (rank 11) in (10, 25].
        Assert.Equal(new LatencySummary(1, 17.5, 17.5, 17.5), LatencySummary.FromBuckets(1, 17.5, 17.5, bounds, [0, 1, 0, 0]));
        Assert.Equal(new LatencySummary(2, 3, 60, 60), LatencySummary.FromBuckets(2, 3, 60, bounds, [1, 0, 0, 1]));
        LatencySummary spread = LatencySummary.FromBuckets(21, 1, 40, bounds, [5, 10, 6, 0]);
        Assert.Equal(10 + (15 * 6 / 10.0), spread.P50Ms);
        Assert.Equal(25 + (15 * 5 / 6.0), spread.P95Ms, 9);
        Assert.Equal(40, spread.MaxMs);
        Assert.Equal(LatencySummary.Empty, LatencySummary.FromBuckets(0, 0, 0, bounds, [0, 0, 0, 0]));
    }

    [Fact]
    public async Task WithoutTraceHeadersEveryCallIsStillOneTreeAcrossAllFourNodes()
    {
        // No node sends a trace header: each node's call tracer derives its ids from the SIP it saw
        // (issue 25), and the waterfall is the same chain as with headers.
        DemoResult result = await DemoRunner.RunAsync(new DemoOptions { Calls = 4, TraceHeaders = false });

        Assert.Empty(result.Errors);
        Assert.True(result.Succeeded);
        Assert.Equal(4, result.Calls.Select(c => c.TraceId).Distinct().Count());
        foreach (CallTrace call in result.Calls)
        {
            SpanNode root = call.Root;
            Assert.Equal("caller", root.Node);
            Assert.Equal("sip.call.setup", root.Name);
            Assert.Equal(ActivityKind.Client, root.Kind);
            SpanNode edge = Single(root, "sip.call.setup", "P-CSCF");
            SpanNode core = Single(edge, "sip.call.setup", "S-CSCF");
            SpanNode callee = Single(core, "sip.call.setup", "callee");
            Assert.Equal(ActivityKind.Server, callee.Kind);
            if (call.Scenario == CallScenario.Answered)
            {
                // Each node's teardown under its own setup span.
                foreach (SpanNode setup in new[] { root, edge, core, callee })
                {
                    Assert.Single(setup.Children, s => s.Name == "sip.call.teardown" && s.Node == setup.Node);
                }
            }
        }

        Assert.Contains("no trace headers", result.Text, StringComparison.Ordinal);
    }

    private static SpanNode Single(SpanNode parent, string name, string node) =>
        Assert.Single(parent.Children, s => s.Name == name && s.Node == node);

    private static ActivityTraceId Trace(DemoResult result, int index) => Assert.Single(result.Calls, c => c.Index == index).TraceId;

    /// <summary>
    /// The span rows of one trace's printed waterfall: the span column (tree guides and name), the node and the
    /// status, read at the positions of the column headers. Event rows (no node) are left out.
    /// </summary>
    private static List<(string Tree, string Node, string Status)> PrintedSpans(string text, ActivityTraceId traceId)
    {
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        int title = Array.FindIndex(lines, l => l.EndsWith("trace " + traceId.ToHexString(), StringComparison.Ordinal));
        Assert.True(title >= 0, $"trace {traceId} is not printed");
        int header = Array.FindIndex(lines, title, l => Regex.IsMatch(l, @"^\s+span\s+node\s+start"));
        string columns = lines[header];
        int span = columns.IndexOf("span", StringComparison.Ordinal);
        int node = columns.IndexOf("node", StringComparison.Ordinal);
        int status = columns.IndexOf("status", StringComparison.Ordinal);

        var rows = new List<(string, string, string)>();
        // The rows run from below the header's rule to the table's closing rule.
        for (int i = header + 2; i < lines.Length && !lines[i].StartsWith('─'); i++)
        {
            string line = lines[i];
            string nodeCell = line.Length > node ? line[node..].Split(' ', 2)[0] : string.Empty;
            if (nodeCell.Length == 0)
            {
                continue;
            }

            rows.Add((line[span..node].TrimEnd(), nodeCell, line.Length > status ? line[status..].Trim() : string.Empty));
        }

        return rows;
    }
}
