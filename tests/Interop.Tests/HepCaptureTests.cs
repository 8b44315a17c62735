using System.Diagnostics;
using System.Globalization;
using System.Net;
using SipTraceContext.Capture;
using SipTraceContext.Interop.Tests.Infrastructure;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// SIPp caller -> Kamailio (stateful, next hop fixed) -> SIPp callee, with nothing of ours in the SIP path:
/// Kamailio's <c>siptrace</c> module mirrors every message it receives and sends as HEPv3 to a
/// <see cref="HepCaptureListener"/> in the test, which alone produces the spans and metrics. For answered,
/// busy and cancelled calls: exactly one setup span (and one teardown span for the answered call) of the
/// Kamailio node, in the trace of the <c>X-OTel-traceparent</c> SIPp sent, timed by the capture, tagged
/// with the capture agent and the hop addresses, and metrics that count each call and response once
/// although Kamailio mirrors both the received and the relayed copy of each message.
/// </summary>
[Collection(CallTracerTests.Name)]
public sealed class HepCaptureTests(ITestOutputHelper output) : InteropTest(output, sipInstrumentation: true)
{
    [InteropFact]
    public Task Answered_call_captured_from_Kamailio() => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync("uac-answered.xml", "uas-answer-checked.xml");

        Activity setup = flow.SetupSpan();
        Assert.Equal(200, setup.GetTagItem("sip.status_code"));
        Assert.NotNull(setup.GetTagItem("sip.setup_time_ms"));
        Assert.NotEqual(ActivityStatusCode.Error, setup.Status);
        Assert.Contains(setup.Events, e => e.Name == "sip.ringing");
        Assert.Contains(setup.Events, e => e.Name == "sip.answered");

        Activity teardown = Assert.Single(flow.Spans, s => s.DisplayName == "sip.call.teardown");
        Assert.Equal(flow.Sent.TraceId, teardown.TraceId);
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(ActivityKind.Server, teardown.Kind);
        Assert.Equal("BYE", teardown.GetTagItem("sip.method"));
        Assert.Equal((long)KamailioProcess.HepCaptureId, teardown.GetTagItem("sip.capture.agent_id"));
        Assert.True(teardown.StartTimeUtc >= setup.StartTimeUtc + setup.Duration);

