using System.Buffers;
using System.Net;
using System.Threading.Channels;
using SipTraceContext.Capture.Internal;
using SipTraceContext.Instrumentation;
using SipTraceContext.Sip;

namespace SipTraceContext.Capture;

// The consumer side: each consumer takes its queue's packets, checks and decodes them, holds them in
// its reorder window, and records the SIP message in the capture agent's tracer.
public sealed partial class HepCaptureListener
{
    private async Task ConsumeAsync(ConsumerShard shard)
    {
        ChannelReader<QueuedPacket> reader = shard.Queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            lock (shard.RecordLock)
            {
                while (reader.TryRead(out QueuedPacket packet))
                {
                    Ingest(shard, packet);
                }

                if (shard.Held.Count > 0)
                {
                    ReleaseHeld(shard, all: false);
                }
            }
        }
    }

    /// <summary>Ingests a packet synchronously in the shard of its agent, under the shard's record lock (for tests).</summary>
    internal void Ingest(QueuedPacket packet)
    {
        ConsumerShard shard = ShardOf(PeekCaptureAgentId(packet.Buffer.AsSpan(0, packet.Length)));
        lock (shard.RecordLock)
        {
            Ingest(shard, packet);
        }
    }

    /// <summary>
    /// Checks a received datagram, and records it (<see cref="HepCaptureOptions.ReorderWindow"/> zero) or
    /// holds it for the window. Takes the packet's buffer: returns it to the pool or keeps it while held.
    /// Called under the shard's record lock.
    /// </summary>
    private void Ingest(ConsumerShard shard, QueuedPacket packet)
    {
        bool held = false;
        try
        {
            held = Admit(shard, packet);
        }
#pragma warning disable CA1031 // One bad packet (or a throwing listener of the SDK) must not stop the capture.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            ProcessingFailed(exception);
        }
        finally
        {
            if (!held)
            {
                ArrayPool<byte>.Shared.Return(packet.Buffer);
            }
        }
    }

    private bool Admit(ConsumerShard shard, QueuedPacket packet)
    {
        ReadOnlySpan<byte> datagram = packet.Buffer.AsSpan(0, packet.Length);
        if (HepPacket.Decode(datagram, out HepPacket hep) != HepDecodeStatus.Ok)
        {
            Drop(HepDropReason.Malformed);
            return false;
        }

        if (_authKey is not null && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(hep.AuthKey, _authKey))
        {
            Drop(HepDropReason.Unauthorized);
            return false;
        }

        // Agents always send the protocol type; a packet without one is taken for SIP, the HEP default.
        if ((hep.Fields & HepFields.ProtocolType) != 0 && hep.ProtocolType != HepPacket.ProtocolTypeSip)
        {
            Drop(HepDropReason.NotSip);
            return false;
        }

        // A compressed payload is inflated into a buffer of its own, kept with the packet while it waits.
        byte[]? inflated = null;
        ReadOnlySpan<byte> payload = hep.Payload;
        if (hep.IsPayloadCompressed)
        {
            inflated = Inflate(packet, payload, out int length);
            if (inflated is null)
            {
                Drop(HepDropReason.Compressed);
                return false;
            }

            payload = inflated.AsSpan(0, length);
        }

        bool held = false;
        try
        {
            CaptureNode? node = GetNode(hep.CaptureAgentId, shard);
            if (node is null)
            {
                Drop(HepDropReason.TooManyAgents);
                return false;
            }

            node.LastPacket = _timeProvider.GetTimestamp();

            // The Via rule sees every copy in the order they arrive, even those another rule decides, so
            // that it can pair them; a user's resolver replaces every rule.
            var message = new SipMessageReader(payload);
            bool hasScan = ViaDirection.TryScan(in message, out ViaDirection.Scan scan);
            if (hasScan && _directionResolver is null)
            {
                node.Via.Observe(in scan);
            }

            if (_reorderWindow <= TimeSpan.Zero)
            {
                Record(shard, in hep, payload, packet.Sender, node, in message, hasScan ? scan : null, _timeProvider.GetUtcNow());
                return false;
            }

            Hold(shard, packet, inflated, payload.Length, node, in scan, hasScan);
            held = true;
            return true;
        }
        finally
        {
            if (!held && inflated is not null)
            {
                ArrayPool<byte>.Shared.Return(inflated);
            }
        }
    }

    private static byte[]? Inflate(QueuedPacket packet, ReadOnlySpan<byte> compressed, out int length)
    {
        length = 0;
        if (!packet.Buffer.AsSpan(0, packet.Length).Overlaps(compressed, out int offset))
        {
            return null;
        }

        byte[] inflated = ArrayPool<byte>.Shared.Rent(HepPayloadInflater.MaxInflatedLength + 1);
        length = HepPayloadInflater.TryInflate(packet.Buffer, offset, compressed.Length, inflated);
        if (length <= 0)
        {
            ArrayPool<byte>.Shared.Return(inflated);
            return null;
        }

        return inflated;
    }

    /// <summary>Records a packet that waited in the reorder window: decoded and read again, as it was when it arrived.</summary>
    private void Deliver(ConsumerShard shard, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> inflated, IPAddress? sender, CaptureNode node, ViaDirection.Scan? scan, DateTimeOffset arrived)
    {
        _ = HepPacket.Decode(datagram, out HepPacket hep);
        if (node.Closed)
        {
            // Its agent went idle and was released while the packet waited: the agent's new tracer takes it.
            node = GetNode(hep.CaptureAgentId, shard) ?? node;
        }

        ReadOnlySpan<byte> payload = hep.IsPayloadCompressed ? inflated : hep.Payload;
        var message = new SipMessageReader(payload);
        Record(shard, in hep, payload, sender, node, in message, scan, arrived);
    }

    private void Record(ConsumerShard shard, in HepPacket hep, ReadOnlySpan<byte> payload, IPAddress? sender, CaptureNode node, in SipMessageReader message, ViaDirection.Scan? scan, DateTimeOffset arrived)
    {
        if (node.Closed)
        {
            Drop(HepDropReason.TooManyAgents);
            return;
        }

        SipDirection direction = ResolveDirection(in hep, node, sender, scan);
        DateTimeOffset timestamp = (hep.Fields & HepFields.TimestampSeconds) != 0 ? hep.Timestamp : arrived;

        // Only a message that can start a span pays for its tags.
        int count = payload.StartsWith(InviteStart) || payload.StartsWith(ByeStart) ? FillSpanTags(shard, in hep, node, direction) : 0;
        node.Tracer.Record(in message, direction, timestamp, shard.SpanTags.AsSpan(0, count));

        Interlocked.Increment(ref _recorded);
    }
}
