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
    private readonly Queue<HeldPacket> _held = new();
    private readonly Dictionary<HeldCall, List<HeldPacket>> _heldByCall = [];
    private readonly Stack<HeldPacket> _spareHeld = new();
    private readonly Stack<List<HeldPacket>> _spareHeldLists = new();
    private ITimer? _reorderTimer;

    // The window in the units of TimeProvider.GetTimestamp.
    private readonly long _reorderWindowTimestamp;

    /// <summary>How many packets wait in the reorder window now.</summary>
    internal int PacketsHeld => _held.Count;

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

    private void Hold(QueuedPacket packet, byte[]? inflated, int inflatedLength, CaptureNode node, in ViaDirection.Scan scan, bool hasScan)
    {
        HeldPacket held = _spareHeld.Count > 0 ? _spareHeld.Pop() : new HeldPacket();
        held.Packet = packet;
        held.Inflated = inflated;
        held.InflatedLength = inflatedLength;
        held.Node = node;
        held.Scan = scan;
        held.HasScan = hasScan;
        held.ArrivedAt = _timeProvider.GetTimestamp();
        held.ArrivedUtc = _timeProvider.GetUtcNow();
        held.State = HeldState.Waiting;
        _held.Enqueue(held);
        if (hasScan)
        {
            var call = new HeldCall(node, scan.CallKey);
            if (!_heldByCall.TryGetValue(call, out List<HeldPacket>? list))
            {
                list = _spareHeldLists.Count > 0 ? _spareHeldLists.Pop() : [];
                _heldByCall.Add(call, list);
            }

            list.Add(held);
        }
    }

    /// <summary>Records the held packets whose window has passed (all of them with <paramref name="all"/>), and any held beyond the bound.</summary>
    internal void ReleaseHeld(bool all)
    {
        while (_held.Count > 0)
        {
            HeldPacket head = _held.Peek();
            if (head.State == HeldState.Recorded)
            {
                Recycle(_held.Dequeue());
                continue;
            }

            // The window bounds the wait; the queue capacity bounds what waits (a flood releases early).
            if (!all && _held.Count <= _queueCapacity && _timeProvider.GetElapsedTime(head.ArrivedAt) < _reorderWindow)
            {
                return;
            }

            Release(head);
        }
    }

    private void Release(HeldPacket packet)
    {
        packet.State = HeldState.Releasing;
        if (packet.HasScan && _heldByCall.TryGetValue(new HeldCall(packet.Node!, packet.Scan.CallKey), out List<HeldPacket>? call))
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
                    Release(other);
                    i = -1;
                }
            }

            call.Remove(packet);
            if (call.Count == 0)
            {
                _heldByCall.Remove(new HeldCall(packet.Node!, packet.Scan.CallKey));
                _spareHeldLists.Push(call);
            }
        }

        packet.State = HeldState.Recorded;
        QueuedPacket queued = packet.Packet;
        try
        {
            Deliver(queued.Buffer.AsSpan(0, queued.Length), packet.Inflated.AsSpan(0, packet.Inflated is null ? 0 : packet.InflatedLength), queued.Sender, packet.Node!, packet.HasScan ? packet.Scan : null, packet.ArrivedUtc);
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

    private void Recycle(HeldPacket packet)
    {
        packet.Node = null;
        if (_spareHeld.Count < 1024)
        {
            _spareHeld.Push(packet);
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
        // A busy consumer releases what is due after each batch: a tick that finds the lock taken has
        // nothing to do, and must not hold a pool thread waiting for it.
        if (_held.Count == 0 || !Monitor.TryEnter(_recordLock))
        {
            return;
        }

        try
        {
            if (!_nodesClosed)
            {
                ReleaseHeld(all: false);
            }
        }
        finally
        {
            Monitor.Exit(_recordLock);
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
