using System.Diagnostics;
using System.Globalization;
using System.Net;
using SipTraceContext.Capture;
using Xunit.Sdk;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// The two-proxy capture flow: SIPp caller -> K1 (Kamailio, capture id 2001) -> K2 (Kamailio, capture id
/// 2002) -> SIPp callee, all on 127.0.0.1, both nodes' <c>siptrace</c> mirroring to a
/// <see cref="HepCaptureListener"/> (one for both, or one each) through a <see cref="HepRelay"/> that
/// records every copy. The test classes that run it differ in what they assert.
/// </summary>
public abstract class TwoProxyTest(ITestOutputHelper output) : InteropTest(output, sipInstrumentation: true)
{
    protected const uint K1Id = 2001;
    protected const uint K2Id = 2002;

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

    /// <summary>
    /// Starts the callee, K2 (next hop the callee), K1 (next hop K2), the listener(s) told about the nodes
    /// as <paramref name="rule"/> says, a relay in front of each, then the caller; waits until the capture
    /// is quiet. Returns every span the listeners exported (each tagged with its capture agent), and the
    /// listeners and copies to check.
    /// </summary>
    private protected async Task<Flow> RunFlowAsync(NodeRule rule, string callerScenario, string calleeScenario, Dictionary<string, string>? replacements = null, FlowOptions? flowOptions = null)
    {
        flowOptions ??= new FlowOptions();
        TraceContextSample sent = TraceContextSample.Create();
        replacements ??= [];
        replacements["TRACE_HEADER"] = "X-OTel-traceparent";
        replacements["TRACEPARENT_REGEX"] = $"00-{sent.TraceId.ToHexString()}-[0-9a-f]{{16}}-[0-9a-f]{{2}}";
        replacements["TRACESTATE_HEADER"] = "X-OTel-tracestate";
        replacements["TRACESTATE_REGEX"] = sent.TraceState;

        // Without trace headers the caller's header lines and the callee's checks of them are left out.
        string[]? omit = flowOptions.TraceHeaders ? null : ["X-OTel-", "{{TRACE"];
        SippProcess callee = await StartSippAsync("callee", calleeScenario, replacements: replacements, omitLinesContaining: omit);

        // The nodes mirror to the collector ports, chosen first so that their configs can name them; the
        // relays bind them once the nodes are up (their readiness probes are not part of the call).
        var collectorA = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.NextUdp());
        IPEndPoint collectorB = flowOptions.TwoCollectors || flowOptions.StartCollectorProcesses is not null ? new IPEndPoint(IPAddress.Loopback, LoopbackPorts.NextUdp()) : collectorA;
        KamailioProcess k2 = await StartKamailioAsync(callee.EndPoint, hepCollector: collectorB, hepCaptureId: K2Id);
        KamailioProcess k1 = await StartKamailioAsync(k2.Trusted, hepCollector: collectorA, hepCaptureId: K1Id, hideTopology: flowOptions.K1TopologyHiding);

        var listeners = new List<HepCaptureListener>();
        var relays = new List<HepRelay>();
        if (flowOptions.StartCollectorProcesses is { } startProcesses)
        {
            IPEndPoint[] targets = await startProcesses(k1, k2);
            relays.Add(Own(HepRelay.Start(collectorA, targets[0], Transcript)));
            relays.Add(Own(HepRelay.Start(collectorB, targets[1], Transcript)));
            Transcript.Note($"HEP relays on {collectorA} -> {targets[0]} and {collectorB} -> {targets[1]} (collector processes)");
        }

        foreach ((IPEndPoint collector, byte[]? key) in flowOptions.StartCollectorProcesses is not null ? []
            : flowOptions.TwoCollectors
            ? new[] { (collectorA, flowOptions.DerivationKey), (collectorB, flowOptions.SecondCollectorDerivationKey ?? flowOptions.DerivationKey) }
            : [(collectorA, flowOptions.DerivationKey)])
        {
            var options = new HepCaptureOptions { Address = IPAddress.Loopback.ToString(), Port = 0 };
            options.Tracer.DerivationKey = key;
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
            relays.Add(Own(HepRelay.Start(collector, listener.LocalEndPoint!, Transcript)));
            listeners.Add(listener);
            Transcript.Note($"HEP relay on {collector} -> listener on {listener.LocalEndPoint} ({rule}{(key is null ? string.Empty : ", derivation key " + Convert.ToHexString(key)[..8] + "...")})");
        }

        Transcript.Note($"K1 {k1.Trusted} / {k1.Untrusted} -> {collectorA}, K2 {k2.Trusted} / {k2.Untrusted} -> {collectorB}");
        SippProcess caller = await RunSippCallAsync("caller", callerScenario, k1.Trusted, callee, flowOptions.TraceHeaders ? sent : null, omit);

