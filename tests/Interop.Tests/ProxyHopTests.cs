using System.Diagnostics;
using System.Globalization;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Propagation;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// SIPp caller -> Kamailio (stateful, record-routing, next hop fixed) -> a .NET stateless proxy hop on
/// our wire reader and raw propagator -> SIPp callee, for real call flows: answered, 486 busy, CANCEL
/// while ringing, and an INVITE Kamailio retransmits because the callee is slow. Both SIPp ends must
/// finish their scenario (exit 0), the callee's scenario checks by regexp that every request it gets
/// carries the caller's trace id in <c>X-OTel-traceparent</c>, and the hop must extract the caller's
/// exact context from every request Kamailio sends it, including the CANCEL and non-2xx ACK Kamailio
/// builds itself (the <c>tm</c> <c>ac_extra_hdrs</c> setting the README documents).
/// </summary>
public sealed class ProxyHopTests(ITestOutputHelper output) : InteropTest(output)
{
    [InteropFact]
    public Task Answered_call_through_the_hop() => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync("uac-answered.xml", "uas-answer-checked.xml");

        Assert.Equal(["INVITE", "ACK", "BYE"], flow.Hop.Requests.Select(r => r.Method).ToArray());
        flow.AssertEveryRequestCarriedTheCallersContext();
        flow.AssertHopSpan("INVITE", 200);
        flow.AssertHopSpan("BYE", 200);
        flow.AssertHopSpan("ACK", statusCode: null);
        flow.AssertCalleeSawTheHopsContext("INVITE");
    });

    [InteropFact]
    public Task Busy_call_through_the_hop() => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync("uac-busy.xml", "uas-busy-checked.xml");

        // The ACK for the 486 is Kamailio's own (hop by hop), yet it carries the caller's context.
        Assert.Equal(["INVITE", "ACK"], flow.Hop.Requests.Select(r => r.Method).ToArray());
        flow.AssertEveryRequestCarriedTheCallersContext();
        flow.AssertHopSpan("INVITE", 486);
        HopRequest invite = flow.Hop.Requests.First(r => r.Method == "INVITE");
        HopRequest ack = flow.Hop.Requests.First(r => r.Method == "ACK");
        Assert.Equal(invite.Branch, ack.Branch);
        flow.AssertCalleeSawTheHopsContext("INVITE");
    });

    [InteropFact]
    public Task Cancelled_call_through_the_hop() => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync("uac-cancel.xml", "uas-cancel-checked.xml");

        // Kamailio builds the downstream CANCEL and the ACK for the 487 itself; both keep the context.
        Assert.Equal(["INVITE", "CANCEL", "ACK"], flow.Hop.Requests.Select(r => r.Method).ToArray());
        flow.AssertEveryRequestCarriedTheCallersContext();
        flow.AssertHopSpan("INVITE", 487);
        flow.AssertHopSpan("CANCEL", 200);
        HopRequest[] requests = [.. flow.Hop.Requests];
        Assert.All(requests, r => Assert.Equal(requests[0].Branch, r.Branch));
        flow.AssertCalleeSawTheHopsContext("INVITE");
        flow.AssertCalleeSawTheHopsContext("CANCEL");
    });

    [InteropFact]
    public Task Retransmitted_INVITE_through_the_hop_makes_no_second_span() => RunAsync(async () =>
    {
        // The callee answers after 1.2 s: Kamailio's timer A (T1 = 500 ms) resends the INVITE meanwhile.
        Flow flow = await RunFlowAsync(
            "uac-answered.xml",
            "uas-slow-answer-checked.xml",
            new Dictionary<string, string> { ["ANSWER_DELAY_MS"] = "1200" });

        HopRequest[] invites = [.. flow.Hop.Requests.Where(r => r.Method == "INVITE")];
        Assert.True(invites.Length >= 2, $"expected Kamailio to retransmit the INVITE, the hop saw {invites.Length}");
        Assert.False(invites[0].Retransmission);
        Assert.All(invites[1..], r =>
        {
            Assert.True(r.Retransmission);
            Assert.Equal(invites[0].Branch, r.Branch);
            Assert.Equal(invites[0].Forwarded, r.Forwarded);
        });
        flow.AssertEveryRequestCarriedTheCallersContext();
        flow.AssertHopSpan("INVITE", 200);
        flow.AssertHopSpan("BYE", 200);
        flow.AssertCalleeSawTheHopsContext("INVITE");

        // SIPp received the retransmission too (and absorbed it: its scenario still completed).
        int received = flow.Callee.Messages.Split("\nINVITE sip:", StringSplitOptions.None).Length - 1;
        Assert.True(received >= 2, $"the callee's message trace shows {received} INVITE(s)");
    });

    private async Task<Flow> RunFlowAsync(string callerScenario, string calleeScenario, Dictionary<string, string>? replacements = null)
    {
        TraceContextSample sent = TraceContextSample.Create();
        var hop = Own(new ProxyHop(Endpoint("dotnet-hop"), new SipRawPropagator(), Source));
        KamailioProcess kamailio = await StartKamailioAsync(nextHop: hop.EndPoint);

        replacements ??= [];
        replacements["TRACE_HEADER"] = "X-OTel-traceparent";
        replacements["TRACEPARENT_REGEX"] = $"00-{sent.TraceId.ToHexString()}-[0-9a-f]{{16}}-[0-9a-f]{{2}}";
        replacements["TRACESTATE_HEADER"] = "X-OTel-tracestate";
        replacements["TRACESTATE_REGEX"] = sent.TraceState;
        SippProcess callee = await StartSippAsync("callee", calleeScenario, replacements: replacements);
        SippProcess caller = await StartSippAsync(
            "caller",
            callerScenario,
            kamailio.Trusted,
            new Dictionary<string, string>
            {
                ["traceparent"] = sent.TraceParent,
                ["tracestate"] = sent.TraceState,
                ["uas_port"] = callee.EndPoint.Port.ToString(CultureInfo.InvariantCulture),
            });

        int callerExit = await caller.WaitForExitCodeAsync();
        int calleeExit = await callee.WaitForExitCodeAsync();
        Assert.True(callerExit == 0 && calleeExit == 0, $"SIPp exit codes: caller {callerExit}, callee {calleeExit} (0 = scenario completed)");
        Assert.Empty(hop.Dropped);
        FlushSpans();
        return new Flow(sent, hop, callee, [.. ExportedSpans]);
    }

    private sealed record Flow(TraceContextSample Sent, ProxyHop Hop, SippProcess Callee, List<Activity> Spans)
    {
        public void AssertEveryRequestCarriedTheCallersContext()
        {
            foreach (HopRequest request in Hop.Requests)
            {
                Assert.True(request.Extracted, $"the {request.Method} Kamailio sent the hop had no trace context");
                Sent.AssertExtracted(request.Incoming);
                Assert.Equal(Sent.TraceId, request.Forwarded.TraceId);
                Assert.NotEqual(Sent.SpanId, request.Forwarded.SpanId);
            }
        }

        /// <summary>Exactly one hop span for the method, child of the caller's span, ended with the status.</summary>
        public void AssertHopSpan(string method, int? statusCode)
        {
            Activity span = Assert.Single(Spans, s => s.DisplayName == "hop " + method);
            Assert.Equal(Sent.TraceId, span.TraceId);
            Assert.Equal(Sent.SpanId, span.ParentSpanId);
            Assert.Equal(Sent.TraceState, span.TraceStateString);
            if (statusCode is { } code)
            {
                Assert.Equal(code, span.GetTagItem("sip.status_code"));
            }
        }

        /// <summary>What SIPp matched in the callee scenario is the context the hop injected, not the caller's.</summary>
        public void AssertCalleeSawTheHopsContext(string method)
        {
            HopRequest request = Hop.Requests.First(r => r.Method == method);
            string injected = TraceParent.FromActivityContext(request.Forwarded).ToString();
            Assert.Contains($"{method} X-OTel-traceparent:  {injected}", Callee.Logs, StringComparison.Ordinal);
        }
    }
}
