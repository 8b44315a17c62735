using System.Buffers;
using SipTraceContext.Capture.Internal;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Capture;

// Capture order is not message order: an agent stamps and sends a copy after the node sent the message,
// so a node's relayed INVITE, or the 200 answering its BYE, can reach the listener before the message
// it follows. Each packet waits ReorderWindow, and leaves after every packet of the same node and call
// that arrived later but comes first in SIP terms.
public sealed partial class HepCaptureListener
{
    private ITimer? _reorderTimer;

    // The window in the units of TimeProvider.GetTimestamp.
    private readonly long _reorderWindowTimestamp;

    /// <summary>How many packets wait in the reorder windows now (read without the shards' locks: a snapshot).</summary>
    internal int PacketsHeld => _shards.Sum(shard => shard.Held.Count);

    /// <summary>
    /// Whether <paramref name="earlier"/>, which arrived after <paramref name="later"/>, must be recorded
    /// before it: both are of one node's call, and SIP puts <paramref name="earlier"/> first.
    /// </summary>
    internal static bool MustPrecede(in ViaDirection.Scan earlier, in ViaDirection.Scan later)
    {
        if (earlier.CallKey != later.CallKey)
        {
            return false;
        }

        // Two copies of one message: the node received it before it sent it on. A request gains the
        // node's Via on the way through, a response loses it.
        if (earlier.Key == later.Key)
        {
            return earlier.IsRequest ? earlier.ViaCount < later.ViaCount : earlier.ViaCount > later.ViaCount;
        }

        bool sameCSeq = earlier.CSeq == later.CSeq;
        if (!later.IsRequest)
        {
            // A response follows its request, and a 487 the CANCEL that caused it.
            return earlier.IsRequest && sameCSeq
                && (earlier.MethodKey == later.MethodKey
                    || (later.Method == SipMethodKind.Invite && later.Status == 487 && earlier.Method == SipMethodKind.Cancel));
        }

        return later.Method switch
        {
            // CANCEL follows the INVITE it cancels (same CSeq number, RFC 3261 §9.1).
            SipMethodKind.Cancel => earlier.IsRequest && earlier.Method == SipMethodKind.Invite && sameCSeq,

            // ACK follows the final response it acknowledges.
            SipMethodKind.Ack => !earlier.IsRequest && earlier.Method == SipMethodKind.Invite && sameCSeq && earlier.Status >= 200,

            // BYE follows the INVITE and the answer that made the dialog.
            SipMethodKind.Bye => earlier.Method == SipMethodKind.Invite && (earlier.IsRequest || earlier.Status >= 200),
            _ => false,
        };
    }

    private void Hold(ConsumerShard shard, QueuedPacket packet, byte[]? inflated, int inflatedLength, CaptureNode node, in ViaDirection.Scan scan, bool hasScan)
    {
        HeldPacket held = shard.SpareHeld.Count > 0 ? shard.SpareHeld.Pop() : new HeldPacket();
        held.Packet = packet;
        held.Inflated = inflated;
        held.InflatedLength = inflatedLength;
        held.Node = node;
        held.Scan = scan;
        held.HasScan = hasScan;
        held.ArrivedAt = _timeProvider.GetTimestamp();
        held.ArrivedUtc = _timeProvider.GetUtcNow();
        held.State = HeldState.Waiting;
        shard.Held.Enqueue(held);
        if (hasScan)
        {
            var call = new HeldCall(node, scan.CallKey);
            if (!shard.HeldByCall.TryGetValue(call, out List<HeldPacket>? list))
            {
                list = shard.SpareHeldLists.Count > 0 ? shard.SpareHeldLists.Pop() : [];
                shard.HeldByCall.Add(call, list);
            }

            list.Add(held);
        }
    }

    /// <summary>In every shard, under its record lock: records the held packets whose window has passed (all of them with <paramref name="all"/>), and any held beyond the bound.</summary>
    internal void ReleaseHeld(bool all)
    {
        foreach (ConsumerShard shard in _shards)
        {
            lock (shard.RecordLock)
            {
                ReleaseHeld(shard, all);
            }
        }
    }

