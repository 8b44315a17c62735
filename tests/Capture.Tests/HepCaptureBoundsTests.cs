using System.Diagnostics;
using System.Globalization;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;
using SipTraceContext.Capture.Internal;
using S = SipTraceContext.Instrumentation.Tests.Sip;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// What bounds the listener under a flood: the socket's receive buffer and the kernel drops past it
/// (Linux), the call budget shared by the capture agents, and the release of agents gone quiet.
/// </summary>
public sealed class HepCaptureBoundsTests
{
    private static readonly IPEndPoint Node = new(IPAddress.Loopback, 5060);
    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_receive_buffer_asked_for_is_set_and_what_the_OS_granted_is_reported()
    {
        const int Requested = 64 * 1024;
        await using CaptureHarness asked = await CaptureHarness.StartAsync(o => o.ReceiveBufferSize = Requested);
        await using CaptureHarness byDefault = await CaptureHarness.StartAsync();

        Assert.NotNull(asked.Listener.ReceiveBufferSize);
        if (OperatingSystem.IsLinux())
        {
            // Linux grants at most net.core.rmem_max through SO_RCVBUF and reports twice what it grants.
            long rmemMax = long.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), CultureInfo.InvariantCulture);
            Assert.Equal(2 * Math.Min(Requested, rmemMax), (long)asked.Listener.ReceiveBufferSize!.Value);
            Assert.Equal(2 * Math.Min(4 * 1024 * 1024, rmemMax), (long)byDefault.Listener.ReceiveBufferSize!.Value);
        }
        else
        {
            Assert.True(asked.Listener.ReceiveBufferSize > 0);
        }
    }

    [Fact]
    public async Task Datagrams_the_kernel_drops_count_as_socket_buffer_drops_on_Linux()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Only Linux exposes per-socket drops; elsewhere they are documented as invisible.
        }

        // The smallest buffer the kernel allows holds a datagram or two: a burst overflows it.
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.ReceiveBufferSize = 1);
        int port = h.Listener.LocalEndPoint!.Port;
        byte[] packet = HepBuilder.Capture(S.Invite("flood@x"), Caller, Node, T0);
        long sent = 0;
        long kernelDrops = 0;
        for (int burst = 0; burst < 20 && kernelDrops == 0; burst++)
        {
            for (int i = 0; i < 2000; i++)
            {
                h.Send(packet);
            }

            sent += 2000;
            kernelDrops = ProcDrops(port);
        }

        Assert.True(kernelDrops > 0, $"{sent} datagrams into a minimal buffer and /proc/net/udp shows no drops");

        // Every datagram is either read by the listener or dropped by the kernel: wait until the
        // listener has read what the buffer still held, then stop (which reads the drops a last time).
        var clock = Stopwatch.StartNew();
        while (h.Listener.PacketsReceived + kernelDrops < sent && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        await h.StopAsync();
        Assert.Equal(kernelDrops, h.Listener.GetPacketsDropped(HepDropReason.SocketBuffer));
        Assert.Equal(sent, h.Listener.PacketsReceived + h.Listener.GetPacketsDropped(HepDropReason.SocketBuffer));
        Assert.Equal(
            h.Listener.GetPacketsDropped(HepDropReason.SocketBuffer) + h.Listener.GetPacketsDropped(HepDropReason.QueueFull),
            h.Listener.PacketsDropped);
        Assert.Equal(kernelDrops, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "socket_buffer")));
        Assert.Equal(h.Listener.PacketsReceived, h.Counter(M.CapturePackets.Name));
    }

    [Fact]
    public void The_drops_column_of_a_proc_net_udp_line_is_read_for_IPv4_and_IPv6()
    {
        Assert.True(KernelDropReader.TryParse(
            "  886: 0100007F:A3F2 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 4242 2 0000000000000000 17",
            out int port, out ulong inode, out long drops));
        Assert.Equal((0xA3F2, 4242UL, 17L), (port, inode, drops));

        Assert.True(KernelDropReader.TryParse(
            "  100: 00000000000000000000000001000000:2364 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0",
            out port, out inode, out drops));
        Assert.Equal((9060, 99UL, 0L), (port, inode, drops));

        Assert.False(KernelDropReader.TryParse("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", out _, out _, out _));
    }

    [Fact]
    public void Reading_any_line_never_throws() =>
        Prop.ForAll<string>(line => KernelDropReader.TryParse(line ?? string.Empty, out _, out _, out long drops) ? drops >= 0 : true)
            .QuickCheckThrowOnFailure();

    [Fact]
    public async Task Each_agent_tracks_its_share_of_the_listeners_calls()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.NodeEndPoints.Add(Node.ToString());
            o.MaxTrackedCalls = 4;
            o.MaxCaptureAgents = 2;
        });
        for (int i = 0; i < 3; i++)
        {
            h.Send(HepBuilder.Capture(S.Invite("a-" + i), Caller, Node, T0.AddSeconds(i), agent: 1));
        }

        h.Send(HepBuilder.Capture(S.Invite("b-0"), Caller, Node, T0, agent: 2));
        await h.WaitForAsync(4);

        // 4 calls for 2 agents: 2 each, whatever one agent sends.
        Assert.Equal(2, h.Listener.GetTracer(1)!.TrackedCalls);
        Assert.Equal(1, h.Listener.GetTracer(2)!.TrackedCalls);
        Assert.Equal(1, h.Counter(M.CallEvictions.Name, (A.EvictionReason, "capacity")));
    }

    [Fact]
    public async Task The_tracer_options_own_lower_limit_still_applies()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.NodeEndPoints.Add(Node.ToString());
            o.Tracer.MaxTrackedCalls = 1;
        });
        h.Send(
            HepBuilder.Capture(S.Invite("a-0"), Caller, Node, T0, agent: 1),
            HepBuilder.Capture(S.Invite("a-1"), Caller, Node, T0.AddSeconds(1), agent: 1));
        await h.WaitForAsync(2);

        Assert.Equal(1, h.Listener.GetTracer(1)!.TrackedCalls);
    }

    [Fact]
    public async Task Forged_agents_that_fill_the_table_are_released_when_idle_and_the_real_node_gets_in()
    {
        var time = new FakeTimeProvider(T0);
        await using CaptureHarness h = await CaptureHarness.StartAsync(
            o =>
            {
                o.NodeEndPoints.Add(Node.ToString());
                o.MaxCaptureAgents = 2;
                o.CaptureAgentIdleTimeout = TimeSpan.FromMinutes(1);
            },
            time);

        // Two forged capture ids take every slot, each with a ringing call (open until Timer C, 3 minutes).
        // The real node comes after they are in: agents on different consumers are admitted in no set order.
        h.Send(
            HepBuilder.Capture(S.Invite("forged-1"), Caller, Node, T0, agent: 901),
            HepBuilder.Capture(S.Response(180, "Ringing", "forged-1"), Node, Caller, T0, agent: 901),
            HepBuilder.Capture(S.Invite("forged-2"), Caller, Node, T0, agent: 902),
            HepBuilder.Capture(S.Response(180, "Ringing", "forged-2"), Node, Caller, T0, agent: 902));
        await h.WaitForAsync(4);
        h.Send(HepBuilder.Capture(S.Invite("real-1"), Caller, Node, T0, agent: 2001));
        await h.WaitForAsync(5);
        Assert.Equal(1, h.Listener.GetPacketsDropped(HepDropReason.TooManyAgents));
        Assert.Equal(2, h.Listener.CaptureAgents);

        // Within the timeout nothing is released; past it the housekeeping timer releases both.
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(2, h.Listener.CaptureAgents);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, h.Listener.CaptureAgents);
        Assert.Null(h.Listener.GetTracer(901));

        // Their open calls ended as evictions, counted and tagged, not silently.
        h.FlushSpans();
        Assert.Equal(2, h.Spans.Count);
        Assert.All(h.Spans, s => Assert.Equal("agent_idle", s.GetTagItem(A.EvictionReason)));
        Assert.Equal(2, h.Counter(M.CallEvictions.Name, (A.EvictionReason, "agent_idle")));

        h.Send(HepBuilder.Capture(S.Invite("real-2"), Caller, Node, T0.AddMinutes(1), agent: 2001));
        await h.WaitForAsync(6);
        Assert.Equal(1, h.Listener.CaptureAgents);
        Assert.Equal(1, h.Listener.GetTracer(2001)!.TrackedCalls);
    }

    [Fact]
    public async Task A_new_agent_takes_the_slot_of_an_idle_one_before_the_next_sweep()
    {
        var time = new FakeTimeProvider(T0);
        await using CaptureHarness h = await CaptureHarness.StartAsync(
            o =>
            {
                o.NodeEndPoints.Add(Node.ToString());
                o.MaxCaptureAgents = 1;
                o.CaptureAgentIdleTimeout = TimeSpan.FromMilliseconds(100);
            },
            time);
        h.Send(HepBuilder.Capture(S.Invite("old"), Caller, Node, T0, agent: 1));
        await h.WaitForAsync(1);

        // Less than the housekeeping interval: the timer has not run, the slot is freed on demand.
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, h.Listener.CaptureAgents);
        h.Send(HepBuilder.Capture(S.Invite("new"), Caller, Node, T0, agent: 2));
        await h.WaitForAsync(2);

        Assert.Equal(0, h.Listener.GetPacketsDropped(HepDropReason.TooManyAgents));
        Assert.Null(h.Listener.GetTracer(1));
        Assert.NotNull(h.Listener.GetTracer(2));
        Assert.Equal(1, h.Counter(M.CallEvictions.Name, (A.EvictionReason, "agent_idle")));
    }

    [Fact]
    public async Task An_agent_that_keeps_sending_is_kept()
    {
        var time = new FakeTimeProvider(T0);
        await using CaptureHarness h = await CaptureHarness.StartAsync(
            o =>
            {
                o.NodeEndPoints.Add(Node.ToString());
                o.CaptureAgentIdleTimeout = TimeSpan.FromMinutes(1);
            },
            time);
        h.Send(HepBuilder.Capture(S.Invite("call-0"), Caller, Node, T0, agent: 7));
        await h.WaitForAsync(1);
        Instrumentation.SipCallTracer first = h.Listener.GetTracer(7)!;
        for (int i = 1; i <= 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(40));
            h.Send(HepBuilder.Capture(S.Invite("call-" + i), Caller, Node, T0, agent: 7));
            await h.WaitForAsync(i + 1);
        }

        // Two minutes in all, never a minute without a packet: the same tracer throughout.
        Assert.Same(first, h.Listener.GetTracer(7));
        Assert.Equal(0, h.Counter(M.CallEvictions.Name, (A.EvictionReason, "agent_idle")));
    }

    [Fact]
    public void The_bounds_options_out_of_range_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { MaxTrackedCalls = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { ReceiveBufferSize = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { CaptureAgentIdleTimeout = TimeSpan.Zero }));
        using var infinite = new HepCaptureListener(new HepCaptureOptions { CaptureAgentIdleTimeout = Timeout.InfiniteTimeSpan });
    }

    /// <summary>The drops column of the /proc/net/udp line of the socket bound to this port (read independently of the listener).</summary>
    private static long ProcDrops(int port)
    {
        string hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (string line in File.ReadLines("/proc/net/udp").Skip(1))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 12 && fields[1].EndsWith(hexPort, StringComparison.Ordinal))
            {
                return long.Parse(fields[^1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
