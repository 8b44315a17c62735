using System.Diagnostics;
using System.Globalization;
using System.Net;
using SipTraceContext.Capture;
using SipTraceContext.Interop.Tests.Infrastructure;
using Xunit.Sdk;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// SIPp caller -> K1 (Kamailio, capture id 2001) -> K2 (Kamailio, capture id 2002) -> SIPp callee, all on
/// 127.0.0.1, both nodes' <c>siptrace</c> mirroring to one <see cref="HepCaptureListener"/>: every K1-K2
/// message has a node at both ends and is mirrored by both. For answered, busy, cancelled and
/// retransmitted calls, each node gets exactly its own Server setup span (child of the caller's
/// <c>X-OTel-traceparent</c>, which both proxies relay unchanged), the right status, and metrics that
/// count each response and each retransmission once per node, whichever way the listener tells
/// direction: each agent's own sockets, one shared list of both nodes' sockets, or no endpoints at all
/// (the nodes' Vias alone).
/// </summary>
[Collection(CallTracerTests.Name)]
public sealed class TwoProxyCaptureTests(ITestOutputHelper output) : InteropTest(output, sipInstrumentation: true)
{
    private const uint K1Id = 2001;
    private const uint K2Id = 2002;

    /// <summary>What the listener is told about the nodes.</summary>
    public enum NodeRule
    {
        /// <summary><see cref="HepCaptureOptions.NodeEndPoints"/>: both nodes' sockets in one list.</summary>
        SharedList,

        /// <summary><see cref="HepCaptureOptions.NodeEndPointsByAgent"/>: each agent its own node's sockets.</summary>
        PerAgent,

        /// <summary>Nothing: the nodes' own Vias decide (all nodes share one address, so the HEP sender cannot).</summary>
        ViaOnly,
    }

    [InteropTheory]
    [InlineData(NodeRule.SharedList)]
    [InlineData(NodeRule.PerAgent)]
    [InlineData(NodeRule.ViaOnly)]
    public Task Answered_call_through_two_chained_Kamailio_nodes_on_one_collector(NodeRule rule) => RunAsync(async () =>
    {
        // Without configuration the nodes' Vias decide; with it, each agent's own sockets. Both nodes'
        // sockets are also in the shared list, which must not decide the messages between them.
        Flow flow = await RunFlowAsync(rule, "uac-answered.xml", "uas-answer-checked.xml");
        List<Activity> spans = flow.Spans;
        Assert.Equal(2, flow.Listener.CaptureAgents);
        foreach ((uint id, int peerPort) in new[] { (K1Id, flow.Caller.EndPoint.Port), (K2Id, flow.K1.Trusted.Port) })
        {
            // Each node: exactly one Server setup span (the INVITE it received; the one it relayed is its
            // Client side of the same call, not a second span) and one teardown span, statuses right.
            Activity[] mine = [.. spans.Where(s => Equals(s.GetTagItem("sip.capture.agent_id"), (long)id))];
            Activity setup = Assert.Single(mine, s => s.DisplayName == "sip.call.setup");
            Assert.Equal(ActivityKind.Server, setup.Kind);
            Assert.Equal(flow.Sent.SpanId, setup.ParentSpanId);
            Assert.Equal(200, setup.GetTagItem("sip.status_code"));
            Assert.Equal(ActivityStatusCode.Unset, setup.Status);
            Assert.Equal(peerPort, setup.GetTagItem("network.peer.port"));
            Activity teardown = Assert.Single(mine, s => s.DisplayName == "sip.call.teardown");
            Assert.Equal(ActivityKind.Server, teardown.Kind);
            Assert.Equal(setup.SpanId, teardown.ParentSpanId);
            Assert.Equal(ActivityStatusCode.Unset, teardown.Status);
            string agent = id.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(1, CounterSum("sip.response.count", ("sip.capture.agent_id", agent), ("sip.status_code", "200"), ("sip.method", "INVITE")));
            Assert.Equal(1, CounterSum("sip.response.count", ("sip.capture.agent_id", agent), ("sip.status_code", "200"), ("sip.method", "BYE")));
        }

        Assert.Equal(4, spans.Count);
        Assert.Equal(2, HistogramCount("sip.call.setup_latency"));
        Assert.Equal(0, CounterSum("sip.message.retransmissions"));
        Assert.Equal(0, CounterSum("sip.call.failed"));
        Assert.Equal(0, CounterSum("sip.calls.active"));
        Assert.Equal(0, flow.Listener.PacketsDropped);
    });

