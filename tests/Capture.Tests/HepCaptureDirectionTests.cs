using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SipTraceContext.Capture.Internal;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;
using SipTraceContext.Sip;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// Direction per capture agent: two proxies chained (caller → K1 (agent 2001) → K2 (agent 2002) → callee),
/// both mirroring to one listener, on one address: every message between them has a node at both ends.
/// </summary>
public sealed class HepCaptureDirectionTests
{
    private const uint Agent1 = 2001;
    private const uint Agent2 = 2002;
    private const string CallId = "chain@atlanta.example.com";

    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    // Everything on 127.0.0.1, as in a lab or on one host: addresses alone tell nothing apart, and the
    // HEP sender (the test's socket, also 127.0.0.1) is both ends of every message.
    private static readonly Topology OneAddress = new(
        Caller: new(IPAddress.Loopback, 5071),
        K1: new(IPAddress.Loopback, 5060),
        K2: new(IPAddress.Loopback, 5062),
        Callee: new(IPAddress.Loopback, 5072));

    // Two nodes on one address and port (each behind the same address in its own network namespace):
    // not even the sockets, nor the Via sent-bys, tell K1 from K2.
    private static readonly Topology SharedSocket = new(
        Caller: new(IPAddress.Parse("192.0.2.10"), 5070),
        K1: new(IPAddress.Parse("10.0.0.1"), 5060),
        K2: new(IPAddress.Parse("10.0.0.1"), 5060),
        Callee: new(IPAddress.Parse("192.0.2.20"), 5080));

    [Fact]
    public async Task Chained_nodes_on_one_address_each_get_one_server_span_without_configuration()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync();
        byte[][] call = ChainedCall(OneAddress);
        h.Send(call);
        await h.WaitForAsync(call.Length);
        h.FlushSpans();

