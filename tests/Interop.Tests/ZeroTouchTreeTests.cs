using System.Diagnostics;
using System.Security.Cryptography;
using SipTraceContext.Capture;
using SipTraceContext.Interop.Tests.Infrastructure;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// Zero-touch call trees (issue 25, docs/zero-touch-call-trees.md) through real proxies: SIPp caller ->
/// K1 (Kamailio, capture id 2001) -> K2 (Kamailio, capture id 2002) -> SIPp callee, mirrored by
/// <c>siptrace</c> to <see cref="HepCaptureListener"/>s whose tracers derive span and trace ids from SIP
/// (the default <c>IdDerivation = Derive</c>). No node writes a trace header, yet the call's spans form
/// one tree: one trace id (from the Call-ID), K2's setup span the child of K1's (K2 derives K1's span id
/// from the Via under its top), K1's the child of the untraced caller's <c>Origin</c> span, which nobody
/// exports. Also: a caller's forwarded <c>X-OTel-traceparent</c> with a shared derivation key (the hops
/// chain under the caller's span), and two collectors sharing the key (the same tree).
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
}