    [InteropTheory]
    [InlineData(NodeRule.SharedList)]
    [InlineData(NodeRule.PerAgent)]
    [InlineData(NodeRule.ViaOnly)]
    public Task Busy_call_through_two_chained_Kamailio_nodes_on_one_collector(NodeRule rule) => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync(rule, "uac-busy.xml", "uas-busy-checked.xml");

        ForEachNode(flow, (agent, tag) =>
        {
            // Each node's Server span: the callee's 486 is its answer, not the proxy's fault (Unset).
            Activity setup = AssertSetupSpan(flow, agent, status: 486);
            Assert.Equal("486", setup.GetTagItem("error.type"));
            Assert.Single(flow.SpansOf(agent));
            AssertCounter(1, "sip.call.failed", ("sip.capture.agent_id", tag), ("error.type", "486"));
            AssertCounter(1, "sip.response.count", ("sip.capture.agent_id", tag), ("sip.status_code", "486"), ("sip.method", "INVITE"));
            AssertCountedOncePerNode(flow, agent);
        });

        Assert.Equal(2, flow.Spans.Count);
        Assert.DoesNotContain(flow.Spans, s => s.DisplayName == "sip.call.teardown");
        Assert.Equal(2, CounterSum("sip.call.failed"));
        Assert.Equal(0, HistogramCount("sip.call.setup_latency"));
        flow.AssertNothingDropped();
    });

    [InteropTheory]
    [InlineData(NodeRule.SharedList)]
    [InlineData(NodeRule.PerAgent)]
    [InlineData(NodeRule.ViaOnly)]
    public Task Cancelled_call_through_two_chained_Kamailio_nodes_on_one_collector(NodeRule rule) => RunAsync(async () =>
    {
        // With the shared list, K1's CANCEL to K2 (a node at both ends) is left to K1's Via rule. Kamailio
        // adds received/rport to the caller's Via it relays: before the rule compared Via entries by
        // sent-by and branch, only the 180 pair taught it K1's sent-by, sometimes after the CANCEL
        // copies, and the CANCEL then counted as a retransmission (13 of 36 runs).
        Flow flow = await RunFlowAsync(rule, "uac-cancel.xml", "uas-cancel-checked.xml");

        ForEachNode(flow, (agent, tag) =>
        {
            // A 487 after CANCEL is the expected answer to the caller hanging up: Unset.
            Activity setup = AssertSetupSpan(flow, agent, status: 487);
            Assert.Equal("cancelled", setup.GetTagItem("error.type"));
            Assert.Contains(setup.Events, e => e.Name == "sip.ringing");
            Assert.Single(setup.Events, e => e.Name == "sip.cancelled");
            Assert.Single(flow.SpansOf(agent));
            AssertCounter(1, "sip.call.failed", ("sip.capture.agent_id", tag), ("error.type", "cancelled"));
            AssertCounter(1, "sip.response.count", ("sip.capture.agent_id", tag), ("sip.status_code", "487"), ("sip.method", "INVITE"));

            // CANCEL is hop by hop: each node answers the CANCEL it received itself (its own To tag) and
            // hears the next hop's answer to the CANCEL it sent: two responses per node, each once.
            AssertCounter(2, "sip.response.count", ("sip.capture.agent_id", tag), ("sip.status_code", "200"), ("sip.method", "CANCEL"));
            AssertCountedOncePerNode(flow, agent);
        });

        Assert.Equal(2, flow.Spans.Count);
        Assert.DoesNotContain(flow.Spans, s => s.DisplayName == "sip.call.teardown");
        Assert.Equal(2, CounterSum("sip.call.failed"));
        flow.AssertNothingDropped();
    });

    [InteropTheory]
    [InlineData(NodeRule.SharedList)]
    [InlineData(NodeRule.PerAgent)]
    [InlineData(NodeRule.ViaOnly)]
    public Task Retransmitted_INVITE_through_two_chained_Kamailio_nodes_counts_once_per_node(NodeRule rule) => RunAsync(async () =>
    {
        // The callee answers after 2.5 s (no 100 Trying before), as in the single-proxy test. Who resends:
        // - the SIPp caller resends its INVITE to K1 (0.5 s, 1.5 s); K1 absorbs each and resends its 100;
        // - K1's timer A resends its INVITE to K2 only until K2's 100 arrives (usually at once, so
        //   rarely); K2 absorbs each and resends its 100;
        // - K2's timer A resends its INVITE to the silent callee at 0.5 s and 1.5 s.
        // So K1 sees the caller's resends arriving and its own (if any) leaving, and K2 sees K1's
        // resends arriving and its own leaving. A node's received and relayed copies of one message look
        // alike (a stateless proxy relays each resend), so the tracer counts, per message and node, the
        // repeats of the direction that has more: max(received, sent) - 1 copies. The expectation is
        // derived from the copies each agent actually mirrored (counted by the nodes' known sockets),
        // not from the timers, so that a late 100 or a slow machine changes the copies and the
        // expectation together.
        Flow flow = await RunFlowAsync(rule, "uac-answered.xml", "uas-slow-answer-checked.xml", new Dictionary<string, string> { ["ANSWER_DELAY_MS"] = "2500" });
        (int k2In, int k2Out) = flow.Copies(K2Id, c => c.Method == "INVITE");
        Assert.True(k2Out >= 2, $"expected K2 to resend the INVITE to the slow callee; K2 mirrored {k2In} received and {k2Out} sent");

        ForEachNode(flow, (agent, tag) =>
        {
            Activity setup = AssertSetupSpan(flow, agent, status: 200);
            Activity teardown = Assert.Single(flow.SpansOf(agent), s => s.DisplayName == "sip.call.teardown");
            Assert.Equal(setup.SpanId, teardown.ParentSpanId);
            Assert.Equal(2, flow.SpansOf(agent).Length);

            (int received, int sent) = flow.Copies(agent, c => c.Method == "INVITE" && c.CSeq == "1 INVITE");
            Output.WriteLine($"agent {agent}: INVITE mirrored {received} received, {sent} sent");
            int expected = Math.Max(received, sent) - 1;
            ActivityEvent[] requestRetransmissions = [.. setup.Events.Where(e => e.Name == "sip.retransmission" && e.Tags.Any(t => t.Key == "sip.method"))];
            Assert.True(expected == requestRetransmissions.Length, $"INVITE retransmissions on the setup span: expected {expected} (mirrored {received} received, {sent} sent), got {requestRetransmissions.Length}");
            AssertCounter(1, "sip.response.count", ("sip.capture.agent_id", tag), ("sip.status_code", "200"), ("sip.method", "INVITE"));
            AssertCountedOncePerNode(flow, agent);
        });

        Assert.Equal(2, HistogramCount("sip.call.setup_latency"));
        flow.AssertNothingDropped();
    });

    [InteropTheory]
    [InlineData(NodeRule.SharedList)]
    [InlineData(NodeRule.PerAgent)]
    [InlineData(NodeRule.ViaOnly)]
    public Task Retransmitted_200_OK_through_two_chained_Kamailio_nodes_counts_once_per_node(NodeRule rule) => RunAsync(async () =>
    {
        // The caller ACKs 1.2 s late: the callee resends its 200 OK until the ACK, and each proxy relays
        // each copy upstream (a 2xx is relayed statelessly), so each node mirrors every retransmission
        // twice (received and relayed): once per node, not twice, and not once in all.
        Flow flow = await RunFlowAsync(rule, "uac-answered-late-ack.xml", "uas-answer-checked.xml");

        ForEachNode(flow, (agent, tag) =>
        {
            (int received, int sent) = flow.Copies(agent, c => c.Status == 200 && c.CSeq == "1 INVITE");
            Output.WriteLine($"agent {agent}: 200 OK mirrored {received} received, {sent} sent");
            Assert.True(received >= 2 && sent >= 2, $"expected the callee's 200 OK retransmitted and relayed, mirrored {received} received and {sent} sent");

            Activity setup = AssertSetupSpan(flow, agent, status: 200);
            Activity teardown = Assert.Single(flow.SpansOf(agent), s => s.DisplayName == "sip.call.teardown");
            Assert.Equal(setup.SpanId, teardown.ParentSpanId);
            Assert.Equal(2, flow.SpansOf(agent).Length);
            AssertCounter(Math.Max(received, sent) - 1, "sip.message.retransmissions", ("sip.capture.agent_id", tag), ("sip.method", "INVITE"));
            AssertCounter(1, "sip.response.count", ("sip.capture.agent_id", tag), ("sip.status_code", "200"), ("sip.method", "INVITE"));
            AssertCountedOncePerNode(flow, agent);
        });

        Assert.Equal(2, HistogramCount("sip.call.setup_latency"));
        flow.AssertNothingDropped();
    });

    /// <summary>
    /// Starts the callee, K2 (next hop the callee), K1 (next hop K2), the listener told about the nodes as
    /// <paramref name="rule"/> says, a relay in front of it, then the caller; waits until the capture is
    /// quiet. Returns the spans of the trace the caller sent, and the listener and copies to check.
    /// </summary>
    private async Task<Flow> RunFlowAsync(NodeRule rule, string callerScenario, string calleeScenario, Dictionary<string, string>? replacements = null)
    {
        TraceContextSample sent = TraceContextSample.Create();
        replacements ??= [];
        replacements["TRACE_HEADER"] = "X-OTel-traceparent";
        replacements["TRACEPARENT_REGEX"] = $"00-{sent.TraceId.ToHexString()}-[0-9a-f]{{16}}-[0-9a-f]{{2}}";
        replacements["TRACESTATE_HEADER"] = "X-OTel-tracestate";
        replacements["TRACESTATE_REGEX"] = sent.TraceState;
        SippProcess callee = await StartSippAsync("callee", calleeScenario, replacements: replacements);

        // Both nodes mirror to the collector port, chosen first so that their configs can name it; the
        // relay binds it once the nodes are up (their readiness probes are not part of the call).
        var collector = new IPEndPoint(IPAddress.Loopback, LocalPorts.NextUdpPort());
        KamailioProcess k2 = await StartKamailioAsync(callee.EndPoint, hepCollector: collector, hepCaptureId: K2Id);
        KamailioProcess k1 = await StartKamailioAsync(k2.Trusted, hepCollector: collector, hepCaptureId: K1Id);
        var options = new HepCaptureOptions { Address = IPAddress.Loopback.ToString(), Port = 0 };
        switch (rule)
        {
            case NodeRule.PerAgent:
                options.NodeEndPointsByAgent[K1Id] = [k1.Trusted.ToString(), k1.Untrusted.ToString()];
                options.NodeEndPointsByAgent[K2Id] = [k2.Trusted.ToString(), k2.Untrusted.ToString()];
                break;
            case NodeRule.SharedList:
                foreach (KamailioProcess node in new[] { k1, k2 })
                {
                    options.NodeEndPoints.Add(node.Trusted.ToString());
                    options.NodeEndPoints.Add(node.Untrusted.ToString());
                }

                break;
            case NodeRule.ViaOnly:
                break;
        }

        HepCaptureListener listener = OwnDisposable(new HepCaptureListener(options));
        Own(new StopOnDispose(listener));
        await listener.StartAsync(CancellationToken.None);
        HepRelay relay = Own(HepRelay.Start(collector, listener.LocalEndPoint!, Transcript));
        Transcript.Note($"HEP relay on {collector} -> listener on {listener.LocalEndPoint} ({rule}), K1 {k1.Trusted} / {k1.Untrusted}, K2 {k2.Trusted} / {k2.Untrusted}");

        SippProcess caller = await StartSippAsync(
            "caller",
            callerScenario,
            k1.Trusted,
            new Dictionary<string, string>
            {
                ["traceparent"] = sent.TraceParent,
                ["tracestate"] = sent.TraceState,
                ["uas_port"] = callee.EndPoint.Port.ToString(CultureInfo.InvariantCulture),
            });
        int callerExit = await caller.WaitForExitCodeAsync();
        int calleeExit = await callee.WaitForExitCodeAsync();
        Assert.True(callerExit == 0 && calleeExit == 0, $"SIPp exit codes: caller {callerExit}, callee {calleeExit} (0 = scenario completed)");

        // Kamailio mirrors asynchronously, and tm may still resend a final response (Timer G, 0.5 s) after
        // SIPp exited: wait until no packet came for two 400 ms rounds and every one is handled. The
        // listener keeps running: the spans must have been ended by the messages, not by a stop.
        long seen = -1;
        int quietRounds = 0;
        var clock = Stopwatch.StartNew();
        while (quietRounds < 2 && clock.Elapsed < TimeSpan.FromSeconds(8))
        {
            await Task.Delay(400);
            long received = listener.PacketsReceived;
            bool handled = listener.PacketsRecorded + listener.PacketsDropped >= received;
            quietRounds = received == seen && handled ? quietRounds + 1 : 0;
            seen = received;
        }

        Transcript.Note($"HEP listener received {listener.PacketsReceived}, recorded {listener.PacketsRecorded}, dropped {listener.PacketsDropped}");
        FlushSpans();
        List<Activity> spans = [.. ExportedSpans.Where(s => s.TraceId == sent.TraceId)];
        foreach (Activity span in spans)
        {
            Transcript.Note($"span {span.DisplayName} {span.Kind} agent {span.GetTagItem("sip.capture.agent_id")} status {span.GetTagItem("sip.status_code")} {span.Status} parent {span.ParentSpanId} events {string.Join(", ", span.Events.Select(e => e.Name + (e.Name == "sip.retransmission" ? $" ({string.Join(" ", e.Tags.Select(t => $"{t.Key}={t.Value}"))}) at {e.Timestamp:HH:mm:ss.ffffff}" : string.Empty)))}");
        }

        return new Flow(sent, listener, relay, caller, k1, k2, spans);
    }

    /// <summary>Runs the checks of each node, naming the node in a failure.</summary>
    private static void ForEachNode(Flow flow, Action<uint, string> check)
    {
        foreach (uint agent in new[] { K1Id, K2Id })
        {
            try
            {
                check(agent, agent.ToString(CultureInfo.InvariantCulture));
            }
            catch (XunitException e)
            {
                throw new XunitException($"node {(agent == K1Id ? "K1" : "K2")} (agent {agent}): {e.Message}");
            }
        }

        Assert.Equal(2, flow.Listener.CaptureAgents);
    }

    /// <summary>The node's one setup span: Server, child of what the caller sent, the status given, Unset, from its upstream peer.</summary>
    private static Activity AssertSetupSpan(Flow flow, uint agent, int status)
    {
        Activity[] mine = flow.SpansOf(agent);
        Activity setup = Assert.Single(mine, s => s.DisplayName == "sip.call.setup");
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal(flow.Sent.TraceId, setup.TraceId);
        Assert.Equal(flow.Sent.SpanId, setup.ParentSpanId);
        Assert.Equal("INVITE", setup.GetTagItem("sip.method"));
        Assert.Equal(status, setup.GetTagItem("sip.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
        Assert.Equal(flow.UpstreamPort(agent), setup.GetTagItem("network.peer.port"));

        // A proxy relays the caller's requests: no span of it is a Client span of its own.
        Assert.All(mine, s => Assert.Equal(ActivityKind.Server, s.Kind));
        Assert.All(mine, s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
        return setup;
    }

    /// <summary>
    /// Every response this node mirrored counted once in <c>sip.response.count</c> (a distinct status,
    /// CSeq and To tag is one response, however many copies), every retransmission once in
    /// <c>sip.message.retransmissions</c> (per message, max(received, sent) - 1 copies: a relayed copy of
    /// a retransmission is not another), and no call left active.
    /// </summary>
    private void AssertCountedOncePerNode(Flow flow, uint agent)
    {
        string tag = agent.ToString(CultureInfo.InvariantCulture);
        HepCopy[] mine = flow.CopiesOf(agent);
        foreach (IGrouping<(int Status, string Method), HepCopy> responses in mine.Where(c => c.Method is null).GroupBy(c => (c.Status, c.CSeqMethod)))
        {
            int distinct = responses.Select(c => (c.CSeq, c.ToTag)).Distinct().Count();
            AssertCounter(
                distinct,
                "sip.response.count",
                ("sip.capture.agent_id", tag),
                ("sip.status_code", responses.Key.Status.ToString(CultureInfo.InvariantCulture)),
                ("sip.method", responses.Key.Method));
        }

        foreach (string method in mine.Select(c => c.CSeqMethod).Distinct().Where(m => m != "ACK"))
        {
            AssertCounter(flow.ExpectedRetransmissions(agent, method), "sip.message.retransmissions", ("sip.capture.agent_id", tag), ("sip.method", method));
        }

        AssertCounter(0, "sip.calls.active", ("sip.capture.agent_id", tag));
    }

    private void AssertCounter(long expected, string name, params (string Key, string Value)[] tags)
    {
        long actual = CounterSum(name, tags);
        Assert.True(expected == actual, $"{name}{{{string.Join(", ", tags.Select(t => $"{t.Key}={t.Value}"))}}}: expected {expected}, got {actual}");
    }

    private sealed record Flow(
        TraceContextSample Sent,
        HepCaptureListener Listener,
        HepRelay Relay,
        SippProcess Caller,
        KamailioProcess K1,
        KamailioProcess K2,
        List<Activity> Spans)
    {
        public Activity[] SpansOf(uint agent) => [.. Spans.Where(s => Equals(s.GetTagItem("sip.capture.agent_id"), (long)agent))];

        /// <summary>The port of the hop the node receives the caller's requests from: the caller for K1, K1 for K2.</summary>
        public int UpstreamPort(uint agent) => agent == K1Id ? Caller.EndPoint.Port : K1.Trusted.Port;

        public HepCopy[] CopiesOf(uint agent) => [.. Relay.Copies.Where(c => c.AgentId == agent)];

        /// <summary>How many copies matching <paramref name="match"/> the agent mirrored as received and as sent, by its node's sockets.</summary>
        public (int Received, int Sent) Copies(uint agent, Func<HepCopy, bool> match)
        {
            int received = 0, sent = 0;
            foreach (HepCopy copy in CopiesOf(agent).Where(match))
            {
                if (Sends(agent, copy))
                {
                    sent++;
                }
                else
                {
                    received++;
                }
            }

            return (received, sent);
        }

        /// <summary>
        /// The retransmissions of one CSeq method the node should count: per message (a request by method
        /// and CSeq, a response by status, CSeq and To tag; ACKs are never counted), max(received,
        /// sent) - 1 of its copies.
        /// </summary>
        public int ExpectedRetransmissions(uint agent, string cseqMethod)
        {
            int expected = 0;
            foreach (IGrouping<string, HepCopy> message in CopiesOf(agent)
                .Where(c => c.CSeqMethod == cseqMethod && c.Method != "ACK")
                .GroupBy(c => c.Method is null ? $"{c.Status} {c.CSeq} {c.ToTag}" : $"{c.Method} {c.CSeq}"))
            {
                (int received, int sent) = Copies(agent, c => message.Contains(c));
                expected += Math.Max(received, sent) - 1;
            }

            return expected;
        }

        public void AssertNothingDropped()
        {
            Assert.True(Listener.PacketsRecorded > 0, "Kamailio sent no HEP packet");
            Assert.Equal(0, Listener.PacketsDropped);
        }

        private bool Sends(uint agent, HepCopy copy)
        {
            KamailioProcess node = agent == K1Id ? K1 : K2;
            return copy.SourcePort == node.Trusted.Port || copy.SourcePort == node.Untrusted.Port;
        }
    }

    /// <summary>Stops the listener (if the test did not) before it is disposed.</summary>
    private sealed class StopOnDispose(HepCaptureListener listener) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await listener.StopAsync(limit.Token).ConfigureAwait(false);
        }
    }
}
