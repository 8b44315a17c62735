using System.Diagnostics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Trace;
using S = SipTraceContext.Instrumentation.Tests.Sip;

namespace SipTraceContext.Capture.Tests;

/// <summary>Capture files replayed into spans: containers, link types, IPv4/IPv6, UDP and TCP, and what is skipped.</summary>
public sealed class SipCaptureFileTests
{
    private const string Caller = "10.0.0.1";
    private const string Node = "10.0.0.5";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    public static TheoryData<bool, int, bool, bool> Formats()
    {
        var data = new TheoryData<bool, int, bool, bool>();
        foreach (bool pcapng in new[] { true, false })
        {
            foreach (int link in new[] { 1, 113, 276, 101, 0 })
            {
                data.Add(pcapng, link, false, false);
            }

            data.Add(pcapng, 1, true, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_captured_UDP_call_gives_the_node_its_spans_at_the_capture_times(bool pcapng, int linkType, bool bigEndian, bool nanoseconds)
    {
        using var writer = new CaptureFileWriter(pcapng, linkType, bigEndian, nanoseconds) { VlanId = linkType == 1 ? (ushort)42 : (ushort)0 };
        WriteCall(writer, Caller, Node, "udp-call@test");

        (SipCaptureReplayResult result, List<Activity> spans) = Replay(writer.ToArray());

        Assert.Null(result.Error);
        Assert.Equal(6, result.Frames);
        Assert.Equal(6, result.Messages);
        Assert.Equal(6, result.Recorded);
        Assert.Equal(0, result.Dropped);
        AssertCallSpans(spans, Caller);
    }

    [Theory]
    [InlineData(113)]
    [InlineData(276)]
    public void A_capture_on_any_keeps_one_copy_of_each_loopback_packet(int linkType)
    {
        // tcpdump -i any sees a loopback packet leave and arrive: the outgoing copy is skipped.
        using var writer = new CaptureFileWriter(pcapng: false, linkType);
        using var outgoing = new CaptureFileWriter(pcapng: false, linkType) { Outgoing = true };
        WriteCall(writer, Caller, Node, "any@test");
        WriteCall(outgoing, Caller, Node, "any@test");
        byte[] header = writer.ToArray()[..24];
        byte[] received = writer.ToArray()[24..], sent = outgoing.ToArray()[24..];

        (SipCaptureReplayResult result, List<Activity> spans) = Replay([.. header, .. sent, .. received]);

        Assert.Equal(12, result.Frames);
        Assert.Equal(6, result.Skipped);
        Assert.Equal(6, result.Recorded);
        AssertCallSpans(spans, Caller);
    }

    [Fact]
    public void An_IPv6_call_is_replayed_too()
    {
        using var writer = new CaptureFileWriter(pcapng: true, linkType: 1);
        WriteCall(writer, "2001:db8::1", "2001:db8::5", "v6-call@test");

        (SipCaptureReplayResult result, List<Activity> spans) = Replay(writer.ToArray(), "[2001:db8::5]:5060");

        Assert.Equal(6, result.Recorded);
        AssertCallSpans(spans, "2001:db8::1");
    }

    [Fact]
    public void TCP_segments_are_reassembled_into_messages_by_Content_Length()
    {
        using var writer = new CaptureFileWriter(pcapng: true, linkType: 1);
        byte[] invite = WithBody(S.Invite("tcp-call@test"), "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n");
        byte[] bye = S.Bye("tcp-call@test");
        uint callerSeq = 1000, nodeSeq = 5000;
        writer.Tcp(Start.AddMilliseconds(-10), Caller, Node, callerSeq - 1, [], flags: 0x02);

        // The INVITE in three segments, the middle one captured twice (a retransmission); a message is
        // timed by the segment that completes it, as an agent on the node would mirror it.
        writer.Tcp(Start.AddMilliseconds(-3), Caller, Node, callerSeq, invite[..40]);
        writer.Tcp(Start.AddMilliseconds(-2), Caller, Node, callerSeq + 40, invite[40..100]);
        writer.Tcp(Start.AddMilliseconds(-1), Caller, Node, callerSeq + 40, invite[40..100]);
        writer.Tcp(Start, Caller, Node, callerSeq + 100, invite[100..]);
        callerSeq += (uint)invite.Length;

        // 180 and 200 in one segment, after a keep-alive.
        byte[] answers = [.. "\r\n\r\n"u8.ToArray(), .. S.Response(180, "Ringing", "tcp-call@test"), .. S.Response(200, "OK", "tcp-call@test")];
        writer.Tcp(Start.AddMilliseconds(100), Node, Caller, nodeSeq, answers);
        nodeSeq += (uint)answers.Length;
        byte[] ack = S.Ack("tcp-call@test");
        writer.Tcp(Start.AddMilliseconds(200), Caller, Node, callerSeq, ack);
        callerSeq += (uint)ack.Length;
        writer.Tcp(Start.AddSeconds(5), Caller, Node, callerSeq, bye);
        writer.Tcp(Start.AddSeconds(5).AddMilliseconds(10), Node, Caller, nodeSeq, S.Response(200, "OK", "tcp-call@test", cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        (SipCaptureReplayResult result, List<Activity> spans) = Replay(writer.ToArray());

        Assert.Equal(6, result.Messages);
        Assert.Equal(6, result.Recorded);
        Assert.Equal(0, result.TcpBytesDiscarded);

        // 180 and 200 came in one segment: the answer at its time.
        AssertCallSpans(spans, Caller, setupMilliseconds: 100);
    }

    [Fact]
    public void A_TCP_gap_discards_the_unfinished_message_and_the_stream_resumes()
    {
        using var writer = new CaptureFileWriter(pcapng: false, linkType: 1);
        byte[] invite = S.Invite("gap@test");
        writer.Tcp(Start, Caller, Node, 1, invite[..50]);

        // The rest of the INVITE was not captured; the next message starts at its own sequence number.
        byte[] options = S.Request("OPTIONS", "gap-2@test", 1, "z9hG4bKo", S.Alice, "a", S.Bob, null);
        writer.Tcp(Start.AddMilliseconds(10), Caller, Node, (uint)(1 + invite.Length), options);

        (SipCaptureReplayResult result, _) = Replay(writer.ToArray());

        Assert.Equal(1, result.Messages);
        Assert.Equal(50, result.TcpBytesDiscarded);
    }

    [Fact]
    public void Fragments_other_ports_and_other_hops_are_counted_and_skipped()
    {
        using var writer = new CaptureFileWriter(pcapng: true, linkType: 1);
        writer.Fragment(Start, Caller, Node, S.Invite("frag@test"));
        writer.Udp(Start, "10.0.0.9", Caller, S.Invite("other-port@test"));  // 5090 -> 5070
        writer.Frame(Start, writer.Link([0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 5])); // ICMP
        (SipCaptureReplayResult result, List<Activity> spans) = Replay(writer.ToArray(), sipPorts: [5060, 5090]);

        Assert.Equal(1, result.Fragments);
        Assert.Equal(2, result.Skipped); // ICMP; the 10.0.0.9 -> 10.0.0.1 message is not the node's
        Assert.Equal(0, result.Messages);
        Assert.Empty(spans);

        (SipCaptureReplayResult portFiltered, _) = Replay(writer.ToArray());
        Assert.Equal(2, portFiltered.Skipped);
    }

    [Fact]
    public void A_file_that_is_not_a_capture_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => SipCaptureFile.Replay(new MemoryStream("INVITE sip:x SIP/2.0\r\n"u8.ToArray()), new HepCaptureOptions(), null));
        Assert.Throws<InvalidDataException>(() => SipCaptureFile.Replay(new MemoryStream([0xD4, 0xC3]), new HepCaptureOptions(), null));
    }

    [Fact]
    public void A_truncated_file_replays_what_it_holds_and_says_where_it_stopped()
    {
        using var writer = new CaptureFileWriter(pcapng: true, linkType: 1);
        WriteCall(writer, Caller, Node, "cut@test");
        byte[] file = writer.ToArray();

        (SipCaptureReplayResult result, List<Activity> spans) = Replay(file[..^30]);

        Assert.Equal(5, result.Recorded);
        Assert.NotNull(result.Error);
        Assert.Contains("ends inside", result.Error, StringComparison.Ordinal);
        Assert.Single(spans, s => s.DisplayName == "sip.call.setup");
    }

    [Fact]
    public void A_length_beyond_the_bound_stops_the_reading_without_allocating_it()
    {
        using var writer = new CaptureFileWriter(pcapng: false, linkType: 1);
        byte[] file = [.. writer.ToArray(), 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F];

        (SipCaptureReplayResult result, _) = Replay(file);

        Assert.Equal(0, result.Frames);
        Assert.Contains("more than", result.Error, StringComparison.Ordinal);
    }

    internal static void WriteCall(CaptureFileWriter writer, string caller, string node, string callId)
    {
        writer.Udp(Start, caller, node, S.Invite(callId));
        writer.Udp(Start.AddMilliseconds(100), node, caller, S.Response(180, "Ringing", callId));
        writer.Udp(Start.AddMilliseconds(1500), node, caller, S.Response(200, "OK", callId));
        writer.Udp(Start.AddMilliseconds(1600), caller, node, S.Ack(callId));
        writer.Udp(Start.AddSeconds(5), caller, node, S.Bye(callId));
        writer.Udp(Start.AddSeconds(5).AddMilliseconds(10), node, caller, S.Response(200, "OK", callId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));
    }

    internal static (SipCaptureReplayResult Result, List<Activity> Spans) Replay(byte[] file, string node = Node + ":5060", int[]? sipPorts = null)
    {
        var spans = new List<Activity>();
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder().SetSampler(new AlwaysOnSampler()).AddSipInstrumentation().AddInMemoryExporter(spans).Build()!;
        var options = new HepCaptureOptions();
        options.NodeEndPoints.Add(node);
        var fileOptions = new SipCaptureFileOptions { CaptureAgentId = 7 };
        if (sipPorts is not null)
        {
            fileOptions.SipPorts = sipPorts;
        }

        SipCaptureReplayResult result = SipCaptureFile.Replay(new MemoryStream(file), options, fileOptions);
        provider.ForceFlush();
        return (result, spans);
    }

    private static void AssertCallSpans(List<Activity> spans, string peer, int setupMilliseconds = 1500)
    {
        Activity setup = Assert.Single(spans, s => s.DisplayName == "sip.call.setup");
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal(200, setup.GetTagItem("sip.status_code"));
        Assert.Equal(7L, setup.GetTagItem("sip.capture.agent_id"));
        Assert.Equal(peer, setup.GetTagItem("network.peer.address"));
        Assert.Equal(5070, setup.GetTagItem("network.peer.port"));
        Assert.Equal(Start.UtcDateTime, setup.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(setupMilliseconds), setup.Duration);
        Assert.Contains(setup.Events, e => e.Name == "sip.ringing");

        Activity teardown = Assert.Single(spans, s => s.DisplayName == "sip.call.teardown");
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(Start.AddSeconds(5).UtcDateTime, teardown.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(10), teardown.Duration);
    }

    private static byte[] WithBody(byte[] message, string body)
    {
        string text = Encoding.UTF8.GetString(message).Replace("Content-Length: 0\r\n", "Content-Type: application/sdp\r\nContent-Length: " + Encoding.UTF8.GetByteCount(body) + "\r\n", StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text + body);
    }
}
