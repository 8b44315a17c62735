using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SipTraceContext.Capture;
using SipTraceContext.Collector.Tests;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// Zero-touch call trees (issue 25, docs/zero-touch-call-trees.md) through real proxies: SIPp caller ->
/// K1 (Kamailio, capture id 2001) -> K2 (Kamailio, capture id 2002) -> SIPp callee, mirrored by
/// <c>siptrace</c> to <see cref="HepCaptureListener"/>s whose tracers derive span and trace ids from SIP
/// (the default <c>IdDerivation = Derive</c>). No node writes a trace header, yet the call's spans form
/// one tree: one trace id (from the Call-ID), K2's setup span the child of K1's (K2 derives K1's span id
/// from the Via under its top), K1's the child of the untraced caller's <c>Origin</c> span, which nobody
/// exports. Also: a caller's forwarded <c>X-OTel-traceparent</c> with a shared derivation key (the hops
/// chain under the caller's span), two collectors sharing the key (the same tree), and a topology-hiding
/// K1 that masks the Call-ID and adds <c>X-CID</c> (a leg change); and two collector processes (the
/// installed tool, one per node) exporting over OTLP what one collector exports.
/// </summary>
[Collection(CallTracerTests.Name)]
public sealed class ZeroTouchTreeTests(ITestOutputHelper output) : TwoProxyTest(output)
{
    /// <summary>The call the SIPp ends make.</summary>
    public enum CallKind
    {
        /// <summary>Answered, then hung up by the caller: setup and teardown spans.</summary>
        Answered,

        /// <summary>486 Busy Here from the callee.</summary>
        Busy,

        /// <summary>Cancelled by the caller while ringing.</summary>
        Cancelled,

        /// <summary>Answered after 2.5 s without a 100 first: K2 resends the INVITE to the callee (and the caller to K1).</summary>
        RetransmittedInvite,
    }

    [InteropTheory]
    [InlineData(CallKind.Answered, NodeRule.PerAgent)]
    [InlineData(CallKind.Busy, NodeRule.PerAgent)]
    [InlineData(CallKind.Cancelled, NodeRule.PerAgent)]
    [InlineData(CallKind.RetransmittedInvite, NodeRule.PerAgent)]
    [InlineData(CallKind.Answered, NodeRule.ViaOnly)]
    [InlineData(CallKind.Busy, NodeRule.ViaOnly)]
    [InlineData(CallKind.Cancelled, NodeRule.ViaOnly)]
    [InlineData(CallKind.RetransmittedInvite, NodeRule.ViaOnly)]
    public Task Call_without_trace_headers_through_two_Kamailio_nodes_is_one_tree(CallKind call, NodeRule rule) => RunAsync(async () =>
    {
        Flow flow = await RunCallAsync(call, rule, new FlowOptions { TraceHeaders = false });
        AssertNoTraceHeaderOnTheWire(flow);
        if (call == CallKind.RetransmittedInvite)
        {
            // Each resend has the branch of the first copy: the same ids, no second span.
            (int k2In, int k2Out) = flow.Copies(K2Id, c => c.Method == "INVITE");
            Assert.True(k2Out >= 2, $"expected K2 to resend the INVITE to the slow callee; K2 mirrored {k2In} received and {k2Out} sent");
        }

        (Activity k1, Activity k2) = AssertChain(flow, answered: call is CallKind.Answered or CallKind.RetransmittedInvite);

        // Derived, not the (unsent) sample's; K1's parent is Origin(caller's branch): the caller is not traced.
        Assert.NotEqual(flow.Sent.TraceId, k1.TraceId);
        Assert.NotEqual(default, k1.ParentSpanId);
        Assert.DoesNotContain(ExportedSpans, s => s.SpanId == k1.ParentSpanId);
        Assert.Empty(k1.Links);
        Assert.Empty(k2.Links);
    });

