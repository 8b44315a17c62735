using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;
using A = SipTraceContext.Conventions.SipAttributes;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// Capture order is not message order. Generated call flows of one node (a proxy that mirrors what it
/// receives and relays, a callee, a caller), each packet arriving up to a few milliseconds after its
/// capture time so that close packets swap, give the same spans and statuses as the same packets in
/// order. The listener runs without its socket, on a fake clock: packets go straight to its queue's
/// consumer side.
/// </summary>
public sealed class CaptureOrderProperties
{
    private const uint Agent = 2001;

    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly IPEndPoint Node = new(IPAddress.Parse("10.0.0.1"), 5060);
    private static readonly IPEndPoint Callee = new(IPAddress.Parse("192.0.2.20"), 5080);

    /// <summary>What the node is in the call.</summary>
    public enum Role
    {
        Proxy,
        Callee,
        Caller,
    }

    /// <summary>How the call ends.</summary>
    public enum Outcome
    {
        Answered,
        Busy,
        Cancelled,
    }

    /// <summary>A generated call: the node's role, the outcome, and how the messages are spaced and repeated.</summary>
    public sealed record Flow(
        Role Role,
        Outcome Outcome,
        bool Ringing,
        int InviteRetransmissions,
        int OkRetransmissions,
        bool ByeFromCallee,
        int ResponseDelayMicros,
        int RelayDelayMicros,
        bool NodeConfigured,
        int JitterSeed);

    private static Gen<Flow> Flows =>
        from role in Gen.Elements(Role.Proxy, Role.Callee, Role.Caller)
        from outcome in Gen.Elements(Outcome.Answered, Outcome.Busy, Outcome.Cancelled)
        from ringing in Gen.Elements(true, false)
        from inviteRetransmissions in Gen.Choose(0, 2)
        from okRetransmissions in Gen.Choose(0, 2)
        from byeFromCallee in Gen.Elements(true, false)
        from responseDelay in Gen.Choose(200, 5_000)
        from relayDelay in Gen.Choose(50, 1_500)
        from configured in Gen.Elements(true, false)
        from seed in ArbMap.Default.GeneratorFor<int>()
        select new Flow(role, outcome, ringing, inviteRetransmissions, outcome == Outcome.Answered ? okRetransmissions : 0, byeFromCallee, responseDelay, relayDelay, configured, seed);

    [Property(MaxTest = 200)]
    public Property Captures_shuffled_within_a_few_milliseconds_give_the_spans_of_captures_in_order() =>
        Prop.ForAll(Flows.ToArbitrary(), flow =>
        {
            List<Wire> wires = Build(flow);
            List<string> inOrder = Run(flow, wires, jitter: null, out string inOrderSetup);
            List<string> shuffled = Run(flow, wires, new Random(flow.JitterSeed), out _);

            // The flow in order ends its setup span as the outcome says: the comparison is of real spans.
            string expected = flow.Outcome switch
            {
                Outcome.Answered => "200",
                Outcome.Busy => "486",
                _ => "487",
            };
            bool setupRight = inOrderSetup.Contains("status_code=" + expected, StringComparison.Ordinal);
            return (setupRight && inOrder.SequenceEqual(shuffled))
                .Label($"in order:\n  {string.Join("\n  ", inOrder)}\nshuffled:\n  {string.Join("\n  ", shuffled)}");
        });

    [Fact]
    public void Without_the_window_a_relayed_copy_captured_first_changes_the_spans()
    {
        // The property's teeth: the same shuffle with no reorder window gives other spans.
        var flow = new Flow(Role.Proxy, Outcome.Answered, Ringing: true, 0, 0, ByeFromCallee: false, 1_000, 1_000, NodeConfigured: true, JitterSeed: 0);
        List<Wire> wires = Build(flow);
        List<string> inOrder = Run(flow, wires, jitter: null, out _, TimeSpan.Zero);
        List<string> relayedFirst = Run(flow, wires, new SwapPairs(), out _, TimeSpan.Zero);
        List<string> windowed = Run(flow, wires, new SwapPairs(), out _);
        Assert.NotEqual(inOrder, relayedFirst);
        Assert.Equal(inOrder, windowed);
    }

    /// <summary>One captured copy: who sent it to whom, when.</summary>
    private sealed record Wire(byte[] Sip, IPEndPoint From, IPEndPoint To, DateTimeOffset Time);

