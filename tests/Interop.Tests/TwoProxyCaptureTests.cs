using System.Diagnostics;
using System.Globalization;
using SipTraceContext.Capture;
using SipTraceContext.Interop.Tests.Infrastructure;

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
public sealed class TwoProxyCaptureTests(ITestOutputHelper output) : TwoProxyTest(output)
{
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
}