    [InteropTheory]
    [InlineData(NodeRule.PerAgent)]
    [InlineData(NodeRule.ViaOnly)]
    public Task Forwarded_trace_headers_and_a_derivation_key_chain_the_hops_under_the_callers_span(NodeRule rule) => RunAsync(async () =>
    {
        // Both proxies relay the caller's X-OTel-traceparent unchanged. With a deployment key the hops
        // chain in the caller's trace: K1 (first after the header's writer) under the caller's span, K2
        // under K1's derived span, the header's context a link of K2's span (not its parent).
        Flow flow = await RunCallAsync(CallKind.Answered, rule, new FlowOptions { DerivationKey = RandomNumberGenerator.GetBytes(32) });

        (Activity k1, Activity k2) = AssertChain(flow, answered: true);
        Assert.Equal(flow.Sent.TraceId, k1.TraceId);
        Assert.Equal(flow.Sent.SpanId, k1.ParentSpanId);
        Assert.Contains(k2.Links, l => l.Context.TraceId == flow.Sent.TraceId && l.Context.SpanId == flow.Sent.SpanId);
    });

    [InteropTheory]
    [InlineData(CallKind.Answered)]
    [InlineData(CallKind.Cancelled)]
    public Task Two_collectors_sharing_a_derivation_key_export_the_same_tree(CallKind call) => RunAsync(async () =>
    {
        // K1 mirrors to one listener, K2 to another: what two collector processes would see, each knowing
        // one node. They share nothing but the key (in one test process they would also share the random
        // process key; a configured key is what separate processes need).
        byte[] key = RandomNumberGenerator.GetBytes(32);
        Flow flow = await RunCallAsync(call, NodeRule.PerAgent, new FlowOptions { TraceHeaders = false, TwoCollectors = true, DerivationKey = key });
        Assert.Equal(new[] { 1, 1 }, flow.Listeners.Select(l => l.CaptureAgents));
        AssertNoTraceHeaderOnTheWire(flow);

        (Activity k1, _) = AssertChain(flow, answered: call == CallKind.Answered);
        Assert.DoesNotContain(ExportedSpans, s => s.SpanId == k1.ParentSpanId);
    });