    private static List<Wire> Build(Flow flow)
    {
        var wires = new List<Wire>();
        TimeSpan responseDelay = TimeSpan.FromTicks(flow.ResponseDelayMicros * 10L);
        TimeSpan relayDelay = TimeSpan.FromTicks(flow.RelayDelayMicros * 10L);

        // A request from the caller's side (down) or the callee's (up), as the node captures it: a proxy
        // its received and relayed copies, an endpoint the one copy it received or sent.
        void Request(DateTimeOffset at, string method, int cseq, bool down, string branch, bool toTag)
        {
            IPEndPoint origin = down ? Caller : Callee;
            IPEndPoint target = down ? Callee : Caller;
            bool nodeSends = flow.Role == (down ? Role.Caller : Role.Callee);
            string originVia = Via(nodeSends ? Node : origin, branch);
            if (flow.Role == Role.Proxy)
            {
                wires.Add(new(Sip.Request(method, cseq, [originVia], down, toTag), origin, Node, at));
                wires.Add(new(Sip.Request(method, cseq, [Via(Node, branch), originVia], down, toTag), Node, target, at + relayDelay));
            }
            else if (nodeSends)
            {
                wires.Add(new(Sip.Request(method, cseq, [originVia], down, toTag), Node, target, at));
            }
            else
            {
                wires.Add(new(Sip.Request(method, cseq, [originVia], down, toTag), origin, Node, at));
            }
        }

        // The response to such a request, travelling the other way.
        void Response(DateTimeOffset at, int status, string method, int cseq, bool requestDown, string branch, bool toTag)
        {
            IPEndPoint requester = requestDown ? Caller : Callee;
            IPEndPoint responder = requestDown ? Callee : Caller;
            bool nodeRequested = flow.Role == (requestDown ? Role.Caller : Role.Callee);
            string originVia = Via(nodeRequested ? Node : requester, branch);
            if (flow.Role == Role.Proxy)
            {
                wires.Add(new(Sip.Response(status, cseq, method, [Via(Node, branch), originVia], requestDown, toTag), responder, Node, at));
                wires.Add(new(Sip.Response(status, cseq, method, [originVia], requestDown, toTag), Node, requester, at + relayDelay));
            }
            else if (nodeRequested)
            {
                wires.Add(new(Sip.Response(status, cseq, method, [originVia], requestDown, toTag), responder, Node, at));
            }
            else
            {
                wires.Add(new(Sip.Response(status, cseq, method, [originVia], requestDown, toTag), Node, requester, at));
            }
        }

        DateTimeOffset t = T0;
        Request(t, "INVITE", 1, down: true, "inv", toTag: false);
        for (int i = 1; i <= flow.InviteRetransmissions; i++)
        {
            Request(t + TimeSpan.FromMilliseconds(500 * ((1 << i) - 1)), "INVITE", 1, down: true, "inv", toTag: false);
        }

        if (flow.Ringing)
        {
            Response(t + responseDelay, 180, "INVITE", 1, requestDown: true, "inv", toTag: true);
        }

        t += TimeSpan.FromSeconds(2);
        switch (flow.Outcome)
        {
            case Outcome.Answered:
                Response(t, 200, "INVITE", 1, requestDown: true, "inv", toTag: true);
                for (int i = 1; i <= flow.OkRetransmissions; i++)
                {
                    Response(t + TimeSpan.FromMilliseconds(500 * ((1 << i) - 1)), 200, "INVITE", 1, requestDown: true, "inv", toTag: true);
                }

                t += TimeSpan.FromMilliseconds(500 * ((1 << flow.OkRetransmissions) - 1)) + responseDelay;
                Request(t, "ACK", 1, down: true, "ack", toTag: true);
                t += TimeSpan.FromSeconds(3);
                Request(t, "BYE", flow.ByeFromCallee ? 1 : 2, down: !flow.ByeFromCallee, "bye", toTag: true);
                Response(t + responseDelay, 200, "BYE", flow.ByeFromCallee ? 1 : 2, requestDown: !flow.ByeFromCallee, "bye", toTag: true);
                break;
            case Outcome.Busy:
                Response(t, 486, "INVITE", 1, requestDown: true, "inv", toTag: true);
                Request(t + responseDelay, "ACK", 1, down: true, "inv", toTag: true);
                break;
            default:
                Request(t, "CANCEL", 1, down: true, "inv", toTag: false);
                Response(t + responseDelay, 200, "CANCEL", 1, requestDown: true, "inv", toTag: false);
                Response(t + responseDelay + responseDelay, 487, "INVITE", 1, requestDown: true, "inv", toTag: true);
                Request(t + responseDelay + responseDelay + responseDelay, "ACK", 1, down: true, "inv", toTag: true);
                break;
        }

        return wires;
    }

