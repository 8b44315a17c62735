using System.Diagnostics;
using CallTraceDemo;
using SipTraceContext.Propagation;

namespace SipTraceContext.Samples.Tests;

public sealed class CallTraceDemoTests
{
    [Fact]
    public async Task DefaultRunTracesEveryCallAcrossAllFourNodes()
    {
        DemoResult result = await DemoRunner.RunAsync(new DemoOptions { Calls = 4 });

        Assert.Empty(result.Errors);
        Assert.Equal(4, result.Calls.Count);
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
                    Assert.All([edge, core, callee], s => Assert.Equal((ActivityStatusCode.Error, "Busy Here"), (s.Status, s.StatusDescription)));
                    Assert.DoesNotContain(edge.Children, s => s.Name == "sip.call.teardown");
                    break;
                case CallScenario.Cancelled:
                    Assert.All([edge, core, callee], s => Assert.Equal((ActivityStatusCode.Error, "Request Terminated"), (s.Status, s.StatusDescription)));
                    Assert.Contains(edge.Events, e => e.Name == "sip.cancelled");
                    Assert.Contains(core.Events, e => e.Name == "sip.cancelled");
                    break;
            }

            bool retransmitted = call.Scenario == CallScenario.Retransmitted;
            Assert.Equal(retransmitted, edge.Events.Any(e => e.Name == "sip.retransmission (INVITE)"));
            Assert.Equal(retransmitted, core.Events.Any(e => e.Name == "sip.retransmission (INVITE)"));
        }

        // Both proxies' instruments, summed: each call counts once per proxy.
        MetricsSummary metrics = result.Metrics;
        Assert.Equal(4, metrics.AnsweredCalls);
        Assert.Equal(0, metrics.ActiveCalls);
        Assert.Equal(2, metrics.FailuresByReason["486"]);
        Assert.Equal(2, metrics.FailuresByReason["cancelled"]);
        Assert.Equal(2, metrics.FailuresByReason.Count);
        Assert.Equal(4, metrics.ResponsesByCode["200 INVITE"]);
        Assert.Equal(2, metrics.ResponsesByCode["486 INVITE"]);
        Assert.Equal(2, metrics.ResponsesByCode["487 INVITE"]);
        Assert.Equal(4, metrics.ResponsesByCode["200 BYE"]);
        Assert.Equal(2, metrics.ResponsesByCode["200 CANCEL"]);
        Assert.True(metrics.Retransmissions > 0);
        Assert.True(metrics.SetupP50Ms > 0 && metrics.SetupP50Ms <= metrics.SetupP95Ms && metrics.SetupP95Ms <= metrics.SetupMaxMs);

        // The rendered waterfall and summary.
        string text = result.Text;
        Assert.Contains("call 1: answered, hung up [client]", text, StringComparison.Ordinal);
        Assert.Contains("    sip.call.setup [server]", text, StringComparison.Ordinal);
        Assert.Contains("      sip.call.setup [server]", text, StringComparison.Ordinal);
        Assert.Contains("        callee INVITE [server]", text, StringComparison.Ordinal);
        Assert.Contains("ERROR Busy Here", text, StringComparison.Ordinal);
        Assert.Contains("· sip.cancelled", text, StringComparison.Ordinal);
        Assert.Contains("· sip.retransmission (INVITE)", text, StringComparison.Ordinal);
        Assert.Contains("failures          486: 2, cancelled: 2", text, StringComparison.Ordinal);
        Assert.Contains("active calls      0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task POTelHeadersCarryTheTraceWithConcurrentCalls()
    {
        DemoResult result = await DemoRunner.RunAsync(new DemoOptions { Calls = 8, Concurrency = 4, Style = SipHeaderStyle.POTel });

        Assert.Empty(result.Errors);
        Assert.Equal(8, result.Calls.Count);
        Assert.All(result.Calls, call => Single(Single(Single(call.Root, "sip.call.setup", "P-CSCF"), "sip.call.setup", "S-CSCF"), "callee INVITE", "callee"));
        Assert.Equal(8, result.Metrics.AnsweredCalls);
        Assert.Equal(0, result.Metrics.ActiveCalls);
        Assert.Contains("POTel trace headers", result.Text, StringComparison.Ordinal);
    }

    private static SpanNode Single(SpanNode parent, string name, string node) =>
        Assert.Single(parent.Children, s => s.Name == name && s.Node == node);
}
