using System.Buffers;
using System.Buffers.Binary;
using SipTraceContext.Capture.Internal;

namespace SipTraceContext.Capture;

// Replaying a capture file: each SIP message found in it becomes the HEPv3 packet a capture agent on the
// node would have sent, and takes the listener's own path (Ingest: agent, Via rule, reorder window,
// direction, Record) on a clock that the capture timestamps drive.
public sealed partial class HepCaptureListener
{
    /// <summary>
    /// Whether a message between these endpoints is the node's to record: always when no node endpoints
    /// are configured for the agent; otherwise when at least one side is a listed node endpoint.
    /// </summary>
    internal bool IsNodeTraffic(uint agentId, ReadOnlySpan<byte> source, int sourcePort, ReadOnlySpan<byte> destination, int destinationPort)
    {
        NodeEndPoint[] own = _nodeEndPointsByAgent.TryGetValue(agentId, out NodeEndPoint[]? byAgent) ? byAgent : [];
        if (own.Length == 0 && _nodeEndPoints.Length == 0)
        {
            return true;
        }

        return IsNode(own, source, sourcePort) || IsNode(own, destination, destinationPort)
            || IsNode(_nodeEndPoints, source, sourcePort) || IsNode(_nodeEndPoints, destination, destinationPort);
    }

    /// <summary>
    /// Ingests one captured SIP message as a HEPv3 packet of <paramref name="agentId"/>; the caller has set
    /// the clock to its capture time. Returns <see langword="false"/> when it is too long for HEP.
    /// </summary>
    internal bool IngestCaptured(ReadOnlySpan<byte> message, ReadOnlySpan<byte> source, ushort sourcePort, ReadOnlySpan<byte> destination, ushort destinationPort, byte ipProtocol, DateTimeOffset timestamp, uint agentId)
    {
        int length = HepPacket.HeaderLength + (7 * 4) + (2 * (HepPacket.ChunkHeaderLength + source.Length)) + (4 * 8) + (4 * 10) + message.Length + HepPacket.ChunkHeaderLength;
        if (length > HepStreamFramer.MaxPacketLength)
        {
            return false;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        int at = HepPacket.HeaderLength;
        bool six = source.Length == 16;
        long unixMicroseconds = (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        at = Chunk(buffer, at, 1, [six ? HepPacket.FamilyIPv6 : HepPacket.FamilyIPv4]);
        at = Chunk(buffer, at, 2, [ipProtocol]);
        at = Chunk(buffer, at, six ? (ushort)5 : (ushort)3, source);
        at = Chunk(buffer, at, six ? (ushort)6 : (ushort)4, destination);
        at = Chunk16(buffer, at, 7, sourcePort);
        at = Chunk16(buffer, at, 8, destinationPort);
        at = Chunk32(buffer, at, 9, (uint)(unixMicroseconds / 1_000_000));
        at = Chunk32(buffer, at, 10, (uint)(unixMicroseconds % 1_000_000));
        at = Chunk(buffer, at, 11, [HepPacket.ProtocolTypeSip]);
        if (agentId != 0)
        {
            at = Chunk32(buffer, at, 12, agentId);
        }

        at = Chunk(buffer, at, 15, message);
        "HEP3"u8.CopyTo(buffer);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), (ushort)at);

        Interlocked.Increment(ref _received);
        CaptureMetrics.Received();
        ConsumerShard own = ShardOf(agentId);
        lock (own.RecordLock)
        {
            Ingest(own, new QueuedPacket(buffer, at, Sender: null));
        }

        // Every shard's due packets, not only this agent's: the replay clock moved for all of them.
        foreach (ConsumerShard shard in _shards)
        {
            if (shard.Held.Count > 0)
            {
                lock (shard.RecordLock)
                {
                    ReleaseHeld(shard, all: false);
                }
            }
        }

        return true;
    }

    /// <summary>Ends a replay: records what waits in the reorder window, then ends the tracers' open spans (at the clock's time, the last capture's).</summary>
    internal void FinishReplay()
    {
        ReleaseHeld(all: true);
        CloseNodes();
    }

    private static int Chunk(byte[] buffer, int at, ushort type, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(at), 0);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(at + 2), type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(at + 4), (ushort)(HepPacket.ChunkHeaderLength + value.Length));
        value.CopyTo(buffer.AsSpan(at + HepPacket.ChunkHeaderLength));
        return at + HepPacket.ChunkHeaderLength + value.Length;
    }

    private static int Chunk16(byte[] buffer, int at, ushort type, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return Chunk(buffer, at, type, bytes);
    }

    private static int Chunk32(byte[] buffer, int at, ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return Chunk(buffer, at, type, bytes);
    }
}