    /// <summary>Records the shard's held packets whose window has passed (all of them with <paramref name="all"/>), and any held beyond the bound; under its record lock.</summary>
    private void ReleaseHeld(ConsumerShard shard, bool all)
    {
        Queue<HeldPacket> held = shard.Held;
        while (held.Count > 0)
        {
            HeldPacket head = held.Peek();
            if (head.State == HeldState.Recorded)
            {
                Recycle(shard, held.Dequeue());
                continue;
            }

            // The window bounds the wait; the queue capacity bounds what waits (a flood releases early).
            if (!all && held.Count <= _queueCapacity && _timeProvider.GetElapsedTime(head.ArrivedAt) < _reorderWindow)
            {
                return;
            }

            Release(shard, head);
        }
    }

    private void Release(ConsumerShard shard, HeldPacket packet)
    {
        packet.State = HeldState.Releasing;
        if (packet.HasScan && shard.HeldByCall.TryGetValue(new HeldCall(packet.Node!, packet.Scan.CallKey), out List<HeldPacket>? call))
        {
            // What arrived later, within the window, but comes first goes first, itself after what comes
            // before it. Later than the window it is another exchange (a retransmission), not this one's.
            for (int i = 0; i < call.Count; i++)
            {
                HeldPacket other = call[i];
                if (other.State == HeldState.Waiting
                    && other.ArrivedAt - packet.ArrivedAt <= _reorderWindowTimestamp
                    && MustPrecede(in other.Scan, in packet.Scan))
                {
                    Release(shard, other);
                    i = -1;
                }
            }

            call.Remove(packet);
            if (call.Count == 0)
            {
                shard.HeldByCall.Remove(new HeldCall(packet.Node!, packet.Scan.CallKey));
                shard.SpareHeldLists.Push(call);
            }
        }

        packet.State = HeldState.Recorded;
        QueuedPacket queued = packet.Packet;
        try
        {
            Deliver(shard, queued.Buffer.AsSpan(0, queued.Length), packet.Inflated.AsSpan(0, packet.Inflated is null ? 0 : packet.InflatedLength), queued.Sender, packet.Node!, packet.HasScan ? packet.Scan : null, packet.ArrivedUtc);
        }
#pragma warning disable CA1031 // One bad packet (or a throwing listener of the SDK) must not stop the capture.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            ProcessingFailed(exception);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(queued.Buffer);
            if (packet.Inflated is not null)
            {
                ArrayPool<byte>.Shared.Return(packet.Inflated);
            }

            packet.Packet = default;
            packet.Inflated = null;
        }
    }

    private static void Recycle(ConsumerShard shard, HeldPacket packet)
    {
        packet.Node = null;
        if (shard.SpareHeld.Count < 1024)
        {
            shard.SpareHeld.Push(packet);
        }
    }

    private void StartReorderTimer()
    {
        if (_reorderWindow > TimeSpan.Zero)
        {
            // Releases what waits when no new packet comes to do it; a quarter window late at most.
            TimeSpan period = TimeSpan.FromTicks(Math.Max(_reorderWindow.Ticks / 4, TimeSpan.TicksPerMillisecond));
            _reorderTimer = _timeProvider.CreateTimer(static state => ((HepCaptureListener)state!).ReleaseDue(), this, period, period);
        }
    }

    private void ReleaseDue()
    {
        // A busy consumer releases what is due after each batch: a tick that finds a shard's lock taken
        // has nothing to do there, and must not hold a pool thread waiting for it.
        foreach (ConsumerShard shard in _shards)
        {
            if (shard.Held.Count == 0 || !Monitor.TryEnter(shard.RecordLock))
            {
                continue;
            }

            try
            {
                if (!_nodesClosed)
                {
                    ReleaseHeld(shard, all: false);
                }
            }
            finally
            {
                Monitor.Exit(shard.RecordLock);
            }
        }
    }

    private enum HeldState : byte
    {
        Waiting,
        Releasing,
        Recorded,
    }

    private readonly record struct HeldCall(CaptureNode Node, ulong CallKey);

    private sealed class HeldPacket
    {
        public QueuedPacket Packet;

        /// <summary>The inflated payload of a compressed packet (pooled), else null.</summary>
        public byte[]? Inflated;
        public int InflatedLength;
        public CaptureNode? Node;
        public ViaDirection.Scan Scan;
        public bool HasScan;
        public long ArrivedAt;
        public DateTimeOffset ArrivedUtc;
        public HeldState State;
    }
}