        // Kamailio mirrors asynchronously, and tm may still resend a final response (Timer G, 0.5 s) after
        // SIPp exited: wait until no packet came for two 400 ms rounds and every one is handled. The
        // listeners keep running: the spans must have been ended by the messages, not by a stop.
        long seen = -1;
        int quietRounds = 0;
        var clock = Stopwatch.StartNew();
        while (quietRounds < 2 && clock.Elapsed < TimeSpan.FromSeconds(8))
        {
            await Task.Delay(400);
            long received = listeners.Count > 0 ? listeners.Sum(l => l.PacketsReceived) : relays.Sum(r => r.Copies.Count);
            bool handled = listeners.All(l => l.PacketsRecorded + l.PacketsDropped >= l.PacketsReceived);
            quietRounds = received == seen && handled ? quietRounds + 1 : 0;
            seen = received;
        }

        foreach (HepCaptureListener listener in listeners)
        {
            Transcript.Note($"HEP listener on {listener.LocalEndPoint} received {listener.PacketsReceived}, recorded {listener.PacketsRecorded}, dropped {listener.PacketsDropped}");
        }

        FlushSpans();
        List<Activity> spans = [.. ExportedSpans.Where(s => s.GetTagItem("sip.capture.agent_id") is not null)];
        foreach (Activity span in spans)
        {
            Transcript.Note($"span {span.DisplayName} {span.Kind} agent {span.GetTagItem("sip.capture.agent_id")} Call-ID {span.GetTagItem("sip.call_id")} status {span.GetTagItem("sip.status_code")} {span.Status} trace {span.TraceId} span {span.SpanId} parent {span.ParentSpanId} links [{string.Join(", ", span.Links.Select(l => $"{l.Context.TraceId}-{l.Context.SpanId}"))}] events {string.Join(", ", span.Events.Select(e => e.Name + (e.Name == "sip.retransmission" ? $" ({string.Join(" ", e.Tags.Select(t => $"{t.Key}={t.Value}"))}) at {e.Timestamp:HH:mm:ss.ffffff}" : string.Empty)))}");
        }

        return new Flow(sent, flowOptions.TraceHeaders, listeners, relays, caller, callee, k1, k2, spans);
    }

    /// <summary>Runs the checks of each node, naming the node in a failure.</summary>
    private protected static void ForEachNode(Flow flow, Action<uint, string> check)
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

        Assert.Equal(2, flow.CaptureAgents);
    }

    private protected void AssertCounter(long expected, string name, params (string Key, string Value)[] tags)
    {
        long actual = CounterSum(name, tags);
        Assert.True(expected == actual, $"{name}{{{string.Join(", ", tags.Select(t => $"{t.Key}={t.Value}"))}}}: expected {expected}, got {actual}");
    }

    /// <summary>What a flow varies beyond its scenarios.</summary>
    private protected sealed record FlowOptions
    {
        /// <summary>Whether the caller sends <c>X-OTel-traceparent</c>/<c>X-OTel-tracestate</c> (and the callee checks them).</summary>
        public bool TraceHeaders { get; init; } = true;

        /// <summary>Whether K1 mirrors to one listener and K2 to another (two collectors), not both to one.</summary>
        public bool TwoCollectors { get; init; }

        /// <summary>The listeners' <c>Tracer.DerivationKey</c>; <see langword="null"/>: the process's random key.</summary>
        public byte[]? DerivationKey { get; init; }

        /// <summary>With <see cref="TwoCollectors"/>, K2's listener's key when not <see cref="DerivationKey"/>.</summary>
        public byte[]? SecondCollectorDerivationKey { get; init; }

        /// <summary>
        /// Starts collectors outside the test process once the nodes are up (so that their configs can
        /// name the nodes' sockets), and gives the HEP endpoints K1's and K2's relays forward to. When set,
        /// no listener runs in the test process and the flow's spans are the caller's to collect.
        /// </summary>
        public Func<KamailioProcess, KamailioProcess, Task<IPEndPoint[]>>? StartCollectorProcesses { get; init; }

        /// <summary>What K1 hides of the topology (topoh).</summary>
        public TopologyHiding K1TopologyHiding { get; init; }
    }

    private protected sealed record Flow(
        TraceContextSample Sent,
        bool TraceHeadersSent,
        IReadOnlyList<HepCaptureListener> Listeners,
        IReadOnlyList<HepRelay> Relays,
        SippProcess Caller,
        SippProcess Callee,
        KamailioProcess K1,
        KamailioProcess K2,
        List<Activity> Spans)
    {
        /// <summary>K1's listener (the only one unless two collectors).</summary>
        public HepCaptureListener Listener => Listeners[0];

        public int CaptureAgents => Listeners.Sum(l => l.CaptureAgents);

        public Activity[] SpansOf(uint agent) => [.. Spans.Where(s => Equals(s.GetTagItem("sip.capture.agent_id"), (long)agent))];

        /// <summary>The port of the hop the node receives the caller's requests from: the caller for K1, K1 for K2.</summary>
        public int UpstreamPort(uint agent) => agent == K1Id ? Caller.EndPoint.Port : K1.Trusted.Port;

        public HepCopy[] CopiesOf(uint agent) => [.. Relays.SelectMany(r => r.Copies).Where(c => c.AgentId == agent)];

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
            foreach (HepCaptureListener listener in Listeners)
            {
                Assert.True(listener.PacketsRecorded > 0, $"no HEP packet reached the listener on {listener.LocalEndPoint}");
                Assert.Equal(0, listener.PacketsDropped);
            }
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