        Assert.Equal(1, HistogramCount("sip.call.setup_latency"));
        Assert.Equal(1, HistogramCount("sip.call.teardown_latency"));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "180"), ("sip.method", "INVITE")));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "INVITE")));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "BYE")));
        Assert.Equal(0, CounterSum("sip.call.failed"));
        Assert.Equal(0, CounterSum("sip.calls.active"));
        Assert.Equal(0, CounterSum("sip.message.retransmissions"));
        flow.AssertNothingDropped();
    });

    [InteropFact]
    public Task Busy_call_captured_from_Kamailio() => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync("uac-busy.xml", "uas-busy-checked.xml");

        Activity setup = flow.SetupSpan();
        Assert.Equal(486, setup.GetTagItem("sip.status_code"));
        Assert.Equal("486", setup.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, setup.Status);
        Assert.DoesNotContain(flow.Spans, s => s.DisplayName == "sip.call.teardown");

        Assert.Equal(1, CounterSum("sip.call.failed", ("error.type", "486")));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "486"), ("sip.method", "INVITE")));
        Assert.Equal(0, HistogramCount("sip.call.setup_latency"));
        Assert.Equal(0, CounterSum("sip.calls.active"));
        flow.AssertNothingDropped();
    });

    [InteropFact]
    public Task Cancelled_call_captured_from_Kamailio() => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync("uac-cancel.xml", "uas-cancel-checked.xml");

        Activity setup = flow.SetupSpan();
        Assert.Equal(487, setup.GetTagItem("sip.status_code"));
        Assert.Equal("cancelled", setup.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, setup.Status);
        Assert.Contains(setup.Events, e => e.Name == "sip.ringing");
        Assert.Single(setup.Events, e => e.Name == "sip.cancelled");
        Assert.DoesNotContain(flow.Spans, s => s.DisplayName == "sip.call.teardown");

        Assert.Equal(1, CounterSum("sip.call.failed", ("error.type", "cancelled")));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "487"), ("sip.method", "INVITE")));
        // CANCEL is hop by hop: Kamailio answers the caller's CANCEL itself (its own To tag) and the callee
        // answers the CANCEL Kamailio sends: two responses, each counted once though each was mirrored once.
        Assert.Equal(2, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "CANCEL")));
        Assert.Equal(0, CounterSum("sip.calls.active"));
        flow.AssertNothingDropped();
    });

    private async Task<Flow> RunFlowAsync(string callerScenario, string calleeScenario)
    {
        TraceContextSample sent = TraceContextSample.Create();
        var replacements = new Dictionary<string, string>
        {
            ["TRACE_HEADER"] = "X-OTel-traceparent",
            ["TRACEPARENT_REGEX"] = $"00-{sent.TraceId.ToHexString()}-[0-9a-f]{{16}}-[0-9a-f]{{2}}",
            ["TRACESTATE_HEADER"] = "X-OTel-tracestate",
            ["TRACESTATE_REGEX"] = sent.TraceState,
        };
        SippProcess callee = await StartSippAsync("callee", calleeScenario, replacements: replacements);

        // The listener's port is chosen first so that Kamailio's config can name it; the listener starts
        // once Kamailio's own ports are known, to tell what Kamailio received from what it sent.
        var collector = new IPEndPoint(IPAddress.Loopback, LocalPorts.NextUdpPort());
        KamailioProcess kamailio = await StartKamailioAsync(callee.EndPoint, hepCollector: collector);
        var options = new HepCaptureOptions { Address = collector.Address, Port = collector.Port };
        options.NodeEndPoints.Add(kamailio.Trusted);
        options.NodeEndPoints.Add(kamailio.Untrusted);
        HepCaptureListener listener = OwnDisposable(new HepCaptureListener(options));
        Own(new StopOnDispose(listener));
        await listener.StartAsync(CancellationToken.None);
        Transcript.Note($"HEP listener on {listener.LocalEndPoint}, Kamailio node {kamailio.Trusted} / {kamailio.Untrusted}");

        DateTime started = DateTime.UtcNow;
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

        // Kamailio mirrors asynchronously: wait until the packets stop coming and every one is handled.
        // The listener keeps running: the spans must have been ended by the messages, not by a stop.
        long seen = -1;
        var clock = Stopwatch.StartNew();
        while ((listener.PacketsReceived != seen || listener.PacketsRecorded + listener.PacketsDropped < seen) && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            seen = listener.PacketsReceived;
            await Task.Delay(300);
        }

        DateTime stopped = DateTime.UtcNow;
        Transcript.Note($"HEP listener received {listener.PacketsReceived}, recorded {listener.PacketsRecorded}, dropped {listener.PacketsDropped}");
        FlushSpans();
        List<Activity> spans = [.. ExportedSpans.Where(s => s.TraceId == sent.TraceId)];
        return new Flow(sent, listener, caller, spans, started, stopped);
    }

    private sealed record Flow(TraceContextSample Sent, HepCaptureListener Listener, SippProcess Caller, List<Activity> Spans, DateTime Started, DateTime Finished)
    {
        /// <summary>Exactly one setup span: Kamailio's server span, child of what SIPp sent, timed and tagged by the capture.</summary>
        public Activity SetupSpan()
        {
            Activity setup = Assert.Single(Spans, s => s.DisplayName == "sip.call.setup");
            Assert.Equal(Sent.TraceId, setup.TraceId);
            Assert.Equal(Sent.SpanId, setup.ParentSpanId);
            Assert.Equal(ActivityKind.Server, setup.Kind);
            Assert.Equal("INVITE", setup.GetTagItem("sip.method"));
            Assert.Equal((long)KamailioProcess.HepCaptureId, setup.GetTagItem("sip.capture.agent_id"));
            Assert.Equal("127.0.0.1", setup.GetTagItem("network.peer.address"));
            Assert.Equal(Caller.EndPoint.Port, setup.GetTagItem("network.peer.port"));
            Assert.Equal("127.0.0.1", setup.GetTagItem("network.local.address"));
            Assert.InRange(setup.StartTimeUtc, Started.AddSeconds(-1), Finished);
            Assert.InRange(setup.StartTimeUtc + setup.Duration, setup.StartTimeUtc, Finished);
            return setup;
        }

        public void AssertNothingDropped()
        {
            Assert.True(Listener.PacketsReceived > 0, "Kamailio sent no HEP packet");
            Assert.Equal(0, Listener.PacketsDropped);
            Assert.Equal(Listener.PacketsReceived, Listener.PacketsRecorded);
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
