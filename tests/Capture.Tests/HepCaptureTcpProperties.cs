using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Capture.Internal;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// However a TCP stream of valid HEPv3 packets is cut into writes (and so into reads), the listener records
/// the packets it would record sent whole, in order: the framer, and the framer behind a real socket.
/// </summary>
public sealed class HepCaptureTcpProperties : IClassFixture<HepCaptureTcpProperties.Listener>
{
    private readonly Listener _listener;

    public HepCaptureTcpProperties(Listener listener) => _listener = listener;

    /// <summary>A stream of packets (their Call-IDs) and where its writes are cut.</summary>
    public sealed record StreamCase(string[] CallIds, int[] Cuts)
    {
        public byte[] Bytes() => [.. CallIds.SelectMany(id => HepCaptureTcpTests.Packet(id))];

        public override string ToString() => $"{CallIds.Length} packets, {Bytes().Length} bytes, cut at [{string.Join(", ", Cuts)}]";
    }

    private static Gen<StreamCase> Streams =>
        from count in Gen.Choose(1, 6)
        from ids in Gen.ArrayOf(Gen.Choose(0, 999_999).Select(n => $"p{n}@x"), count)
        let length = ids.Sum(id => HepCaptureTcpTests.Packet(id).Length)
        from cutCount in Gen.Choose(0, 12)
        from cuts in Gen.ArrayOf(Gen.Choose(1, length - 1), cutCount)
        select new StreamCase(ids, [.. cuts.Distinct().Order()]);

    private static IEnumerable<byte[]> Writes(byte[] bytes, int[] cuts)
    {
        int start = 0;
        foreach (int cut in cuts.Append(bytes.Length))
        {
            yield return bytes[start..cut];
            start = cut;
        }
    }

    [Property(MaxTest = 300)]
    public Property The_framer_gives_the_packets_whole_however_the_stream_is_cut() =>
        Prop.ForAll(Streams.ToArbitrary(), stream =>
        {
            byte[] bytes = stream.Bytes();
            var framed = new List<byte[]>();
            using var framer = new HepStreamFramer();
            foreach (byte[] write in Writes(bytes, stream.Cuts))
            {
                ArraySegment<byte> free = framer.GetFreeSpace();
                write.CopyTo(free.AsSpan());
                framer.Advance(write.Length);
                HepStreamFramer.FrameStatus status;
                while ((status = framer.TryRead(out ReadOnlySpan<byte> packet)) == HepStreamFramer.FrameStatus.Packet)
                {
                    framed.Add(packet.ToArray());
                }

                if (status == HepStreamFramer.FrameStatus.Malformed)
                {
                    return false.Label("a valid stream was refused");
                }
            }

            List<byte[]> whole = [.. stream.CallIds.Select(id => HepCaptureTcpTests.Packet(id))];
            return (framer.Buffered == 0 && framed.Count == whole.Count && framed.Zip(whole).All(p => p.First.AsSpan().SequenceEqual(p.Second)))
                .Label(stream.ToString());
        });

    [Property(MaxTest = 60)]
    public Property Any_split_of_a_stream_records_what_sending_it_whole_records() =>
        Prop.ForAll(Streams.ToArbitrary(), stream =>
        {
            List<string> split = _listener.Record(Writes(stream.Bytes(), stream.Cuts), stream.CallIds.Length);
            List<string> whole = _listener.Record([stream.Bytes()], stream.CallIds.Length);
            List<string> expected = [.. stream.CallIds.Select(id => Encoding.UTF8.GetString(Instrumentation.Tests.Sip.Invite(id)))];
            return (split.SequenceEqual(expected) && whole.SequenceEqual(expected)).Label(stream.ToString());
        });

    /// <summary>One listener for every case: each case sends on a connection of its own and waits for its packets.</summary>
    public sealed class Listener : IAsyncLifetime
    {
        private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
        private readonly ConcurrentQueue<string> _recorded = new();
        private CaptureHarness? _harness;

        public async Task InitializeAsync() =>
            _harness = await CaptureHarness.StartAsync(o =>
            {
                o.Transports = HepTransports.Tcp;
                o.ReorderWindow = TimeSpan.Zero;
                o.MaxTrackedCalls = 16;

                // Sees every packet the listener records, as decoded from the queue.
                o.DirectionResolver = (in HepPacket p) =>
                {
                    _recorded.Enqueue(Encoding.UTF8.GetString(p.Payload));
                    return SipDirection.In;
                };
            });

        /// <summary>Sends the writes on a new connection and returns the payloads recorded from them.</summary>
        public List<string> Record(IEnumerable<byte[]> writes, int packets)
        {
            HepCaptureListener listener = _harness!.Listener;
            _recorded.Clear();
            long before = listener.PacketsRecorded + listener.PacketsDropped;
            using (Socket agent = HepCaptureTcpTests.Connect(listener))
            {
                foreach (byte[] write in writes)
                {
                    agent.Send(write);
                }

                var clock = Stopwatch.StartNew();
                while (listener.PacketsRecorded + listener.PacketsDropped < before + packets && clock.Elapsed < WaitLimit)
                {
                    Thread.Sleep(1);
                }
            }

            return [.. _recorded];
        }

        public async Task DisposeAsync()
        {
            if (_harness is not null)
            {
                await _harness.DisposeAsync();
            }
        }
    }
}
