using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;
using OpenTelemetry.Trace;
using S = SipTraceContext.Instrumentation.Tests.Sip;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;
using O = SipTraceContext.Conventions.OtelAttributes;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// The listener on a real UDP socket on 127.0.0.1, fed hand-built HEP packets, with the real
/// OpenTelemetry SDK behind it: what a Kamailio with siptrace (or any capture agent) would produce.
/// </summary>
public sealed class HepCaptureListenerTests
{
    private const string CallId = "hep-call@atlanta.example.com";

    // A proxy at 127.0.0.1:5060 between a caller and a callee; the capture agent runs on the proxy.
    private static readonly IPEndPoint Node = new(IPAddress.Loopback, 5060);
    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly IPEndPoint Callee = new(IPAddress.Parse("192.0.2.20"), 5080);

    // Capture times a year before the test runs: span times must come from the packets, not the clock.
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public async Task A_proxied_call_becomes_one_setup_and_one_teardown_span_timed_by_the_capture()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(Node.ToString()));
        byte[][] call = ProxiedCall(agent: 2001);
        h.Send(call);
        await h.WaitForAsync(call.Length);
        h.FlushSpans();

        Assert.Equal(2, h.Spans.Count);
        Activity setup = Assert.Single(h.Spans, s => s.OperationName == SipSpanNames.CallSetup);
        Activity teardown = Assert.Single(h.Spans, s => s.OperationName == SipSpanNames.CallTeardown);
        Assert.Equal(T0.UtcDateTime, setup.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), setup.Duration);
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal(2001L, setup.GetTagItem(A.CaptureAgentId));
        Assert.Equal("192.0.2.10", setup.GetTagItem(O.NetworkPeerAddress));
        Assert.Equal(5070, setup.GetTagItem(O.NetworkPeerPort));
        Assert.Equal("127.0.0.1", setup.GetTagItem(O.NetworkLocalAddress));
        Assert.Equal(5060, setup.GetTagItem(O.NetworkLocalPort));
        Assert.Equal(200, setup.GetTagItem(A.StatusCode));
        Assert.Equal(2000.0, setup.GetTagItem(A.SetupTimeMs));
        Assert.Equal(new[] { SipEventNames.Ringing, SipEventNames.Answered }, setup.Events.Select(e => e.Name));
        Assert.Equal((T0 + TimeSpan.FromMilliseconds(100)).UtcDateTime, setup.Events.First().Timestamp.UtcDateTime);

        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(setup.TraceId, teardown.TraceId);
        Assert.Equal((T0 + TimeSpan.FromSeconds(10)).UtcDateTime, teardown.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(50), teardown.Duration);
        Assert.Equal(2001L, teardown.GetTagItem(A.CaptureAgentId));

        Assert.Equal(call.Length, h.Listener.PacketsRecorded);
        Assert.Equal(0, h.Listener.PacketsDropped);
        Assert.Equal(1, h.HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(1, h.HistogramCount(M.CallTeardownDuration.Name));
        Assert.Equal(1, h.Counter(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "INVITE")));
        Assert.Equal(1, h.Counter(M.ResponseCount.Name, (A.StatusCode, 180), (A.Method, "INVITE")));
        Assert.Equal(0, h.Counter(M.CallsActive.Name));
        Assert.Equal(call.Length, h.Counter(M.CapturePackets.Name));
    }

    [Fact]
    public async Task Each_capture_agent_gets_its_own_spans_for_the_same_call()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(Node.ToString()));
        byte[][] first = ProxiedCall(agent: 1, S.TraceParent);
        byte[][] second = ProxiedCall(agent: 2, S.TraceParent);
        h.Send(first);
        h.Send(second);
        await h.WaitForAsync(first.Length + second.Length);
        h.FlushSpans();

        Activity[] setups = [.. h.Spans.Where(s => s.OperationName == SipSpanNames.CallSetup)];
        Assert.Equal(2, setups.Length);
        Assert.Equal(new object[] { 1L, 2L }, setups.Select(s => s.GetTagItem(A.CaptureAgentId)!).Order().ToArray());
        Assert.All(setups, s => Assert.Equal("0af7651916cd43dd8448eb211c80319c", s.TraceId.ToHexString()));
        Assert.All(setups, s => Assert.Equal("b7ad6b7169203331", s.ParentSpanId.ToHexString()));
        Assert.Equal(2, h.Spans.Count(s => s.OperationName == SipSpanNames.CallTeardown));
        Assert.Equal(2, h.Listener.CaptureAgents);
        Assert.Equal(2, h.HistogramCount(M.CallSetupLatency.Name));

        // Each node's metrics are its own series, told apart by the agent id.
        Assert.Equal(1, h.HistogramCount(M.CallSetupLatency.Name, (A.CaptureAgentId, 1L)));
        Assert.Equal(1, h.HistogramCount(M.CallSetupLatency.Name, (A.CaptureAgentId, 2L)));
        Assert.Equal(1, h.Counter(M.ResponseCount.Name, (A.CaptureAgentId, 2L), (A.StatusCode, 180)));
    }

    [Fact]
    public async Task Retransmissions_mirrored_by_the_capture_count_once()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(Node.ToString()));
        byte[] invite = S.Invite(CallId, branch: "z9hG4bKup");
        byte[] relayed = S.Invite(CallId, branch: "z9hG4bKnode");
        h.Send(
            HepBuilder.Capture(invite, Caller, Node, T0),
            HepBuilder.Capture(relayed, Node, Callee, T0.AddMilliseconds(1)),
            HepBuilder.Capture(invite, Caller, Node, T0.AddMilliseconds(500)),
            HepBuilder.Capture(relayed, Node, Callee, T0.AddMilliseconds(501)),
            HepBuilder.Capture(S.Response(200, "OK", CallId, branch: "z9hG4bKnode"), Callee, Node, T0.AddMilliseconds(900)),
            HepBuilder.Capture(S.Response(200, "OK", CallId, branch: "z9hG4bKup"), Node, Caller, T0.AddMilliseconds(901)));
        await h.WaitForAsync(6);
        h.FlushSpans();

        Activity setup = Assert.Single(h.Spans);
        Assert.Single(setup.Events, e => e.Name == SipEventNames.Retransmission);
        Assert.Equal(1, h.Counter(M.MessageRetransmissions.Name, (A.Method, "INVITE")));
        Assert.Equal(1, h.HistogramCount(M.CallSetupLatency.Name));
    }

    [Theory]
    [InlineData("zlib", 0)]
    [InlineData("gzip", 0)]
    [InlineData("zlib", 50)]
    public async Task Compressed_payloads_are_inflated_and_recorded(string format, int windowMilliseconds)
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.NodeEndPoints.Add(Node.ToString());
            o.ReorderWindow = TimeSpan.FromMilliseconds(windowMilliseconds);
        });
        h.Send(
            Compressed(S.Invite(CallId), Caller, Node, T0, format),
            Compressed(S.Response(486, "Busy Here", CallId), Node, Caller, T0.AddMilliseconds(250), format));
        await h.WaitForAsync(2);
        h.FlushSpans();

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal(486, setup.GetTagItem(A.StatusCode));
        Assert.Equal(TimeSpan.FromMilliseconds(250), setup.Duration);
        Assert.Equal(0, h.Listener.PacketsDropped);
    }

    [Fact]
    public async Task A_zip_bomb_or_a_corrupt_payload_is_a_counted_drop()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(Node.ToString()));

        // 16 MiB of zeros deflate to about 16 KiB: one datagram that would inflate to 256 times the
        // largest SIP message. Inflating stops at the bound.
        byte[] bomb = Deflate(new byte[16 * 1024 * 1024], "zlib");
        Assert.True(bomb.Length < 60_000);
        byte[] message = Deflate(S.Invite(CallId), "zlib");
        byte[] corrupt = [.. message[..2], .. message[2..].Select(b => (byte)~b)];
        byte[] tooLong = Deflate([.. S.Invite(CallId), .. new byte[65_536]], "gzip");
        h.Send(
            CompressedChunk(bomb),
            CompressedChunk(corrupt),
            CompressedChunk(tooLong),
            CompressedChunk([0x78]),
            HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0));
        await h.WaitForAsync(5);
        h.FlushSpans();

        Assert.Equal(4, h.Listener.GetPacketsDropped(HepDropReason.Compressed));
        Assert.Equal(4, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "compressed")));
        Assert.Equal(1, h.Listener.PacketsRecorded);
    }

    private static byte[] Compressed(byte[] sip, IPEndPoint source, IPEndPoint destination, DateTimeOffset time, string format)
    {
        // The packet Capture builds, with chunk 15 replaced by the compressed chunk 16.
        byte[] plain = HepBuilder.Capture(sip, source, destination, time);
        byte[] chunk15 = HepBuilder.Chunk(0, 15, sip);
        int at = plain.AsSpan().IndexOf(chunk15);
        byte[] body = [.. plain[6..at], .. HepBuilder.Chunk(0, 16, Deflate(sip, format)), .. plain[(at + chunk15.Length)..]];
        return HepBuilder.Build([body]);
    }

    private static byte[] CompressedChunk(byte[] payload) =>
        new HepBuilder().U8(11, 1).U32(12, 2001).Add(3, Caller.Address.GetAddressBytes()).Add(4, Node.Address.GetAddressBytes()).Add(16, payload).Build();

    private static byte[] Deflate(byte[] data, string format)
    {
        using var output = new MemoryStream();
        using (Stream compressor = format == "gzip"
            ? new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal)
            : new System.IO.Compression.ZLibStream(output, System.IO.Compression.CompressionLevel.Optimal))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Messages_that_arrive_before_the_message_they_follow_land_on_the_right_span(bool windowed)
    {
        // As Kamailio mirrors them: the relayed INVITE, the 180 and the 200 answering the node's BYE reach
        // the listener before the copies they follow (capture times are right). With the reorder window
        // the call is whole; without it, as before, the relayed copy makes a Client span and the BYE's
        // answer comes too early to end the teardown.
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.NodeEndPoints.Add(Node.ToString());
            o.ReorderWindow = windowed ? TimeSpan.FromMilliseconds(200) : TimeSpan.Zero;
        });
        byte[] invite = S.Invite(CallId, branch: "z9hG4bKup");
        byte[] ringing = S.Response(180, "Ringing", CallId, branch: "z9hG4bKup");
        byte[] ok = S.Response(200, "OK", CallId, branch: "z9hG4bKup");
        h.Send(
            HepBuilder.Capture(WithNodeVia(invite), Node, Callee, T0.AddMilliseconds(1)),
            HepBuilder.Capture(WithNodeVia(ringing), Callee, Node, T0.AddMilliseconds(3)),
            HepBuilder.Capture(invite, Caller, Node, T0),
            HepBuilder.Capture(ringing, Node, Caller, T0.AddMilliseconds(4)),
            HepBuilder.Capture(WithNodeVia(ok), Callee, Node, T0.AddMilliseconds(900)),
            HepBuilder.Capture(ok, Node, Caller, T0.AddMilliseconds(901)),
            HepBuilder.Capture(S.Response(200, "OK", CallId, cseq: 1, method: "BYE", branch: "z9hG4bKbye"), Caller, Node, T0.AddMilliseconds(5003)),
            HepBuilder.Capture(S.Bye(CallId, cseq: 1, branch: "z9hG4bKbye", fromCallee: true), Node, Caller, T0.AddMilliseconds(5000)));
        await h.WaitForAsync(8);
        h.FlushSpans();

        Activity setup = Assert.Single(h.Spans, s => s.OperationName == SipSpanNames.CallSetup);
        if (!windowed)
        {
            Assert.Equal(ActivityKind.Client, setup.Kind);
            Assert.DoesNotContain(h.Spans, s => s.OperationName == SipSpanNames.CallTeardown);
            return;
        }

        Activity teardown = Assert.Single(h.Spans, s => s.OperationName == SipSpanNames.CallTeardown);
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal(5070, setup.GetTagItem(O.NetworkPeerPort));
        Assert.Equal(T0.UtcDateTime, setup.StartTimeUtc);
        Assert.Equal(200, setup.GetTagItem(A.StatusCode));
        Assert.Single(setup.Events, e => e.Name == SipEventNames.Ringing);
        Assert.Equal(ActivityKind.Client, teardown.Kind);
        Assert.Equal(200, teardown.GetTagItem(A.StatusCode));
        Assert.Equal(TimeSpan.FromMilliseconds(3), teardown.Duration);
        Assert.Equal(1, h.Counter(M.ResponseCount.Name, (A.StatusCode, 180)));
        Assert.Equal(1, h.Counter(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "BYE")));
        Assert.Equal(1, h.HistogramCount(M.CallTeardownDuration.Name));
        Assert.Equal(0, h.Counter(M.MessageRetransmissions.Name));
        Assert.Equal(0, h.Listener.PacketsDropped);
    }

    [Fact]
    public async Task Without_node_endpoints_the_side_the_HEP_packet_came_from_is_the_node()
    {
        // The agent sends HEP from 127.0.0.1: a SIP source of 127.0.0.1 means the node sent the message.
        await using CaptureHarness h = await CaptureHarness.StartAsync();
        h.Send(
            HepBuilder.Capture(S.Invite(CallId), Node, Callee, T0),
            HepBuilder.Capture(S.Response(486, "Busy Here", CallId), Callee, Node, T0.AddMilliseconds(300)));
        await h.WaitForAsync(2);
        h.FlushSpans();

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(ActivityKind.Client, setup.Kind);
        Assert.Equal("192.0.2.20", setup.GetTagItem(O.NetworkPeerAddress));
        Assert.Equal(5080, setup.GetTagItem(O.NetworkPeerPort));
        Assert.Equal(ActivityStatusCode.Error, setup.Status);
        Assert.Equal(TimeSpan.FromMilliseconds(300), setup.Duration);
        Assert.Equal(1, h.Counter(M.CallFailed.Name, (O.ErrorType, "486")));
    }

    [Fact]
    public async Task A_direction_resolver_decides_and_a_throwing_one_falls_back_to_the_default()
    {
        int calls = 0;
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.DefaultDirection = SipDirection.Out;
            o.DirectionResolver = (in HepPacket p) => ++calls == 1 ? SipDirection.In : throw new InvalidOperationException("resolver bug");
        });
        h.Send(
            HepBuilder.Capture(S.Invite("first@x"), Caller, Node, T0),
            HepBuilder.Capture(S.Invite("second@x"), Caller, Node, T0));
        await h.WaitForAsync(2);
        await h.StopAsync();

        Assert.Equal(ActivityKind.Server, Assert.Single(h.Spans, s => Equals(s.GetTagItem(A.CallId), "first@x")).Kind);
        Assert.Equal(ActivityKind.Client, Assert.Single(h.Spans, s => Equals(s.GetTagItem(A.CallId), "second@x")).Kind);
    }

    [Fact]
    public async Task Unusable_packets_are_dropped_and_counted_by_reason()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.AuthKey = "secret";
            o.MaxCaptureAgents = 1;
        });
        byte[] good = HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0, agent: 7, authKey: "secret");
        byte[] compressed = new HepBuilder().U8(11, 1).U32(12, 7).Add(14, "secret"u8).Add(16, [0x1f, 0x8b, 0x08]).Build();
        h.Send(
            good,
            "not a HEP packet at all"u8.ToArray(),
            good[..^3],
            HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0, agent: 7, authKey: "wrong"),
            HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0, agent: 7),
            HepBuilder.Capture("RTCP report"u8.ToArray(), Caller, Node, T0, agent: 7, authKey: "secret", protocolType: 5),
            compressed,
            HepBuilder.Capture("garbage that is no SIP"u8.ToArray(), Caller, Node, T0, agent: 7, authKey: "secret"));

        // After agent 7 is in: agents on different consumers are admitted in no set order.
        await h.WaitForAsync(8);
        h.Send(HepBuilder.Capture(S.Invite("other@x"), Caller, Node, T0, agent: 8, authKey: "secret"));
        await h.WaitForAsync(9);

        Assert.Equal(2, h.Listener.GetPacketsDropped(HepDropReason.Malformed));
        Assert.Equal(2, h.Listener.GetPacketsDropped(HepDropReason.Unauthorized));
        Assert.Equal(1, h.Listener.GetPacketsDropped(HepDropReason.NotSip));
        Assert.Equal(1, h.Listener.GetPacketsDropped(HepDropReason.Compressed));
        Assert.Equal(1, h.Listener.GetPacketsDropped(HepDropReason.TooManyAgents));
        Assert.Equal(0, h.Listener.GetPacketsDropped(HepDropReason.QueueFull));
        Assert.Equal(7, h.Listener.PacketsDropped);
        Assert.Equal(2, h.Listener.PacketsRecorded);
        Assert.Equal(9, h.Listener.PacketsReceived);

        Assert.Equal(9, h.Counter(M.CapturePackets.Name));
        Assert.Equal(2, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "malformed")));
        Assert.Equal(2, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "unauthorized")));
        Assert.Equal(1, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "not_sip")));
        Assert.Equal(1, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "compressed")));
        Assert.Equal(1, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "too_many_agents")));

        // A well-formed HEP packet whose payload is not SIP reaches the tracer, which counts it.
        Assert.Equal(1, h.Counter(M.MessageMalformed.Name));
    }

    [Fact]
    public async Task Every_capture_series_exists_at_zero_before_the_first_packet()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync();

        // A scrape right after start shows each series at 0, so rate() and the alert rules have a first sample.
        Assert.Equal(1, h.PointCount(M.CapturePackets.Name));
        Assert.Equal(0, h.Counter(M.CapturePackets.Name));
        foreach (HepDropReason reason in Enum.GetValues<HepDropReason>())
        {
            string name = SipTraceContext.Capture.Internal.CaptureMetrics.ReasonName(reason);
            Assert.Equal(1, h.PointCount(M.CapturePacketDropped.Name, (A.CaptureDropReason, name)));
            Assert.Equal(0, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, name)));
        }
    }

    [Theory]
    [InlineData(HepQueueFullMode.DropNewest, new[] { "call-0", "call-1", "call-2" })]
    [InlineData(HepQueueFullMode.DropOldest, new[] { "call-0", "call-4", "call-5" })]
    public async Task A_full_queue_drops_and_counts_instead_of_growing(HepQueueFullMode mode, string[] recorded)
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.QueueCapacity = 2;
            o.QueueFullMode = mode;
            o.NodeEndPoints.Add(Node.ToString());

            // Holds the consumer inside the first call's span start, as a slow exporter or a burst would.
            o.Tracer.EnrichWithRequest = (activity, in message) =>
            {
                if (Equals(activity.GetTagItem(A.CallId), "call-0"))
                {
                    entered.Release();
                    release.Wait(TimeSpan.FromSeconds(10));
                }
            };
        });

        h.Send(HepBuilder.Capture(S.Invite("call-0"), Caller, Node, T0));
        Assert.True(await entered.WaitAsync(TimeSpan.FromSeconds(10)), "the consumer never started the first call");
        for (int i = 1; i <= 5; i++)
        {
            h.Send(HepBuilder.Capture(S.Invite("call-" + i), Caller, Node, T0));
        }

        var clock = Stopwatch.StartNew();
        // A packet is counted as received before the queue refuses it: wait for both counts.
        while ((h.Listener.PacketsReceived < 6 || h.Listener.GetPacketsDropped(HepDropReason.QueueFull) < 3)
            && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        Assert.Equal(3, h.Listener.GetPacketsDropped(HepDropReason.QueueFull));
        release.Set();
        await h.WaitForAsync(6);
        await h.StopAsync();

        Assert.Equal(3, h.Listener.PacketsRecorded);
        Assert.Equal(3, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "queue_full")));
        Assert.Equal(recorded, h.Spans.Select(s => (string)s.GetTagItem(A.CallId)!).Order().ToArray());
    }

    [Fact]
    public async Task Stopping_ends_open_spans_frees_the_port_and_ignores_later_packets()
    {
        CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(Node.ToString()));
        await using (h)
        {
            IPEndPoint endPoint = h.Listener.LocalEndPoint!;
            Assert.Equal(IPAddress.Loopback, endPoint.Address);
            Assert.NotEqual(0, endPoint.Port);
            h.Send(HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0));
            await h.WaitForAsync(1);

            var clock = Stopwatch.StartNew();
            await h.StopAsync();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
            Assert.True(h.Listener.ExecuteTask!.IsCompleted);

            // The INVITE never got a final response: the span ends when its tracer is disposed, at stop.
            Activity setup = Assert.Single(h.Spans);
            Assert.Equal(CallId, setup.GetTagItem(A.CallId));
            Assert.Null(h.Listener.GetTracer(2001));

            using var rebind = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            rebind.Bind(endPoint);
            h.Send(HepBuilder.Capture(S.Invite("late@x"), Caller, Node, T0));
            await Task.Delay(100);
            Assert.Equal(1, h.Listener.PacketsReceived);
        }
    }

    [Fact]
    public async Task Packets_without_a_timestamp_are_timed_on_arrival()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(Node.ToString()));
        byte[] packet = new HepBuilder()
            .U8(1, 2).U8(2, 17).Add(3, Caller.Address.GetAddressBytes()).Add(4, Node.Address.GetAddressBytes())
            .U16(7, 5070).U16(8, 5060).U8(11, 1).Add(15, S.Invite(CallId)).Build();
        DateTime before = DateTime.UtcNow;
        h.Send(packet);
        await h.WaitForAsync(1);
        await h.StopAsync();

        Activity setup = Assert.Single(h.Spans);
        Assert.InRange(setup.StartTimeUtc, before.AddMilliseconds(-1), DateTime.UtcNow);
        Assert.Null(setup.GetTagItem(A.CaptureAgentId));
        Assert.Equal("192.0.2.10", setup.GetTagItem(O.NetworkPeerAddress));
    }

    [Fact]
    public async Task HEPv2_is_timed_by_its_capture_time_and_HEPv1_on_arrival_under_agent_0()
    {
        // What Kamailio's siptrace sends with hep_version 2 and 1 (its default): no chunks, the SIP
        // message after a fixed header; version 2 adds the capture time and a 16-bit agent id.
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(Node.ToString()));
        long micros = (T0.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
        byte[] v2 = HepBuilder.Version1Or2(
            2, Caller.Address.GetAddressBytes(), Node.Address.GetAddressBytes(), S.Invite(CallId),
            sourcePort: (ushort)Caller.Port, destinationPort: (ushort)Node.Port,
            seconds: (uint)(micros / 1_000_000), micros: (uint)(micros % 1_000_000), agent: 2001);
        byte[] v1 = HepBuilder.Version1Or2(
            1, Caller.Address.GetAddressBytes(), Node.Address.GetAddressBytes(), S.Invite("v1-" + CallId),
            sourcePort: (ushort)Caller.Port, destinationPort: (ushort)Node.Port);
        DateTime before = DateTime.UtcNow;
        h.Send(v2, v1);
        await h.WaitForAsync(2);
        Assert.NotNull(h.Listener.GetTracer(0));
        Assert.NotNull(h.Listener.GetTracer(2001));
        await h.StopAsync();

        Assert.Equal(2, h.Listener.PacketsRecorded);
        Assert.Equal(0, h.Listener.PacketsDropped);
        Activity fromV2 = Assert.Single(h.Spans, s => Equals(s.GetTagItem(A.CaptureAgentId), 2001L));
        Assert.Equal(T0.UtcDateTime, fromV2.StartTimeUtc);
        Assert.Equal("192.0.2.10", fromV2.GetTagItem(O.NetworkPeerAddress));
        Assert.Equal(5070, fromV2.GetTagItem(O.NetworkPeerPort));
        Activity fromV1 = Assert.Single(h.Spans, s => s.GetTagItem(A.CaptureAgentId) is null);
        Assert.InRange(fromV1.StartTimeUtc, before.AddMilliseconds(-1), DateTime.UtcNow);
        Assert.Equal("192.0.2.10", fromV1.GetTagItem(O.NetworkPeerAddress));
    }

    [Fact]
    public async Task A_host_runs_the_registered_listener()
    {
        var list = new List<Activity>();
        using var tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSipInstrumentation().AddInMemoryExporter(list).Build();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddHepCaptureListener(o =>
        {
            o.Port = 0;
            o.NodeEndPoints.Add(Node.ToString());
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        HepCaptureListener listener = host.Services.GetRequiredService<HepCaptureListener>();
        Assert.Same(listener, host.Services.GetServices<IHostedService>().OfType<HepCaptureListener>().Single());

        using var agent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        agent.SendTo(HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0), listener.LocalEndPoint!);
        var clock = Stopwatch.StartNew();
        while (listener.PacketsRecorded < 1 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        await host.StopAsync();
        tracing.ForceFlush();
        Assert.Equal(CallId, Assert.Single(list).GetTagItem(A.CallId));
    }

    [Fact]
    public void A_second_registration_is_refused()
    {
        var services = new ServiceCollection();
        services.AddHepCaptureListener();
        Assert.Throws<InvalidOperationException>(() => services.AddHepCaptureListener(o => o.Port = 9061));
    }

    [Fact]
    public async Task IPv6_packets_tag_the_spans_with_IPv6_addresses()
    {
        var node = new IPEndPoint(IPAddress.Parse("2001:db8::5"), 5060);
        var caller = new IPEndPoint(IPAddress.Parse("2001:db8::10"), 5070);
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.NodeEndPoints.Add(node.ToString()));
        h.Send(
            HepBuilder.Capture(S.Invite(CallId), caller, node, T0),
            HepBuilder.Capture(S.Response(200, "OK", CallId), node, caller, T0.AddMilliseconds(40)));
        await h.WaitForAsync(2);
        h.FlushSpans();

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal("2001:db8::10", setup.GetTagItem(O.NetworkPeerAddress));
        Assert.Equal("2001:db8::5", setup.GetTagItem(O.NetworkLocalAddress));
        Assert.Equal(TimeSpan.FromMilliseconds(40), setup.Duration);
    }

    [Fact]
    public void Options_out_of_range_are_rejected_when_the_listener_is_created()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { Port = 70_000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { QueueCapacity = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { MaxCaptureAgents = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { QueueFullMode = (HepQueueFullMode)9 }));
        Assert.Throws<ArgumentNullException>(() => new HepCaptureListener(null!));
    }

    /// <summary>An answered call through the proxy, as its capture agent mirrors it: every message received and relayed.</summary>
    private static byte[][] ProxiedCall(uint agent, string? traceParent = null)
    {
        string[] extra = traceParent is null ? [] : ["X-OTel-traceparent: " + traceParent];
        DateTimeOffset bye = T0.AddSeconds(10);
        return
        [
            HepBuilder.Capture(S.Invite(CallId, branch: "z9hG4bKup", extra: extra), Caller, Node, T0, agent),
            HepBuilder.Capture(S.Invite(CallId, branch: "z9hG4bKnode", extra: extra), Node, Callee, T0.AddMilliseconds(1), agent),
            HepBuilder.Capture(S.Response(100, "Trying", CallId, branch: "z9hG4bKup", toTag: null), Node, Caller, T0.AddMilliseconds(1), agent),
            HepBuilder.Capture(S.Response(180, "Ringing", CallId, branch: "z9hG4bKnode"), Callee, Node, T0.AddMilliseconds(100), agent),
            HepBuilder.Capture(S.Response(180, "Ringing", CallId, branch: "z9hG4bKup"), Node, Caller, T0.AddMilliseconds(101), agent),
            HepBuilder.Capture(S.Response(200, "OK", CallId, branch: "z9hG4bKnode"), Callee, Node, T0.AddMilliseconds(2000), agent),
            HepBuilder.Capture(S.Response(200, "OK", CallId, branch: "z9hG4bKup"), Node, Caller, T0.AddMilliseconds(2001), agent),
            HepBuilder.Capture(S.Ack(CallId, branch: "z9hG4bKackup"), Caller, Node, T0.AddMilliseconds(2010), agent),
            HepBuilder.Capture(S.Ack(CallId, branch: "z9hG4bKacknode"), Node, Callee, T0.AddMilliseconds(2011), agent),
            HepBuilder.Capture(S.Bye(CallId, branch: "z9hG4bKbyeup"), Caller, Node, bye, agent),
            HepBuilder.Capture(S.Bye(CallId, branch: "z9hG4bKbyenode"), Node, Callee, bye.AddMilliseconds(1), agent),
            HepBuilder.Capture(S.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbyenode"), Callee, Node, bye.AddMilliseconds(50), agent),
            HepBuilder.Capture(S.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbyeup"), Node, Caller, bye.AddMilliseconds(51), agent),
        ];
    }

    // The copy a proxy on Node relays (or receives back): its own Via on top of the message's.
    private static byte[] WithNodeVia(byte[] message)
    {
        string text = System.Text.Encoding.ASCII.GetString(message);
        int line = text.IndexOf("\r\n", StringComparison.Ordinal) + 2;
        return System.Text.Encoding.ASCII.GetBytes(text.Insert(line, $"Via: SIP/2.0/UDP {Node};branch=z9hG4bKnode\r\n"));
    }
}