        AssertEachNodeSawTheCallOnce(h);
    }

    [Fact]
    public async Task A_shared_node_list_naming_both_nodes_no_longer_reads_their_messages_as_received()
    {
        // The configuration of the issue: both nodes in the one shared list.
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.NodeEndPoints.Add(OneAddress.K1.ToString());
            o.NodeEndPoints.Add(OneAddress.K2.ToString());
        });
        byte[][] call = ChainedCall(OneAddress);
        h.Send(call);
        await h.WaitForAsync(call.Length);
        h.FlushSpans();

        AssertEachNodeSawTheCallOnce(h);
    }

    [Fact]
    public async Task Per_agent_endpoints_decide_whatever_order_the_copies_arrive_in()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.NodeEndPointsByAgent[Agent1] = [OneAddress.K1.ToString()];
            o.NodeEndPointsByAgent[Agent2] = [OneAddress.K2.ToString()];
            o.DefaultDirection = SipDirection.Out; // wrong for half the copies: must not be reached
        });

        // Each node's relayed copy captured before the copy it received.
        byte[][] call = ChainedCall(OneAddress, relayedFirst: true);
        h.Send(call);
        await h.WaitForAsync(call.Length);
        h.FlushSpans();

        // Still one span per node and nothing counted twice, and a Server span: the reorder window
        // records each node's received copy before its relayed one.
        AssertEachNodeSawTheCallOnce(h);
    }

    [Fact]
    public async Task Nodes_sharing_an_address_and_port_fall_to_the_via_pairs()
    {
        // Each node's endpoint is both ends of every K1-K2 message, and both nodes put the same sent-by
        // in their Via: the pair of copies decides, and the shared sent-by is never learnt.
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.NodeEndPointsByAgent[Agent1] = [SharedSocket.K1.ToString()];
            o.NodeEndPointsByAgent[Agent2] = [SharedSocket.K2.ToString()];
        });
        byte[][] call = ChainedCall(SharedSocket);
        h.Send(call);
        await h.WaitForAsync(call.Length);
        h.FlushSpans();

        AssertEachNodeSawTheCallOnce(h);
    }

    [Fact]
    public void Via_pairs_decide_the_second_copy_in_either_order_and_teach_the_sent_by()
    {
        var rule = new ViaDirection();
        string[] hop = ["SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKc1"];
        string[] relayed = ["SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK11", .. hop];

        // Nothing known yet: the first copy is left to the next rules.
        Assert.Null(Observe(rule, Request("INVITE", 1, hop)));
        Assert.Equal(SipDirection.Out, Observe(rule, Request("INVITE", 1, relayed)));
        Assert.Equal(1, rule.SentBysLearnt);

        // Retransmissions: the learnt sent-by on top or not.
        Assert.Equal(SipDirection.In, Observe(rule, Request("INVITE", 1, hop)));
        Assert.Equal(SipDirection.Out, Observe(rule, Request("INVITE", 1, relayed)));

        // Responses the other way round: the node's Via on top means it received the response.
        Assert.Equal(SipDirection.In, Observe(rule, Response(180, 1, "INVITE", relayed)));
        Assert.Equal(SipDirection.Out, Observe(rule, Response(180, 1, "INVITE", hop)));

        // A later transaction whose relayed copy is captured first.
        string[] byeHop = ["SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKc2"];
        string[] byeRelayed = ["v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK12", .. byeHop];
        Assert.Equal(SipDirection.Out, Observe(rule, Request("BYE", 2, byeRelayed)));
        Assert.Equal(SipDirection.In, Observe(rule, Request("BYE", 2, byeHop)));
    }

    [Fact]
    public void Copies_pair_although_the_proxy_added_received_and_rport_to_the_previous_Via()
    {
        // As Kamailio relays: the caller's Via gains received= and rport=N (RFC 3261 §18.2.1, RFC 3581),
        // and its parameters may be reordered; sent-by and branch still name the same entry.
        var rule = new ViaDirection();
        string[] hop = ["SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKc1;rport"];
        string[] relayed = ["SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK11", "SIP/2.0/UDP 127.0.0.1:5071;received=127.0.0.1;branch=z9hG4bKc1;rport=5071"];
        Assert.Null(Observe(rule, Request("INVITE", 1, hop)));
        Assert.Equal(SipDirection.Out, Observe(rule, Request("INVITE", 1, relayed)));
        Assert.Equal(1, rule.SentBysLearnt);

        // So the node's own 100 Trying to the caller, a single copy, is read by the learnt sent-by.
        Assert.Equal(SipDirection.Out, Observe(rule, Response(100, 1, "INVITE", ["SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKc1;rport=5071;received=127.0.0.1"])));
    }

    [Fact]
    public void A_fresh_node_pairs_copies_captured_relayed_first()
    {
        var rule = new ViaDirection();
        string[] hop = ["SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKc1"];

        // Both Vias on one line, comma-separated.
        string[] relayed = ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK11, SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKc1"];
        Assert.Null(Observe(rule, Request("INVITE", 1, relayed)));
        Assert.Equal(SipDirection.In, Observe(rule, Request("INVITE", 1, hop)));
        Assert.Equal(1, rule.SentBysLearnt);
    }

    [Fact]
    public void A_sent_by_shared_with_the_previous_hop_is_never_learnt()
    {
        var rule = new ViaDirection();
        string[] hop = ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK11", "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKc1"];
        string[] relayed = ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK21", .. hop];
        Assert.Null(Observe(rule, Request("INVITE", 1, hop)));
        Assert.Equal(SipDirection.Out, Observe(rule, Request("INVITE", 1, relayed)));
        Assert.Equal(0, rule.SentBysLearnt);

        // So a copy of another message, unpaired, is still left to the next rules.
        Assert.Null(Observe(rule, Request("INVITE", 2, hop)));
    }

    [Fact]
    public void Copies_that_differ_by_more_than_one_via_or_another_via_are_no_pair()
    {
        var rule = new ViaDirection();
        string[] hop = ["SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKc1"];
        Assert.Null(Observe(rule, Request("INVITE", 1, hop)));
        Assert.Null(Observe(rule, Request("INVITE", 1, ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK21", "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK11", .. hop])));
        Assert.Null(Observe(rule, Request("INVITE", 1, ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK21", "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKother"])));
        Assert.Null(Observe(rule, Encoding.ASCII.GetBytes("INVITE sip:b@example.com SIP/2.0\r\nCall-ID: x\r\n\r\n")));
        Assert.Equal(0, rule.SentBysLearnt);
    }

    [Fact]
    public async Task Per_agent_endpoints_bind_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HepCapture:Port"] = "0",
            ["HepCapture:NodeEndPointsByAgent:2001:0"] = "127.0.0.1:5060",
            ["HepCapture:NodeEndPointsByAgent:2002:0"] = "127.0.0.1:5062",
            ["HepCapture:NodeEndPointsByAgent:2002:1"] = "[2001:db8::5]:5062",
        }).Build();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener();
        builder.Services.Configure<HepCaptureOptions>(configuration.GetSection("HepCapture"));

        using IHost host = builder.Build();
        await host.StartAsync();
        HepCaptureOptions options = host.Services.GetRequiredService<IOptions<HepCaptureOptions>>().Value;
        Assert.Equal([Agent1, Agent2], options.NodeEndPointsByAgent.Keys.Order());
        Assert.Equal(["127.0.0.1:5060"], options.NodeEndPointsByAgent[Agent1]);
        Assert.Equal(["127.0.0.1:5062", "[2001:db8::5]:5062"], options.NodeEndPointsByAgent[Agent2]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_bad_per_agent_endpoint_fails_the_start_naming_agent_and_entry()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener(o =>
        {
            o.Port = 0;
            o.NodeEndPointsByAgent[Agent2] = ["127.0.0.1:5062", "k2.example.com:5062"];
            o.NodeEndPointsByAgent[Agent1] = ["127.0.0.1:5060"];
        });

        using IHost host = builder.Build();
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal(
            ["HepCaptureOptions.NodeEndPointsByAgent: [2002][1] 'k2.example.com:5062' is not an IP address with an optional port (192.0.2.5:5060, [2001:db8::5]:5060, or 192.0.2.5 for any port)."],
            e.Failures);

        var options = new HepCaptureOptions();
        options.NodeEndPointsByAgent[Agent1] = null!;
        ArgumentException missing = Assert.Throws<ArgumentException>(() => new HepCaptureListener(options));
        Assert.Equal(nameof(HepCaptureOptions.NodeEndPointsByAgent), missing.ParamName);
    }

    private static void AssertEachNodeSawTheCallOnce(CaptureHarness h, ActivityKind kind = ActivityKind.Server)
    {
        foreach (uint agent in new[] { Agent1, Agent2 })
        {
            Activity[] mine = [.. h.Spans.Where(s => Equals(s.GetTagItem(A.CaptureAgentId), (long)agent))];
            Activity setup = Assert.Single(mine, s => s.OperationName == SipSpanNames.CallSetup);
            Assert.Equal(kind, setup.Kind);
            Assert.Equal(200, setup.GetTagItem(A.StatusCode));
            Assert.Equal(ActivityStatusCode.Unset, setup.Status);
            Activity teardown = Assert.Single(mine, s => s.OperationName == SipSpanNames.CallTeardown);
            Assert.Equal(setup.SpanId, teardown.ParentSpanId);
            Assert.Equal(1, h.Counter(M.ResponseCount.Name, (A.CaptureAgentId, (long)agent), (A.StatusCode, 200), (A.Method, "INVITE")));
            Assert.Equal(1, h.Counter(M.ResponseCount.Name, (A.CaptureAgentId, (long)agent), (A.StatusCode, 180), (A.Method, "INVITE")));
            Assert.Equal(1, h.HistogramCount(M.CallSetupLatency.Name, (A.CaptureAgentId, (long)agent)));
        }

        Assert.Equal(4, h.Spans.Count);
        Assert.Equal(0, h.Counter(M.MessageRetransmissions.Name));
        Assert.Equal(0, h.Counter(M.CallsActive.Name));
    }

    /// <summary>
    /// An answered and hung-up call through K1 then K2, as both capture agents mirror it: each agent's
    /// packets in the order its node handled them (received, then relayed), or relayed first.
    /// </summary>
    private static byte[][] ChainedCall(Topology t, bool relayedFirst = false)
    {
        var packets = new List<byte[]>();
        DateTimeOffset time = T0;
        string Via(IPEndPoint at, string branch) => $"SIP/2.0/UDP {at};branch=z9hG4bK{branch}";

        // A request through both nodes: what each agent captures, received and relayed.
        void RequestThrough(string method, int cseq, string tag)
        {
            string[] c = [Via(t.Caller, "c" + tag)];
            string[] k1 = [Via(t.K1, "1" + tag), .. c];
            string[] k2 = [Via(t.K2, "2" + tag), .. k1];
            Hop(Agent1, Request(method, cseq, c), t.Caller, t.K1, Request(method, cseq, k1), t.K1, t.K2);
            Hop(Agent2, Request(method, cseq, k1), t.K1, t.K2, Request(method, cseq, k2), t.K2, t.Callee);
        }

        // A response back through both nodes.
        void ResponseThrough(int status, int cseq, string method, string tag)
        {
            string[] c = [Via(t.Caller, "c" + tag)];
            string[] k1 = [Via(t.K1, "1" + tag), .. c];
            string[] k2 = [Via(t.K2, "2" + tag), .. k1];
            Hop(Agent2, Response(status, cseq, method, k2), t.Callee, t.K2, Response(status, cseq, method, k1), t.K2, t.K1);
            Hop(Agent1, Response(status, cseq, method, k1), t.K2, t.K1, Response(status, cseq, method, c), t.K1, t.Caller);
        }

        void Hop(uint agent, byte[] received, IPEndPoint from, IPEndPoint node, byte[] relayed, IPEndPoint self, IPEndPoint to)
        {
            byte[] inbound = HepBuilder.Capture(received, from, node, time, agent);
            byte[] outbound = HepBuilder.Capture(relayed, self, to, time.AddMilliseconds(1), agent);
            packets.AddRange(relayedFirst ? [outbound, inbound] : [inbound, outbound]);
            time = time.AddMilliseconds(10);
        }

        RequestThrough("INVITE", 1, "inv");
        ResponseThrough(180, 1, "INVITE", "inv");
        time = time.AddSeconds(1);
        ResponseThrough(200, 1, "INVITE", "inv");
        RequestThrough("ACK", 1, "ack");
        time = time.AddSeconds(10);
        RequestThrough("BYE", 2, "bye");
        ResponseThrough(200, 2, "BYE", "bye");
        return [.. packets];
    }

    private static byte[] Request(string method, int cseq, string[] vias)
    {
        var text = new StringBuilder();
        text.Append(method).Append(" sip:bob@biloxi.example.com SIP/2.0\r\n");
        AppendHeaders(text, vias, cseq, method, toTag: method is "INVITE" ? null : "b1");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static byte[] Response(int status, int cseq, string method, string[] vias)
    {
        var text = new StringBuilder();
        text.Append("SIP/2.0 ").Append(status).Append(status == 180 ? " Ringing" : " OK").Append("\r\n");
        AppendHeaders(text, vias, cseq, method, toTag: "b1");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void AppendHeaders(StringBuilder text, string[] vias, int cseq, string method, string? toTag)
    {
        foreach (string via in vias)
        {
            text.Append(via.StartsWith("v: ", StringComparison.Ordinal) ? via : "Via: " + via).Append("\r\n");
        }

        text.Append("Max-Forwards: 70\r\n")
            .Append("From: Alice <sip:alice@atlanta.example.com>;tag=a1\r\n")
            .Append("To: Bob <sip:bob@biloxi.example.com>").Append(toTag is null ? string.Empty : ";tag=" + toTag).Append("\r\n")
            .Append("Call-ID: ").Append(CallId).Append("\r\n")
            .Append("CSeq: ").Append(cseq).Append(' ').Append(method).Append("\r\n")
            .Append("Contact: <sip:alice@192.0.2.10:5070>\r\n")
            .Append("Content-Length: 0\r\n\r\n");
    }

    private readonly record struct Topology(IPEndPoint Caller, IPEndPoint K1, IPEndPoint K2, IPEndPoint Callee);

    // What a listener with no reorder window does: observe the copy, then decide it at once.
    private static SipDirection? Observe(ViaDirection rule, byte[] message)
    {
        if (!ViaDirection.TryScan(new SipMessageReader(message), out ViaDirection.Scan scan))
        {
            return null;
        }

        rule.Observe(in scan);
        return rule.Decide(in scan);
    }
}
