using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SipTraceContext.Capture.Internal;
using S = SipTraceContext.Instrumentation.Tests.Sip;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// HEP over TCP: framing by the HEPv3 length field whatever the writes, one read loop per connection,
/// and the bounds (connection limit, idle timeout, malformed streams closed, stop closes all).
/// </summary>
public sealed class HepCaptureTcpTests
{
    private static readonly IPEndPoint Node = new(IPAddress.Loopback, 5060);
    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    internal static byte[] Packet(string callId, uint agent = 2001) => HepBuilder.Capture(S.Invite(callId), Caller, Node, T0, agent);

    internal static Socket Connect(HepCaptureListener listener)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(listener.LocalEndPoint!);
        return socket;
    }

    /// <summary>Whether the listener closed the connection: a read ends (0 bytes, or a reset) within the wait limit.</summary>
    internal static bool ClosedByListener(Socket socket)
    {
        socket.ReceiveTimeout = (int)WaitLimit.TotalMilliseconds;
        try
        {
            return socket.Receive(new byte[16]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return false;
        }
    }

    internal static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > WaitLimit)
            {
                throw new TimeoutException(what);
            }

            await Task.Delay(5);
        }
    }

    private static Task<CaptureHarness> StartAsync(Action<HepCaptureOptions>? configure = null, TimeProvider? time = null) =>
        CaptureHarness.StartAsync(
            o =>
            {
                o.Transports = HepTransports.Udp | HepTransports.Tcp;
                o.ReorderWindow = TimeSpan.Zero;
                configure?.Invoke(o);
            },
            time);

    [Fact]
    public void The_framer_needs_more_at_every_prefix_and_frames_the_packet_whole()
    {
        // Kestrel's test of its parser: every prefix of a valid input is "incomplete, nothing consumed".
        byte[] packet = Packet("prefix@x");
        for (int split = 0; split < packet.Length; split++)
        {
            using var framer = new HepStreamFramer();
            Write(framer, packet.AsSpan(0, split));
            Assert.Equal(HepStreamFramer.FrameStatus.NeedMore, framer.TryRead(out _));
            Assert.Equal(split, framer.Buffered);

            Write(framer, packet.AsSpan(split));
            Assert.Equal(HepStreamFramer.FrameStatus.Packet, framer.TryRead(out ReadOnlySpan<byte> framed));
            Assert.True(framed.SequenceEqual(packet));
            Assert.Equal(HepStreamFramer.FrameStatus.NeedMore, framer.TryRead(out _));
            Assert.Equal(0, framer.Buffered);
        }
    }

    [Theory]
    [InlineData(new byte[] { (byte)'H', (byte)'E', (byte)'P', (byte)'2' })]
    [InlineData(new byte[] { (byte)'X' })]
    [InlineData(new byte[] { 2, 16, 2, 17 })]
    [InlineData(new byte[] { (byte)'H', (byte)'E', (byte)'P', (byte)'3', 0, 5 })]
    [InlineData(new byte[] { (byte)'H', (byte)'E', (byte)'P', (byte)'3', 0, 0 })]
    public void The_framer_refuses_what_is_not_a_HEPv3_header(byte[] start)
    {
        using var framer = new HepStreamFramer();
        Write(framer, start);
        Assert.Equal(HepStreamFramer.FrameStatus.Malformed, framer.TryRead(out _));
    }

    [Fact]
    public void The_framer_takes_a_packet_of_the_largest_length()
    {
        var packet = new byte[HepStreamFramer.MaxPacketLength];
        "HEP3"u8.CopyTo(packet);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), ushort.MaxValue);
        using var framer = new HepStreamFramer();
        Write(framer, packet);
        Assert.Equal(HepStreamFramer.FrameStatus.Packet, framer.TryRead(out ReadOnlySpan<byte> framed));
        Assert.Equal(packet.Length, framed.Length);
    }

    [Fact]
    public async Task Packets_split_at_every_byte_boundary_are_each_recorded()
    {
        await using CaptureHarness h = await StartAsync();
        using Socket agent = Connect(h.Listener);
        byte[] sample = Packet("split-000@x");
        int splits = sample.Length - 1;
        for (int split = 1; split <= splits; split++)
        {
            byte[] packet = Packet($"split-{split:D3}@x");
            agent.Send(packet, 0, split, SocketFlags.None);
            if (split % 16 == 0)
            {
                // Now and then the first part surely arrives alone.
                await Task.Delay(2);
            }

            agent.Send(packet, split, packet.Length - split, SocketFlags.None);
        }

        await h.WaitForAsync(splits);
        Assert.Equal(splits, h.Listener.PacketsRecorded);
        Assert.Equal(0, h.Listener.PacketsDropped);
        Assert.Equal(splits, h.Listener.GetTracer(2001)!.TrackedCalls);
    }

    [Fact]
    public async Task Several_packets_in_one_write_are_each_recorded()
    {
        await using CaptureHarness h = await StartAsync();
        using Socket agent = Connect(h.Listener);
        byte[] stream = [.. Packet("one@x"), .. Packet("two@x"), .. Packet("three@x")];
        agent.Send(stream);

        await h.WaitForAsync(3);
        Assert.Equal(3, h.Listener.PacketsRecorded);
        Assert.Equal(0, h.Listener.PacketsDropped);
    }

    [Fact]
    public async Task Udp_and_tcp_share_the_port_and_the_queue()
    {
        await using CaptureHarness h = await StartAsync();
        using Socket agent = Connect(h.Listener);
        Assert.Equal(h.Listener.LocalEndPoint!.Port, ((IPEndPoint)agent.RemoteEndPoint!).Port);
        agent.Send(Packet("tcp@x"));
        h.Send(Packet("udp@x"));

        await h.WaitForAsync(2);
        Assert.Equal(2, h.Listener.PacketsRecorded);
        Assert.Equal(2, h.Listener.GetTracer(2001)!.TrackedCalls);
    }

    [Fact]
    public async Task Tcp_alone_listens_on_no_udp_port()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.Transports = HepTransports.Tcp;
            o.ReorderWindow = TimeSpan.Zero;
        });
        Assert.Null(h.Listener.ReceiveBufferSize);
        using Socket agent = Connect(h.Listener);
        agent.Send(Packet("tcp-only@x"));
        await h.WaitForAsync(1);
        Assert.Equal(1, h.Listener.PacketsRecorded);

        // The port is free for UDP: nothing listens there.
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(h.Listener.LocalEndPoint!);
    }

    [Fact]
    public async Task A_port_taken_for_tcp_fails_the_start_and_frees_the_udp_port()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen(1);
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var logger = new RecordingLogger<HepCaptureListener>();
        using var listener = new HepCaptureListener(
            new HepCaptureOptions { Port = port, Transports = HepTransports.Udp | HepTransports.Tcp },
            logger: logger);

        SocketException e = await Assert.ThrowsAsync<SocketException>(() => listener.StartAsync(CancellationToken.None));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Contains("(TCP)", Assert.Single(logger.Named("HepBindFailed")).Message, StringComparison.Ordinal);

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task Two_connections_from_two_agents_get_a_tracer_each()
    {
        await using CaptureHarness h = await StartAsync();
        using Socket first = Connect(h.Listener);
        using Socket second = Connect(h.Listener);
        Task a = Task.Run(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                first.Send(Packet($"a-{i}@x", agent: 2001));
            }
        });
        Task b = Task.Run(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                second.Send(Packet($"b-{i}@x", agent: 2002));
            }
        });
        await Task.WhenAll(a, b);

        await h.WaitForAsync(100);
        Assert.Equal(100, h.Listener.PacketsRecorded);
        Assert.Equal(2, h.Listener.CaptureAgents);
        Assert.Equal(50, h.Listener.GetTracer(2001)!.TrackedCalls);
        Assert.Equal(50, h.Listener.GetTracer(2002)!.TrackedCalls);
        Assert.Equal(2, h.Listener.TcpConnections);
    }

    [Fact]
    public async Task A_connection_stalled_in_a_packet_does_not_delay_another()
    {
        await using CaptureHarness h = await StartAsync();
        using Socket stalled = Connect(h.Listener);
        byte[] half = Packet("stalled@x");
        stalled.Send(half, 0, half.Length / 2, SocketFlags.None);
        await UntilAsync(() => h.Listener.TcpConnections == 1, "the stalled connection is accepted");

        using Socket other = Connect(h.Listener);
        var clock = Stopwatch.StartNew();
        other.Send(Packet("flowing@x", agent: 2002));
        await h.WaitForAsync(1);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.NotNull(h.Listener.GetTracer(2002));
        Assert.Null(h.Listener.GetTracer(2001));

        // The stalled one completes its packet later, on its own connection, and is recorded too.
        stalled.Send(half, half.Length / 2, half.Length - (half.Length / 2), SocketFlags.None);
        await h.WaitForAsync(2);
        Assert.NotNull(h.Listener.GetTracer(2001));
        Assert.Equal(0, h.Listener.PacketsDropped);
    }

    public static TheoryData<string, byte[]> NotHepV3Streams => new()
    {
        { "bad magic", [.. "HEP2"u8, 0, 40] },
        { "garbage", [.. "GET / HTTP/1.1\r\n\r\n"u8] },
        { "HEPv2, UDP-only", HepBuilder.Version1Or2(2, [10, 0, 0, 1], [10, 0, 0, 2], S.Invite("v2@x")) },
        { "length below the header", [.. "HEP3"u8, 0, 5] },
        { "length zero", [.. "HEP3"u8, 0, 0, .. "HEP3"u8] },
    };

    [Theory]
    [MemberData(nameof(NotHepV3Streams))]
    public async Task A_stream_that_is_not_HEPv3_is_closed_and_counts_one_malformed_packet(string what, byte[] garbage)
    {
        await using CaptureHarness h = await StartAsync();
        using Socket agent = Connect(h.Listener);

        // What came before the garbage is recorded; the connection ends at the garbage.
        agent.Send([.. Packet("before@x"), .. garbage]);

        Assert.True(ClosedByListener(agent), what);
        await h.WaitForAsync(2);
        Assert.Equal(1, h.Listener.PacketsRecorded);
        Assert.Equal(1, h.Listener.GetPacketsDropped(HepDropReason.Malformed));
        Assert.Equal(1, h.Listener.PacketsDropped);
        await UntilAsync(() => h.Listener.TcpConnections == 0, "the connection is gone");
    }

    [Fact]
    public async Task Connections_past_the_limit_are_closed_at_once_and_counted()
    {
        var logger = new RecordingLogger<HepCaptureListener>();
        await using CaptureHarness h = await CaptureHarness.StartAsync(
            o =>
            {
                o.Transports = HepTransports.Udp | HepTransports.Tcp;
                o.MaxTcpConnections = 2;
                o.ReorderWindow = TimeSpan.Zero;
            },
            logger: logger);
        using Socket first = Connect(h.Listener);
        using Socket second = Connect(h.Listener);
        await UntilAsync(() => h.Listener.TcpConnections == 2, "two connections are accepted");

        using Socket third = Connect(h.Listener);
        Assert.True(ClosedByListener(third));
        Assert.Equal(1, h.Listener.TcpConnectionsRejected);
        Assert.Equal(2, h.Listener.TcpConnections);
        Assert.Single(logger.Named("HepTcpConnectionRejected"));

        // The open ones still capture; once one closes, a new connection is taken.
        first.Send(Packet("still@x"));
        await h.WaitForAsync(1);
        first.Close();
        await UntilAsync(() => h.Listener.TcpConnections == 1, "the closed connection is gone");
        using Socket fourth = Connect(h.Listener);
        fourth.Send(Packet("fourth@x"));
        await h.WaitForAsync(2);
        Assert.Equal(2, h.Listener.PacketsRecorded);
        Assert.Equal(1, h.Listener.TcpConnectionsRejected);
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_for_the_idle_timeout_is_closed()
    {
        var time = new FakeTimeProvider(T0);
        await using CaptureHarness h = await StartAsync(o => o.TcpIdleTimeout = TimeSpan.FromMinutes(5), time);
        using Socket quiet = Connect(h.Listener);
        using Socket busy = Connect(h.Listener);
        await UntilAsync(() => h.Listener.TcpConnections == 2, "both connections are accepted");

        time.Advance(TimeSpan.FromMinutes(4));
        busy.Send(Packet("busy@x"));
        await h.WaitForAsync(1);
        Assert.Equal(2, h.Listener.TcpConnections);

        // The housekeeping tick past the timeout closes the quiet one only.
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.True(ClosedByListener(quiet));
        await UntilAsync(() => h.Listener.TcpConnections == 1, "the idle connection is gone");
        busy.Send(Packet("busy-again@x"));
        await h.WaitForAsync(2);
        Assert.Equal(2, h.Listener.PacketsRecorded);
    }

    [Fact]
    public async Task Stopping_with_open_connections_ends_promptly_and_closes_them()
    {
        await using CaptureHarness h = await StartAsync();
        using Socket idle = Connect(h.Listener);
        using Socket partial = Connect(h.Listener);
        using Socket sent = Connect(h.Listener);
        byte[] packet = Packet("partial@x");
        partial.Send(packet, 0, 10, SocketFlags.None);
        sent.Send(Packet("sent@x"));
        await h.WaitForAsync(1);
        await UntilAsync(() => h.Listener.TcpConnections == 3, "three connections are accepted");

        var clock = Stopwatch.StartNew();
        await h.StopAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stop took {clock.Elapsed}");

        Assert.Equal(0, h.Listener.TcpConnections);
        Assert.True(ClosedByListener(idle));
        Assert.True(ClosedByListener(partial));
        Assert.True(ClosedByListener(sent));

        // The packet the stop cut short is lost, and says so.
        Assert.Equal(1, h.Listener.PacketsRecorded);
        Assert.Equal(1, h.Listener.GetPacketsDropped(HepDropReason.Malformed));
    }

    [Fact]
    public async Task A_full_queue_drops_tcp_packets_as_it_drops_datagrams()
    {
        // One slot and a window that holds what is recorded: the queue fills from one write.
        var time = new FakeTimeProvider(T0);
        await using CaptureHarness h = await CaptureHarness.StartAsync(
            o =>
            {
                o.Transports = HepTransports.Tcp;
                o.QueueCapacity = 1;
            },
            time);
        using Socket agent = Connect(h.Listener);
        byte[] stream = [.. Enumerable.Range(0, 200).SelectMany(i => Packet($"burst-{i}@x"))];
        agent.Send(stream);

        await h.WaitForAsync(200);
        Assert.Equal(200, h.Listener.PacketsReceived);
        Assert.Equal(200, h.Listener.PacketsRecorded + h.Listener.GetPacketsDropped(HepDropReason.QueueFull));
        Assert.Equal(1, h.Listener.TcpConnections);
    }

    private static void Write(HepStreamFramer framer, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            ArraySegment<byte> free = framer.GetFreeSpace();
            int n = Math.Min(free.Count, data.Length);
            data.Slice(0, n).CopyTo(free.AsSpan(0, n));
            framer.Advance(n);
            data = data.Slice(n);
        }
    }
}
