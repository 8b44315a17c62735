using System.Diagnostics;
using System.Net;
using SipTraceContext.Conventions;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;
using S = SipTraceContext.Instrumentation.Tests.Sip;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// <see cref="HepCaptureOptions.ConsumerCount"/>: several consumers, each agent's packets on one of them,
/// in order; drops counted per consumer queue; a stop that drains them all.
/// </summary>
public sealed class HepCaptureShardTests
{
    private static readonly IPEndPoint Node = new(IPAddress.Loopback, 5060);
    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Many_agents_interleaved_are_all_recorded_each_in_its_own_order(int consumers)
    {
        const int Agents = 8;
        const int CallsPerAgent = 5;

        // No reorder window: only arrival order, kept per agent, can put each call's messages right.
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.ConsumerCount = consumers;
            o.ReorderWindow = TimeSpan.Zero;
            o.NodeEndPoints.Add(Node.ToString());
        });
        var calls = new List<byte[][]>();
        for (uint agent = 1; agent <= Agents; agent++)
        {
            for (int call = 0; call < CallsPerAgent; call++)
            {
                calls.Add(AnsweredCall($"shard-{agent}-{call}@x", agent));
            }
        }

        // One message of every call in turn: the agents' packets alternate on the wire.
        int sent = 0;
        for (int message = 0; message < calls[0].Length; message++)
        {
            foreach (byte[][] call in calls)
            {
                h.Send(call[message]);
                sent++;
            }
        }

        await h.WaitForAsync(sent);
        Assert.Equal(Agents, h.Listener.CaptureAgents);
        await h.StopAsync();

        Assert.Equal(0, h.Listener.PacketsDropped);
        Assert.Equal(sent, h.Listener.PacketsRecorded);
        Activity[] setups = [.. h.Spans.Where(s => s.OperationName == SipSpanNames.CallSetup)];
        Assert.Equal(Agents * CallsPerAgent, setups.Length);
        Assert.Equal(Agents * CallsPerAgent, h.Spans.Count(s => s.OperationName == SipSpanNames.CallTeardown));

        // Each setup ringing then answered in 2 s: its messages were recorded in the order sent.
        Assert.All(setups, s =>
        {
            Assert.Equal(200, s.GetTagItem(A.StatusCode));
            Assert.Equal(2000.0, s.GetTagItem(A.SetupTimeMs));
            Assert.Equal(new[] { SipEventNames.Ringing, SipEventNames.Answered }, s.Events.Select(e => e.Name));
            Assert.StartsWith($"shard-{s.GetTagItem(A.CaptureAgentId)}-", (string)s.GetTagItem(A.CallId)!, StringComparison.Ordinal);
        });
        Assert.Equal(0, h.Counter(M.CallsActive.Name));
    }

    [Fact]
    public async Task Each_consumer_queue_holds_the_capacity_and_drops_past_it_are_counted()
    {
        // Agents 1 and 2 take different consumers of 2; both consumers are held inside their first call.
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.ConsumerCount = 2;
            o.QueueCapacity = 2;
            o.NodeEndPoints.Add(Node.ToString());
            o.Tracer.EnrichWithRequest = (activity, in message) =>
            {
                if (((string)activity.GetTagItem(A.CallId)!).EndsWith("-0", StringComparison.Ordinal))
                {
                    entered.Release();
                    release.Wait(TimeSpan.FromSeconds(10));
                }
            };
        });

        h.Send(HepBuilder.Capture(S.Invite("a1-0"), Caller, Node, T0, agent: 1), HepBuilder.Capture(S.Invite("a2-0"), Caller, Node, T0, agent: 2));
        Assert.True(await entered.WaitAsync(TimeSpan.FromSeconds(10)), "a consumer never started");
        Assert.True(await entered.WaitAsync(TimeSpan.FromSeconds(10)), "the other consumer never started: both agents on one?");
        for (int i = 1; i <= 5; i++)
        {
            h.Send(HepBuilder.Capture(S.Invite("a1-" + i), Caller, Node, T0, agent: 1), HepBuilder.Capture(S.Invite("a2-" + i), Caller, Node, T0, agent: 2));
        }

        // Each queue takes 2 of its agent's 5 and drops 3.
        var clock = Stopwatch.StartNew();
        while ((h.Listener.PacketsReceived < 12 || h.Listener.GetPacketsDropped(HepDropReason.QueueFull) < 6) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        Assert.Equal(6, h.Listener.GetPacketsDropped(HepDropReason.QueueFull));

        // A stop while both consumers are still held records what each queue holds before it returns.
        Task stop = h.StopAsync();
        release.Set();
        await stop;

        Assert.Equal(6, h.Listener.PacketsRecorded);
        Assert.Equal(6, h.Listener.PacketsDropped);
        Assert.Equal(12, h.Listener.PacketsReceived);
        Assert.Equal(6, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "queue_full")));
        Assert.Equal(
            ["a1-0", "a1-1", "a1-2", "a2-0", "a2-1", "a2-2"],
            h.Spans.Select(s => (string)s.GetTagItem(A.CallId)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Drops_of_every_reason_on_several_consumers_add_up()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(o =>
        {
            o.ConsumerCount = 4;
            o.MaxCaptureAgents = 6;
            o.AuthKey = "secret";
        });
        int sent = 0;
        for (uint agent = 1; agent <= 8; agent++)
        {
            if (agent == 7)
            {
                // Agents on different consumers are admitted in no set order: the first 6 get in first.
                await h.WaitForAsync(sent);
            }

            for (int i = 0; i < 10; i++)
            {
                // Every third packet has the wrong key; agents 7 and 8 find the table full.
                h.Send(HepBuilder.Capture(S.Invite($"d-{agent}-{i}"), Caller, Node, T0, agent: agent, authKey: i % 3 == 0 ? "wrong" : "secret"));
                sent++;
            }
        }

        await h.WaitForAsync(sent);
        await h.StopAsync();

        Assert.Equal(sent, h.Listener.PacketsReceived);
        Assert.Equal(8 * 4, h.Listener.GetPacketsDropped(HepDropReason.Unauthorized));
        Assert.Equal(2 * 6, h.Listener.GetPacketsDropped(HepDropReason.TooManyAgents));
        Assert.Equal(6 * 6, h.Listener.PacketsRecorded);
        Assert.Equal(sent, h.Listener.PacketsRecorded + h.Listener.PacketsDropped);
        Assert.Equal(h.Listener.PacketsDropped, h.Counter(M.CapturePacketDropped.Name));
    }

    /// <summary>An answered call as its node received it: INVITE, 180, 200, ACK, BYE, 200.</summary>
    private static byte[][] AnsweredCall(string callId, uint agent)
    {
        DateTimeOffset bye = T0.AddSeconds(10);
        return
        [
            HepBuilder.Capture(S.Invite(callId), Caller, Node, T0, agent),
            HepBuilder.Capture(S.Response(180, "Ringing", callId), Node, Caller, T0.AddMilliseconds(100), agent),
            HepBuilder.Capture(S.Response(200, "OK", callId), Node, Caller, T0.AddMilliseconds(2000), agent),
            HepBuilder.Capture(S.Ack(callId), Caller, Node, T0.AddMilliseconds(2010), agent),
            HepBuilder.Capture(S.Bye(callId), Caller, Node, bye, agent),
            HepBuilder.Capture(S.Response(200, "OK", callId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"), Node, Caller, bye.AddMilliseconds(50), agent),
        ];
    }
}
