using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using SipTraceContext.Capture;
using SipTraceContext.Instrumentation;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Tests.Shared;

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
        Assert.Equal(1, HistogramCount("sip.call.teardown.duration"));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "180"), ("sip.method", "INVITE")));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "INVITE")));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "BYE")));
        Assert.Equal(0, CounterSum("sip.call.failed"));
        Assert.Equal(0, CounterSum("sip.calls.active"));
        Assert.Equal(0, CounterSum("sip.message.retransmissions"));
        flow.AssertNothingDropped();
    });

    [InteropTheory]
    [InlineData(2)]
    [InlineData(1)]
    public Task Answered_call_captured_from_Kamailio_as_HEPv1_or_HEPv2(int hepVersion) => RunAsync(async () =>
    {
        // Kamailio's siptrace sends HEPv1 unless told otherwise. Version 2 adds the capture time and
        // agent id, which Kamailio writes in its own byte order: the span times (checked against the
        // test's clock) and the agent id 2001 show they were read right. Version 1 has neither, so the
        // spans are timed on arrival and the packets go to the tracer of agent 0.
        Flow flow = await RunFlowAsync("uac-answered.xml", "uas-answer-checked.xml", hepVersion: hepVersion);
        Assert.Equal([(byte)hepVersion], flow.Versions.Keys.ToArray());

        Activity setup = flow.SetupSpan();
        Assert.Equal(200, setup.GetTagItem("sip.status_code"));
        Assert.Contains(setup.Events, e => e.Name == "sip.answered");
        Activity teardown = Assert.Single(flow.Spans, s => s.DisplayName == "sip.call.teardown");
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(flow.AgentTag, teardown.GetTagItem("sip.capture.agent_id"));
        Assert.Equal(1, HistogramCount("sip.call.setup_latency"));
        Assert.Equal(1, HistogramCount("sip.call.teardown.duration"));
        Assert.Equal(0, CounterSum("sip.calls.active"));
        flow.AssertNothingDropped();
    });

    [InteropFact]
    public Task Answered_call_captured_from_Kamailio_over_TCP() => RunAsync(async () =>
    {
        // siptrace with duplicate_uri "sip:...;transport=tcp": Kamailio opens one TCP connection to the
        // listener and writes its HEPv3 packets on it back to back; the listener listens on TCP only.
        Flow flow = await RunFlowAsync("uac-answered.xml", "uas-answer-checked.xml", hepOverTcp: true);
        Output.WriteLine($"over TCP: received {flow.Listener.PacketsReceived}, recorded {flow.Listener.PacketsRecorded}, connections open {flow.Listener.TcpConnections}");

        Activity setup = flow.SetupSpan();
        Assert.Equal(200, setup.GetTagItem("sip.status_code"));
        Assert.Contains(setup.Events, e => e.Name == "sip.answered");
        Activity teardown = Assert.Single(flow.Spans, s => s.DisplayName == "sip.call.teardown");
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(1, HistogramCount("sip.call.setup_latency"));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "INVITE")));
        Assert.Equal(0, CounterSum("sip.calls.active"));
        Assert.Equal(0, CounterSum("sip.message.retransmissions"));
        Assert.Equal(0, flow.Listener.TcpConnectionsRejected);
        flow.AssertNothingDropped();
    });

    [InteropFact]
    public Task Busy_call_captured_from_Kamailio() => RunAsync(async () =>
    {
        Flow flow = await RunFlowAsync("uac-busy.xml", "uas-busy-checked.xml");

        Activity setup = flow.SetupSpan();
        Assert.Equal(486, setup.GetTagItem("sip.status_code"));
        Assert.Equal("486", setup.GetTagItem("error.type"));

        // The proxy's Server span: a 486 is the callee's answer, not the proxy's fault.
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
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

        // A 487 after CANCEL is the expected answer to the caller hanging up: Unset.
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
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

    [InteropFact]
    public Task Retransmitted_INVITE_captured_from_Kamailio_counts_each_retransmission_once() => RunAsync(async () =>
    {
        // The callee answers after 2.5 s: the SIPp caller resends the INVITE at 0.5 s and 1.5 s (Kamailio
        // absorbs them and resends its 100) and Kamailio's timer A resends its relayed INVITE to the
        // callee at 0.5 s and 1.5 s. siptrace mirrors every copy, received and sent. 2.5 s keeps a
        // second of margin to the next resend at 3.5 s (see ProxyHopTests for why half a second is not
        // enough on a busy machine).
        var invites = new Copies("INVITE ", "1 INVITE");
        Flow flow = await RunFlowAsync(
            "uac-answered.xml",
            "uas-slow-answer-checked.xml",
            new Dictionary<string, string> { ["ANSWER_DELAY_MS"] = "2500" },
            invites);
        Output.WriteLine($"mirrored {invites}");
        Assert.True(invites.Received + invites.Sent >= 3, $"expected a retransmitted INVITE, Kamailio mirrored {invites.Received} received and {invites.Sent} sent");

        Activity setup = flow.SetupSpan();
        Assert.Equal(200, setup.GetTagItem("sip.status_code"));
        Assert.Single(flow.Spans, s => s.DisplayName == "sip.call.teardown");

        // Each leg's repeats are real retransmissions; a repeat on one leg that mirrors one on the other
        // is the same retransmission seen twice. The node counts the larger leg, not the sum.
        int expected = Math.Max(invites.Received, invites.Sent) - 1;
        ActivityEvent[] requestRetransmissions = [.. setup.Events.Where(e => e.Name == "sip.retransmission" && e.Tags.Any(t => t.Key == "sip.method"))];
        Assert.Equal(expected, requestRetransmissions.Length);
        Assert.Equal(1, HistogramCount("sip.call.setup_latency"));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "INVITE")));
        flow.AssertNothingDropped();
    });

    [InteropFact]
    public Task Retransmitted_200_OK_relayed_by_Kamailio_counts_once_per_retransmission() => RunAsync(async () =>
    {
        // The caller ACKs 1.2 s late: the callee resends its 200 OK, Kamailio relays each copy upstream,
        // and siptrace mirrors each retransmission twice (received from the callee, relayed to the caller).
        var ok = new Copies("SIP/2.0 200 ", "1 INVITE");
        Flow flow = await RunFlowAsync("uac-answered-late-ack.xml", "uas-answer-checked.xml", counted: ok);
        Output.WriteLine($"mirrored {ok}");
        Assert.True(ok.Received >= 2 && ok.Sent >= 2, $"expected the callee's 200 OK retransmitted and relayed, mirrored {ok}");

        Activity setup = flow.SetupSpan();
        Assert.Equal(200, setup.GetTagItem("sip.status_code"));
        Assert.Single(flow.Spans, s => s.DisplayName == "sip.call.teardown");

        // Each retransmission once (before the fix to SipCallTracer, twice: received and relayed).
        Assert.Equal(ok.Received - 1, CounterSum("sip.message.retransmissions", ("sip.method", "INVITE")));
        Assert.Equal(1, CounterSum("sip.response.count", ("sip.status_code", "200"), ("sip.method", "INVITE")));
        Assert.Equal(1, HistogramCount("sip.call.setup_latency"));
        flow.AssertNothingDropped();
    });

    private async Task<Flow> RunFlowAsync(string callerScenario, string calleeScenario, Dictionary<string, string>? replacements = null, Copies? counted = null, int hepVersion = 3, bool hepOverTcp = false)
    {
        TraceContextSample sent = TraceContextSample.Create();
        replacements ??= [];
        replacements["TRACE_HEADER"] = "X-OTel-traceparent";
        replacements["TRACEPARENT_REGEX"] = $"00-{sent.TraceId.ToHexString()}-[0-9a-f]{{16}}-[0-9a-f]{{2}}";
        replacements["TRACESTATE_HEADER"] = "X-OTel-tracestate";
        replacements["TRACESTATE_REGEX"] = sent.TraceState;
        SippProcess callee = await StartSippAsync("callee", calleeScenario, replacements: replacements);

        // The listener's port is chosen first so that Kamailio's config can name it; the listener starts
        // once Kamailio's own ports are known, to tell what Kamailio received from what it sent.
        var collector = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.NextUdp());
        KamailioProcess kamailio = await StartKamailioAsync(callee.EndPoint, hepCollector: collector, hepVersion: hepVersion, hepOverTcp: hepOverTcp);
        var options = new HepCaptureOptions
        {
            Address = collector.Address.ToString(),
            Port = collector.Port,

            // TCP alone when Kamailio sends over TCP: a packet recorded is a packet that came over TCP.
            Transports = hepOverTcp ? HepTransports.Tcp : HepTransports.Udp,
        };
        options.NodeEndPoints.Add(kamailio.Trusted.ToString());
        options.NodeEndPoints.Add(kamailio.Untrusted.ToString());
        var versions = new ConcurrentDictionary<byte, int>();
        if (counted is not null || hepVersion != 3)
        {
            // The NodeEndPoints rule, plus a count of one message's copies in each direction and of the
            // HEP versions received.
            int trusted = kamailio.Trusted.Port, untrusted = kamailio.Untrusted.Port;
            options.DirectionResolver = (in HepPacket packet) =>
            {
                SipDirection direction = packet.SourcePort == trusted || packet.SourcePort == untrusted ? SipDirection.Out : SipDirection.In;
                counted?.CountIfMatching(packet.Payload, direction);
                versions.AddOrUpdate(packet.Version, 1, static (_, n) => n + 1);
                return direction;
            };
        }

        HepCaptureListener listener = OwnDisposable(new HepCaptureListener(options));
        Own(new StopOnDispose(listener));
        await listener.StartAsync(CancellationToken.None);
        Transcript.Note($"HEP listener on {listener.LocalEndPoint}, Kamailio node {kamailio.Trusted} / {kamailio.Untrusted}");

        DateTime started = DateTime.UtcNow;
        SippProcess caller = await RunSippCallAsync("caller", callerScenario, kamailio.Trusted, callee, sent);

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

        DateTime stopped = DateTime.UtcNow;
        Transcript.Note($"HEP listener received {listener.PacketsReceived}, recorded {listener.PacketsRecorded}, dropped {listener.PacketsDropped}");
        FlushSpans();
        List<Activity> spans = [.. ExportedSpans.Where(s => s.TraceId == sent.TraceId)];
        // HEPv1 carries no capture agent id: its packets go to the tracer of agent 0, whose spans have no agent tag.
        return new Flow(sent, listener, caller, spans, started, stopped, hepVersion == 1 ? 0 : KamailioProcess.HepCaptureId, versions);
    }

    /// <summary>How many copies of one message Kamailio mirrored as received and as sent.</summary>
    private sealed class Copies(string startLine, string cseq)
    {
        private int _received;
        private int _sent;

        public int Received => Volatile.Read(ref _received);

        public int Sent => Volatile.Read(ref _sent);

        public void CountIfMatching(ReadOnlySpan<byte> message, SipDirection direction)
        {
            string text = System.Text.Encoding.UTF8.GetString(message);
            if (!text.StartsWith(startLine, StringComparison.Ordinal) || !text.Contains("\nCSeq: " + cseq + "\r", StringComparison.Ordinal))
            {
                return;
            }

            if (direction == SipDirection.In)
            {
                Interlocked.Increment(ref _received);
            }
            else
            {
                Interlocked.Increment(ref _sent);
            }
        }

        public override string ToString() => $"'{startLine}' ({cseq}): {Received} received, {Sent} sent";
    }

    private sealed record Flow(
        TraceContextSample Sent,
        HepCaptureListener Listener,
        SippProcess Caller,
        List<Activity> Spans,
        DateTime Started,
        DateTime Finished,
        uint AgentId,
        ConcurrentDictionary<byte, int> Versions)
    {
        /// <summary>The span tag of the capture agent: its id, or none for agent 0 (no id sent).</summary>
        public object? AgentTag => AgentId == 0 ? null : (long)AgentId;

        /// <summary>Exactly one setup span: Kamailio's server span, child of what SIPp sent, timed and tagged by the capture.</summary>
        public Activity SetupSpan()
        {
            Activity setup = Assert.Single(Spans, s => s.DisplayName == "sip.call.setup");
            Assert.Equal(Sent.TraceId, setup.TraceId);
            Assert.Equal(Sent.SpanId, setup.ParentSpanId);
            Assert.Equal(ActivityKind.Server, setup.Kind);
            Assert.Equal("INVITE", setup.GetTagItem("sip.method"));
            Assert.Equal(AgentTag, setup.GetTagItem("sip.capture.agent_id"));
            Assert.Equal("127.0.0.1", setup.GetTagItem("network.peer.address"));
            Assert.Equal(Caller.EndPoint.Port, setup.GetTagItem("network.peer.port"));
            Assert.Equal("127.0.0.1", setup.GetTagItem("network.local.address"));
            Assert.InRange(setup.StartTimeUtc, Started.AddSeconds(-1), Finished);
            Assert.InRange(setup.StartTimeUtc + setup.Duration, setup.StartTimeUtc, Finished);
            return setup;
        }

        public void AssertNothingDropped()
        {
            Assert.True(Listener.PacketsRecorded > 0, "Kamailio sent no HEP packet");
            Assert.Equal(0, Listener.PacketsDropped);
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