    [InteropTheory]
    [InlineData(CallKind.Answered)]
    [InlineData(CallKind.Busy)]
    public Task Two_collector_processes_export_the_tree_one_collector_exports(CallKind call) => RunAsync(async () =>
    {
        // Across processes: the installed collector tool twice, K1's HEP to one and K2's to the other,
        // each configured with its own node only and the deployment's key, each exporting OTLP/HTTP to a
        // receiver of its own. What they export must be the very spans (ids, parents, names, kinds) that
        // one collector exports from all the same packets, and those form the call's one tree.
        using ToolPackage tool = await ToolPackage.PackAndInstallAsync();
        using var otlpK1 = new OtlpReceiver(LoopbackPorts.NextTcp());
        using var otlpK2 = new OtlpReceiver(LoopbackPorts.NextTcp());
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var processes = new List<CollectorProcess>();
        Flow flow = await RunCallAsync(call, NodeRule.PerAgent, new FlowOptions
        {
            TraceHeaders = false,
            StartCollectorProcesses = async (k1, k2) =>
            {
                var targets = new List<IPEndPoint>();
                foreach ((uint agent, KamailioProcess node, OtlpReceiver otlp) in new[] { (K1Id, k1, otlpK1), (K2Id, k2, otlpK2) })
                {
                    var hep = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.NextUdp());
                    var settings = new Dictionary<string, object>
                    {
                        ["HepCapture"] = new Dictionary<string, object>
                        {
                            ["Address"] = "127.0.0.1",
                            ["Port"] = hep.Port,
                            ["NodeEndPointsByAgent"] = new Dictionary<string, string[]>
                            {
                                [agent.ToString(CultureInfo.InvariantCulture)] = [node.Trusted.ToString(), node.Untrusted.ToString()],
                            },
                            ["Tracer"] = new Dictionary<string, string> { ["DerivationKey"] = Convert.ToBase64String(key) },
                        },
                        ["Exporters"] = new Dictionary<string, object>
                        {
                            ["Otlp"] = new Dictionary<string, string> { ["Endpoint"] = $"http://127.0.0.1:{otlp.Port}/", ["Protocol"] = "HttpProtobuf" },
                            ["Prometheus"] = new Dictionary<string, string> { ["Prefix"] = string.Empty },
                        },
                    };
                    processes.Add(await CollectorProcess.StartAsync(tool, $"collector-{agent}", settings, Transcript, Own));
                    targets.Add(hep);
                }

                return [.. targets];
            },
        });

        // SIGINT flushes each process's last spans.
        foreach (CollectorProcess process in processes)
        {
            Transcript.Note($"collector {process.Config} output:\n{process.Process.Output}");
            await process.InterruptAsync();
        }

        AssertNoTraceHeaderOnTheWire(flow);
        var exported = new List<(uint Agent, OtlpSpan Span)>();
        foreach ((uint agent, OtlpReceiver otlp) in new[] { (K1Id, otlpK1), (K2Id, otlpK2) })
        {
            IReadOnlyList<OtlpSpan> spans = otlp.Spans;
            Transcript.Note($"collector of agent {agent} exported: {string.Join("; ", spans)}");
            Assert.NotEmpty(spans);
            Assert.All(spans, s => Assert.Equal((long)agent, s.Attributes.GetValueOrDefault("sip.capture.agent_id")));
            exported.AddRange(spans.Select(s => (agent, s)));
        }

        // One collector: every copy either relay passed on, in capture order, to one listener that knows
        // both nodes and has the same key.
        var options = new HepCaptureOptions { Address = IPAddress.Loopback.ToString(), Port = 0 };
        options.Tracer.DerivationKey = key;
        options.NodeEndPointsByAgent[K1Id] = [flow.K1.Trusted.ToString(), flow.K1.Untrusted.ToString()];
        options.NodeEndPointsByAgent[K2Id] = [flow.K2.Trusted.ToString(), flow.K2.Untrusted.ToString()];
        HepCaptureListener listener = OwnDisposable(new HepCaptureListener(options));
        await listener.StartAsync(CancellationToken.None);
        HepCopy[] copies = [.. flow.Relays.SelectMany(r => r.Copies).OrderBy(c => c.CaptureTime)];
        using (var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            foreach (HepCopy copy in copies)
            {
                await sender.SendAsync(copy.Datagram, listener.LocalEndPoint!);
            }
        }

        var clock = Stopwatch.StartNew();
        while (listener.PacketsRecorded + listener.PacketsDropped < copies.Length && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        Assert.Equal(copies.Length, listener.PacketsRecorded);
        FlushSpans();
        List<Activity> oneCollector = [.. ExportedSpans.Where(s => s.GetTagItem("sip.capture.agent_id") is not null)];
        AssertChain(flow with { Listeners = [listener], Spans = oneCollector }, answered: call == CallKind.Answered);

        string[] expected = [.. oneCollector.Select(s => Describe((uint)(long)s.GetTagItem("sip.capture.agent_id")!, s.DisplayName, s.Kind == ActivityKind.Server ? 2 : s.Kind == ActivityKind.Client ? 3 : -1, s.TraceId.ToHexString(), s.SpanId.ToHexString(), s.ParentSpanId == default ? string.Empty : s.ParentSpanId.ToHexString())).Order()];
        string[] actual = [.. exported.Select(e => Describe(e.Agent, e.Span.Name, e.Span.Kind, e.Span.TraceId, e.Span.SpanId, e.Span.ParentSpanId)).Order()];
        Assert.Equal(expected, actual);

        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await listener.StopAsync(limit.Token);
        }

        static string Describe(uint agent, string name, int kind, string trace, string span, string parent) =>
            $"agent {agent} {name} kind {kind} trace {trace} span {span} parent {parent}";
    });

    [InteropFact]
    public Task Two_collectors_with_different_derivation_keys_export_unrelated_spans() => RunAsync(async () =>
    {
        // The control of the test above: with different keys each collector's spans are a tree of their own.
        Flow flow = await RunCallAsync(CallKind.Answered, NodeRule.PerAgent, new FlowOptions
        {
            TraceHeaders = false,
            TwoCollectors = true,
            DerivationKey = RandomNumberGenerator.GetBytes(32),
            SecondCollectorDerivationKey = RandomNumberGenerator.GetBytes(32),
        });

        Activity k1 = Assert.Single(flow.SpansOf(K1Id), s => s.DisplayName == "sip.call.setup");
        Activity k2 = Assert.Single(flow.SpansOf(K2Id), s => s.DisplayName == "sip.call.setup");
        Assert.NotEqual(k1.TraceId, k2.TraceId);
        Assert.NotEqual(k1.SpanId, k2.ParentSpanId);
    });

    [InteropTheory]
    [InlineData(CallKind.Answered, NodeRule.PerAgent)]
    [InlineData(CallKind.Busy, NodeRule.PerAgent)]
    [InlineData(CallKind.Cancelled, NodeRule.PerAgent)]
    public Task Leg_change_with_X_CID_keeps_both_legs_in_one_trace(CallKind call, NodeRule rule) => RunAsync(async () =>
    {
        // K1 hides the topology (topoh, mask_callid) and adds X-CID: <the caller's Call-ID> to what it
        // relays. On the wire (the HEP transcript): K1 keeps its own Via on top and replaces the caller's
        // by one masked Via, host topoh's mask_ip and branch "z9hG4bKsr-" plus an encoding of the whole
        // caller Via; the Call-ID downstream of K1 is masked ("!!:..."). siptrace mirrors K1's copies as
        // on the wire (masked going to K2 and coming from it), so K1's tracer sees two calls: the caller's
        // (a Server span) and the masked leg it originates (a Client span; its received stack is the masked
        // Via, so its span id is Hop(masked branch), its parent Origin(masked branch)). K2 names that same
        // Hop as its parent: the chain goes on from the hiding node's outgoing leg. The X-CID puts the
        // masked leg's spans in the caller's Call-ID's trace. The two legs of K1 are not linked: that needs
        // an X-CID -> A-leg map in the tracer (a future item of the design): two roots, one trace.
        // Only with each agent's own sockets (PerAgent): the Via rule (ViaOnly, or SharedList for K1-K2
        // messages) pairs a node's received and relayed copies by Call-ID and by the relayed copy's second
        // Via being the received copy's top one; topoh changes both, so nothing pairs, K1's sent-by is
        // never learnt, and its masked INVITE to K2 falls to the default direction (In): K1's agent then
        // exports a Server span with K2's ids (seen with ViaOnly).
        LegChange leg = await RunLegChangeAsync(call, rule, TopologyHiding.MaskCallIdAddXCid);
        Assert.Contains($"X-CID: {leg.CallerCallId}", leg.Flow.Callee.Messages, StringComparison.Ordinal);

        ActivityTraceId[] traces = [.. leg.Flow.Spans.Select(s => s.TraceId).Distinct()];
        Assert.True(traces.Length == 1, $"expected one trace across both legs, got {traces.Length}: {string.Join(", ", traces)}");
    });

    [InteropFact]
    public Task Leg_change_without_X_CID_splits_the_trace_at_the_hiding_node() => RunAsync(async () =>
    {
        // The control: the same topoh without X-CID. The masked leg's trace comes from the masked Call-ID,
        // so K1's outgoing leg and K2 form a tree in a trace of their own; the caller's leg keeps its trace.
        LegChange leg = await RunLegChangeAsync(CallKind.Answered, NodeRule.PerAgent, TopologyHiding.MaskCallId);
        Assert.DoesNotContain("X-CID", leg.Flow.Callee.Messages, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(leg.K1In.TraceId, leg.K1Out.TraceId);
        Assert.Equal(leg.K1Out.TraceId, leg.K2.TraceId);
    });

    [InteropFact]
    public Task Topology_hiding_that_keeps_the_Call_ID_breaks_the_chain_at_the_hiding_node() => RunAsync(async () =>
    {
        // topoh without mask_callid: K1 masks the caller's Via (as in the leg change) but keeps the
        // Call-ID, so its tracer sees its received and relayed copies as one call and names its one span
        // from the received stack, Hop(caller's branch); K2 names Hop(masked branch), which nobody exports.
        // As the design says for topology hiding: one trace (the Call-ID), the chain restarts at K2 under a
        // missing parent (until the hiding node's tracer gives its outgoing leg a span of its own).
        Flow flow = await RunCallAsync(CallKind.Answered, NodeRule.PerAgent, new FlowOptions { TraceHeaders = false, K1TopologyHiding = TopologyHiding.MaskViasKeepCallId });
        AssertNoTraceHeaderOnTheWire(flow);
        HepCopy toK2 = flow.CopiesOf(K2Id).First(c => c.Method == "INVITE" && c.SourcePort == flow.K1.Trusted.Port);
        Assert.StartsWith("127.0.0.8;branch=z9hG4bKsr-", toK2.Vias.Split(" | ")[^1], StringComparison.Ordinal);

        Activity k1 = Assert.Single(flow.SpansOf(K1Id), s => s.DisplayName == "sip.call.setup");
        Activity k2 = Assert.Single(flow.SpansOf(K2Id), s => s.DisplayName == "sip.call.setup");
        Assert.Equal(ActivityKind.Server, k1.Kind);
        Assert.Equal(k1.GetTagItem("sip.call_id"), k2.GetTagItem("sip.call_id"));
        Assert.Single(flow.Spans.Select(s => s.TraceId).Distinct());
        Assert.NotEqual(k1.SpanId, k2.ParentSpanId);
        Assert.DoesNotContain(ExportedSpans, s => s.SpanId == k2.ParentSpanId);
        Assert.Equal(4, flow.Spans.Count);
    });

    private Task<Flow> RunCallAsync(CallKind call, NodeRule rule, FlowOptions options) => call switch
    {
        CallKind.Answered => RunFlowAsync(rule, "uac-answered.xml", "uas-answer-checked.xml", flowOptions: options),
        CallKind.Busy => RunFlowAsync(rule, "uac-busy.xml", "uas-busy-checked.xml", flowOptions: options),
        CallKind.Cancelled => RunFlowAsync(rule, "uac-cancel.xml", "uas-cancel-checked.xml", flowOptions: options),
        CallKind.RetransmittedInvite => RunFlowAsync(rule, "uac-answered.xml", "uas-slow-answer-checked.xml", new Dictionary<string, string> { ["ANSWER_DELAY_MS"] = "2500" }, options),
        _ => throw new ArgumentOutOfRangeException(nameof(call), call, null),
    };

    /// <summary>Neither SIPp end sent or received an <c>X-OTel-*</c> or <c>P-OTel-*</c> header (their message traces).</summary>
    private static void AssertNoTraceHeaderOnTheWire(Flow flow)
    {
        Assert.False(flow.TraceHeadersSent);
        foreach ((string end, string messages) in new[] { ("caller", flow.Caller.Messages), ("callee", flow.Callee.Messages) })
        {
            Assert.True(messages.Contains("INVITE", StringComparison.Ordinal), $"the {end}'s message trace has no INVITE");
            Assert.False(messages.Contains("OTel-", StringComparison.OrdinalIgnoreCase), $"the {end} saw a trace header");
        }
    }

    /// <summary>
    /// The call's spans form one tree: each node exactly one Server setup span (and a teardown span under
    /// it when answered, nothing else), one trace id across all of them, K2's setup span the child of
    /// K1's, and K1's setup span the only span whose parent is not among them.
    /// </summary>
    private static (Activity K1, Activity K2) AssertChain(Flow flow, bool answered)
    {
        var setups = new Dictionary<uint, Activity>();
        ForEachNode(flow, (agent, _) =>
        {
            Activity[] mine = flow.SpansOf(agent);
            Activity setup = Assert.Single(mine, s => s.DisplayName == "sip.call.setup");
            Assert.Equal(ActivityKind.Server, setup.Kind);
            if (answered)
            {
                Activity teardown = Assert.Single(mine, s => s.DisplayName == "sip.call.teardown");
                Assert.Equal(setup.SpanId, teardown.ParentSpanId);
                Assert.Equal(2, mine.Length);
            }
            else
            {
                Assert.Single(mine);
            }

            setups[agent] = setup;
        });

        Activity k1 = setups[K1Id], k2 = setups[K2Id];
        ActivityTraceId[] traces = [.. flow.Spans.Select(s => s.TraceId).Distinct()];
        Assert.True(traces.Length == 1, $"expected one trace, got {traces.Length}: {string.Join(", ", traces)}");
        Assert.True(k1.SpanId == k2.ParentSpanId, $"K2's setup span's parent {k2.ParentSpanId} is not K1's setup span {k1.SpanId}");
        Assert.Equal(answered ? 4 : 2, flow.Spans.Count);

        // One root: the only span whose parent is not a span of the call is K1's setup span.
        HashSet<ActivitySpanId> ids = [.. flow.Spans.Select(s => s.SpanId)];
        Activity root = Assert.Single(flow.Spans, s => !ids.Contains(s.ParentSpanId));
        Assert.Same(k1, root);
        return (k1, k2);
    }

    /// <summary>
    /// Runs a call through a topology-hiding K1 and checks what does not depend on X-CID: the masked
    /// Call-ID and Via on K1-K2, K1's two legs (Server for the caller's, Client for the masked one), K2's
    /// setup span the child of K1's outgoing leg, neither leg's parent exported, teardowns under setups.
    /// </summary>
    private async Task<LegChange> RunLegChangeAsync(CallKind call, NodeRule rule, TopologyHiding hiding)
    {
        bool answered = call is CallKind.Answered or CallKind.RetransmittedInvite;
        Flow flow = await RunCallAsync(call, rule, new FlowOptions { TraceHeaders = false, K1TopologyHiding = hiding });
        AssertNoTraceHeaderOnTheWire(flow);

        // The wire: the caller's INVITE reached K1 with its one Via; K1's INVITE to K2 has K1's Via over a
        // masked one that carries neither the caller's address nor its branch.
        HepCopy fromCaller = Assert.Single(flow.CopiesOf(K1Id), c => c.Method == "INVITE" && c.SourcePort == flow.Caller.EndPoint.Port && c.CSeq == "1 INVITE");
        string callerBranch = Branch(Assert.Single(fromCaller.Vias.Split(" | ")));
        HepCopy toK2 = flow.CopiesOf(K2Id).First(c => c.Method == "INVITE" && c.SourcePort == flow.K1.Trusted.Port);
        string[] vias = toK2.Vias.Split(" | ");
        Assert.Equal(2, vias.Length);
        Assert.StartsWith($"{flow.K1.Trusted};branch=", vias[0], StringComparison.Ordinal);
        Assert.StartsWith("127.0.0.8;branch=z9hG4bKsr-", vias[1], StringComparison.Ordinal);
        Assert.DoesNotContain(callerBranch, vias[1], StringComparison.OrdinalIgnoreCase);

        Activity[] k1Setups = [.. flow.SpansOf(K1Id).Where(s => s.DisplayName == "sip.call.setup")];
        Assert.Equal(2, k1Setups.Length);
        Activity k1In = Assert.Single(k1Setups, s => s.Kind == ActivityKind.Server);
        Activity k1Out = Assert.Single(k1Setups, s => s.Kind == ActivityKind.Client);
        Activity k2 = Assert.Single(flow.SpansOf(K2Id), s => s.DisplayName == "sip.call.setup");
        Assert.Equal(ActivityKind.Server, k2.Kind);
        string callerCallId = Assert.IsType<string>(k1In.GetTagItem("sip.call_id"));
        string maskedCallId = Assert.IsType<string>(k1Out.GetTagItem("sip.call_id"));
        Assert.Contains($"Call-ID: {callerCallId}", flow.Caller.Messages, StringComparison.Ordinal);
        Assert.NotEqual(callerCallId, maskedCallId);
        Assert.Equal(maskedCallId, k2.GetTagItem("sip.call_id"));
        Assert.DoesNotContain($"Call-ID: {callerCallId}", flow.Callee.Messages, StringComparison.Ordinal);

        Assert.True(k1Out.SpanId == k2.ParentSpanId, $"K2's setup span's parent {k2.ParentSpanId} is not K1's outgoing leg's setup span {k1Out.SpanId}");
        Assert.DoesNotContain(ExportedSpans, s => s.SpanId == k1In.ParentSpanId);
        Assert.DoesNotContain(ExportedSpans, s => s.SpanId == k1Out.ParentSpanId);
        foreach (Activity setup in new[] { k1In, k1Out, k2 })
        {
            Activity[] teardowns = [.. flow.Spans.Where(s => s.DisplayName == "sip.call.teardown" && s.ParentSpanId == setup.SpanId)];
            Assert.Equal(answered ? 1 : 0, teardowns.Length);
        }

        Assert.Equal(answered ? 6 : 3, flow.Spans.Count);
        return new LegChange(flow, callerCallId, k1In, k1Out, k2);
    }

    private static string Branch(string via)
    {
        int start = via.IndexOf("branch=", StringComparison.OrdinalIgnoreCase) + "branch=".Length;
        int end = via.IndexOf(';', start);
        return end < 0 ? via[start..] : via[start..end];
    }

    private sealed record LegChange(Flow Flow, string CallerCallId, Activity K1In, Activity K1Out, Activity K2);
}
