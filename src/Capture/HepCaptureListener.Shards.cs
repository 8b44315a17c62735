using System.Buffers.Binary;
using System.Threading.Channels;

namespace SipTraceContext.Capture;

// Consumer shards: each capture agent's packets go to one shard, whose single consumer decodes and records
// them, so an agent's order, reorder window and Via state stay single-threaded while agents run in parallel.
public sealed partial class HepCaptureListener
{
    /// <summary>The shard that takes the packets of <paramref name="agentId"/>: always the same one.</summary>
    private ConsumerShard ShardOf(uint agentId) => _shards.Length == 1 ? _shards[0] : _shards[agentId % (uint)_shards.Length];

    /// <summary>
    /// The capture agent id of a datagram, read without decoding the rest: for every datagram that
    /// <see cref="HepPacket.Decode"/> accepts, its <see cref="HepPacket.CaptureAgentId"/>, so an agent's
    /// packets all go to one shard. 0 for one without an id or not HEP (its shard then drops it as malformed).
    /// </summary>
    internal static uint PeekCaptureAgentId(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length >= 2 && datagram[0] == 2)
        {
            // HEPv2: the agent id is a little-endian 16-bit value 8 bytes into the time header.
            int at = datagram[1] + 8;
            return datagram.Length >= at + 2 ? BinaryPrimitives.ReadUInt16LittleEndian(datagram[at..]) : 0u;
        }

        if (datagram.Length < HepPacket.HeaderLength || !datagram.StartsWith("HEP3"u8))
        {
            return 0;
        }

        int end = Math.Min(datagram.Length, BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]));
        if (end < HepPacket.HeaderLength)
        {
            return 0;
        }

        ReadOnlySpan<byte> rest = datagram[HepPacket.HeaderLength..end];
        while (rest.Length >= HepPacket.ChunkHeaderLength)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(rest[4..]);
            if (length < HepPacket.ChunkHeaderLength || length > rest.Length)
            {
                return 0;
            }

            if (length == HepPacket.ChunkHeaderLength + 4 && BinaryPrimitives.ReadUInt16BigEndian(rest) == 0 && BinaryPrimitives.ReadUInt16BigEndian(rest[2..]) == 12)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(rest[HepPacket.ChunkHeaderLength..]);
            }

            rest = rest[length..];
        }

        return 0;
    }

    private Channel<QueuedPacket> CreateQueue(int capacity, HepQueueFullMode fullMode) => Channel.CreateBounded<QueuedPacket>(
        new BoundedChannelOptions(capacity)
        {
            FullMode = fullMode == HepQueueFullMode.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.DropWrite,
            SingleReader = true,

            // Every TCP connection writes from its own loop.
            SingleWriter = !_listenTcp,
        },
        OnQueueFull);

    /// <summary>
    /// One consumer's queue and the state only it touches, under its record lock: the packets waiting in
    /// the reorder window and the span tags being filled.
    /// </summary>
    private sealed class ConsumerShard(Channel<QueuedPacket> queue)
    {
        public Channel<QueuedPacket> Queue { get; } = queue;

        /// <summary>
        /// Held by the consumer while it records a packet, by the reorder timer while it releases what is
        /// due, and by whoever releases one of the shard's idle agents, so a tracer is never disposed
        /// under a packet being recorded into it.
        /// </summary>
        public object RecordLock { get; } = new();

        public Queue<HeldPacket> Held { get; } = new();

        public Dictionary<HeldCall, List<HeldPacket>> HeldByCall { get; } = [];

        public Stack<HeldPacket> SpareHeld { get; } = new();

        public Stack<List<HeldPacket>> SpareHeldLists { get; } = new();

        public KeyValuePair<string, object?>[] SpanTags { get; } = new KeyValuePair<string, object?>[MaxSpanTags];
    }
}