    /// <summary>
    /// Feeds the flow's packets to a listener (arriving in capture order, or each up to 4 ms late as
    /// <paramref name="jitter"/> draws), and describes the spans it ends, in a form that two runs compare.
    /// </summary>
    private static List<string> Run(Flow flow, List<Wire> wires, Random? jitter, out string setup, TimeSpan? window = null)
    {
        string callId = "order-" + Guid.NewGuid().ToString("N");
        var spans = new List<Activity>();
        var time = new FakeTimeProvider(T0 - TimeSpan.FromSeconds(1));
        using (TracerProvider provider = Sdk.CreateTracerProviderBuilder().SetSampler(new AlwaysOnSampler()).AddSipInstrumentation().AddInMemoryExporter(spans).Build()!)
        {
            // Several consumers: the agent's packets still take one, in order.
            var options = new HepCaptureOptions { Port = 0, ConsumerCount = 3 };
            if (window is { } w)
            {
                options.ReorderWindow = w;
            }

            if (flow.NodeConfigured)
            {
                options.NodeEndPointsByAgent[Agent] = [Node.ToString()];
            }

            using (var listener = new HepCaptureListener(options, time))
            {
                var arrivals = wires
                    .Select((wire, index) => (Wire: wire, Index: index, At: wire.Time + (jitter is null ? TimeSpan.Zero : TimeSpan.FromTicks(jitter.Next(0, 4_000) * 10L))))
                    .OrderBy(a => a.At)
                    .ThenBy(a => a.Index);
                foreach ((Wire wire, _, DateTimeOffset at) in arrivals)
                {
                    if (at > time.GetUtcNow())
                    {
                        time.SetUtcNow(at);
                    }

                    byte[] hep = HepBuilder.Capture(Sip.WithCallId(wire.Sip, callId), wire.From, wire.To, wire.Time, Agent);
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(hep.Length);
                    hep.CopyTo(buffer, 0);

                    // The agent runs on the node: the HEP sender is the node's address.
                    listener.Ingest(new HepCaptureListener.QueuedPacket(buffer, hep.Length, Node.Address));
                    listener.ReleaseHeld(all: false);
                }

                time.Advance(TimeSpan.FromSeconds(1));
                listener.ReleaseHeld(all: true);
                provider.ForceFlush();
            }

            provider.ForceFlush();
        }

        List<Activity> mine = [.. spans.Where(s => Equals(s.GetTagItem(A.CallId), callId))];
        Activity? setupSpan = mine.FirstOrDefault(s => s.OperationName == Conventions.SipSpanNames.CallSetup);
        List<string> described = [.. mine.Select(s => Describe(s, setupSpan)).Order(StringComparer.Ordinal)];
        setup = setupSpan is null ? "none" : Describe(setupSpan, setupSpan);
        return described;
    }

    private static string Describe(Activity span, Activity? setup)
    {
        string parent = setup is not null && span.ParentSpanId == setup.SpanId ? "setup" : span.ParentSpanId == default ? "root" : "other";
        string events = string.Join(",", span.Events.Select(e => e.Name + "@" + (e.Timestamp - T0).TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{span.OperationName} {span.Kind} {span.Status} status_code={span.GetTagItem(A.StatusCode)} error={span.GetTagItem("error.type")} parent={parent} start={(span.StartTimeUtc - T0.UtcDateTime).TotalMilliseconds:0.###} end={(span.StartTimeUtc + span.Duration - T0.UtcDateTime).TotalMilliseconds:0.###} peer={span.GetTagItem("network.peer.port")} events=[{events}]");
    }

    private static string Via(IPEndPoint at, string branch) => $"SIP/2.0/UDP {at};branch=z9hG4bK{branch}{at.Port}";

    /// <summary>Delays the first copy of every pair just past the second: each relayed copy arrives first.</summary>
    private sealed class SwapPairs : Random
    {
        private int _draws;

        public override int Next(int minValue, int maxValue) => _draws++ % 2 == 0 ? maxValue - 1 : minValue;
    }

    private static class Sip
    {
        public static byte[] Request(string method, int cseq, string[] vias, bool down, bool toTag)
        {
            var text = new StringBuilder().Append(method).Append(down ? " sip:bob@biloxi.example.com" : " sip:alice@atlanta.example.com").Append(" SIP/2.0\r\n");
            Headers(text, vias, cseq, method, down, toTag);
            return Encoding.ASCII.GetBytes(text.ToString());
        }

        public static byte[] Response(int status, int cseq, string method, string[] vias, bool requestDown, bool toTag)
        {
            var text = new StringBuilder().Append("SIP/2.0 ").Append(status).Append(" Reason\r\n");
            Headers(text, vias, cseq, method, requestDown, toTag);
            return Encoding.ASCII.GetBytes(text.ToString());
        }

        public static byte[] WithCallId(byte[] sip, string callId) =>
            Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(sip).Replace("CALLID", callId, StringComparison.Ordinal));

        private static void Headers(StringBuilder text, string[] vias, int cseq, string method, bool down, bool toTag)
        {
            string alice = "Alice <sip:alice@atlanta.example.com>;tag=a1";
            string bob = "Bob <sip:bob@biloxi.example.com>" + (toTag || !down ? ";tag=b1" : string.Empty);
            foreach (string via in vias)
            {
                text.Append("Via: ").Append(via).Append("\r\n");
            }

            text.Append("Max-Forwards: 70\r\n")
                .Append("From: ").Append(down ? alice : bob).Append("\r\n")
                .Append("To: ").Append(down ? bob : alice).Append("\r\n")
                .Append("Call-ID: CALLID\r\n")
                .Append("CSeq: ").Append(cseq).Append(' ').Append(method).Append("\r\n")
                .Append("Content-Length: 0\r\n\r\n");
        }
    }
}
