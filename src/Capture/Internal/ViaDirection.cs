using SipTraceContext.Instrumentation;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// One capture agent's Via rule: a node's own Via is the top Via of what it sends and gone from what it
/// received, so of two copies of one message that differ by exactly that Via, the copy with it is the
/// node's side (a request it sent, a response it received). Learns the node's sent-by from such pairs
/// and reads the direction of later messages from whether their top Via is the node's. A sent-by that
/// a pair shows on both sides (two nodes on one address and port) is never used.
/// </summary>
/// <remarks>Not thread-safe: used under the listener's record lock, one instance per capture agent.</remarks>
internal sealed class ViaDirection
{
    // Bounds: the copies remembered for pairing (one entry per message, first copy seen) and the
    // sent-bys learnt (a node with a few sockets or interfaces).
    internal const int MaxRemembered = 8192;
    internal const int MaxSentBys = 8;

    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    private readonly Dictionary<ulong, Copy> _copies = [];
    private readonly Queue<ulong> _order = new();
    private readonly List<ulong> _sentBys = [];

    // Sent-bys seen on both copies of a pair: the node's and its neighbour's, never learnt.
    private readonly List<ulong> _ambiguous = [];

    /// <summary>How many sent-bys of the node were learnt (tests).</summary>
    internal int SentBysLearnt => _sentBys.Count;

    /// <summary>
    /// Remembers this copy, in the order copies arrive, and when it completes a pair (the same message seen
    /// before with exactly the node's Via less or more) learns the node's sent-by from it and notes which
    /// of the two copies carries the node's Via. The direction is read later, by <see cref="Decide"/>.
    /// </summary>
    public void Observe(in Scan scan)
    {
        if (!_copies.TryGetValue(scan.Key, out Copy earlier))
        {
            Remember(scan.Key, new Copy(scan.ViaCount, scan.TopVia, scan.SecondVia, scan.TopSentBy, NodeViaCount: 0));
            return;
        }

        if (earlier.NodeViaCount != 0)
        {
            return;
        }

        bool thisHasNodeVia = scan.ViaCount == earlier.ViaCount + 1 && scan.SecondVia == earlier.TopVia;
        bool earlierHasNodeVia = earlier.ViaCount == scan.ViaCount + 1 && earlier.SecondVia == scan.TopVia;
        if (!thisHasNodeVia && !earlierHasNodeVia)
        {
            return;
        }

        // The other copy's top Via is the previous hop's: when it has the same sent-by, the node shares
        // its address and port with a neighbour, and its sent-by cannot tell them apart.
        ulong nodeSentBy = thisHasNodeVia ? scan.TopSentBy : earlier.TopSentBy;
        ulong hopSentBy = thisHasNodeVia ? earlier.TopSentBy : scan.TopSentBy;
        Learn(nodeSentBy, ambiguous: nodeSentBy == hopSentBy);
        _copies[scan.Key] = earlier with { NodeViaCount = thisHasNodeVia ? scan.ViaCount : earlier.ViaCount };
    }

    /// <summary>
    /// The direction the Via rule reads from an observed copy, or <see langword="null"/> when it cannot
    /// tell (no pair and no sent-by learnt). Asked when the copy is recorded, which may be after its pair
    /// arrived: then both copies of a pair are decided by the pair, whichever came first.
    /// </summary>
    public SipDirection? Decide(in Scan scan)
    {
        // Pair rule: a request with the node's Via on top is one it sent; a response with it, one it received.
        if (_copies.TryGetValue(scan.Key, out Copy copy) && copy.NodeViaCount != 0
            && (scan.ViaCount == copy.NodeViaCount || scan.ViaCount == copy.NodeViaCount - 1))
        {
            bool hasNodeVia = scan.ViaCount == copy.NodeViaCount;
            return hasNodeVia == scan.IsRequest ? SipDirection.Out : SipDirection.In;
        }

        // Sent-by rule: once the node's sent-by is known, its Via on top or not.
        if (_sentBys.Count == 0)
        {
            return null;
        }

        bool nodeViaOnTop = _sentBys.Contains(scan.TopSentBy);
        return nodeViaOnTop == scan.IsRequest ? SipDirection.Out : SipDirection.In;
    }

    private void Learn(ulong sentBy, bool ambiguous)
    {
        if (ambiguous)
        {
            _ = _sentBys.Remove(sentBy);
            if (!_ambiguous.Contains(sentBy) && _ambiguous.Count < MaxSentBys)
            {
                _ambiguous.Add(sentBy);
            }
        }
        else if (!_ambiguous.Contains(sentBy) && !_sentBys.Contains(sentBy) && _sentBys.Count < MaxSentBys)
        {
            _sentBys.Add(sentBy);
        }
    }

    private void Remember(ulong key, Copy copy)
    {
        if (_copies.Count >= MaxRemembered)
        {
            _copies.Remove(_order.Dequeue());
        }

        _copies.Add(key, copy);
        _order.Enqueue(key);
    }

    /// <summary>
    /// Reads what the rule needs: request or response, the message key (Call-ID, CSeq, and the status
    /// code of a response), the Via count, and hashes of the top two Via values and the top sent-by.
    /// The message is the listener's one reading of the packet, which the tracer records too: a message
    /// the reader rejects decides nothing.
    /// </summary>
    internal static bool TryScan(in SipMessageReader reader, out Scan scan)
    {
        scan = default;
        if (!reader.HeadersComplete)
        {
            return false;
        }

        bool isRequest = reader.IsRequest;
        ulong key = FnvOffset;
        if (!isRequest)
        {
            Span<byte> status = stackalloc byte[3];
            int code = reader.StatusCode;
            status[0] = (byte)('0' + (code / 100));
            status[1] = (byte)('0' + (code / 10 % 10));
            status[2] = (byte)('0' + (code % 10));
            key = Hash(key, status, lower: false);
        }

        key = Hash(key, isRequest ? "Q"u8 : "S"u8, lower: false);
        bool hasCallId = false;
        bool hasCSeq = false;
        ulong callKey = 0;
        uint cseqNumber = 0;
        ReadOnlySpan<byte> cseqMethod = default;
        int viaCount = 0;
        ulong topVia = 0;
        ulong secondVia = 0;
        ulong topSentBy = 0;
        foreach (SipHeaderField field in reader.Headers)
        {
            switch (field.KnownHeader)
            {
                case KnownSipHeader.Via:
                    foreach (ReadOnlySpan<byte> via in new SipValueList(field.UnfoldedValue()))
                    {
                        if (viaCount == 0)
                        {
                            topVia = ViaIdentity(via);
                            topSentBy = Hash(FnvOffset, SentBy(via), lower: true);
                        }
                        else if (viaCount == 1)
                        {
                            secondVia = ViaIdentity(via);
                        }

                        viaCount++;
                    }

                    break;
                case KnownSipHeader.CallId when !hasCallId:
                    callKey = Hash(FnvOffset, field.UnfoldedValue(), lower: false);
                    key = Hash(Hash(key, "I"u8, lower: false), field.UnfoldedValue(), lower: false);
                    hasCallId = true;
                    break;
                case KnownSipHeader.CSeq when !hasCSeq:
                    if (!SipValueScanner.TryParseCSeq(field.UnfoldedValue(), out cseqNumber, out cseqMethod))
                    {
                        return false;
                    }

                    key = Hash(Hash(key, "C"u8, lower: false), field.UnfoldedValue(), lower: true);
                    hasCSeq = true;
                    break;
            }
        }

        if (!hasCallId || !hasCSeq || viaCount == 0)
        {
            return false;
        }

        scan = new Scan(isRequest, key, viaCount, topVia, secondVia, topSentBy)
        {
            CallKey = callKey,
            CSeq = cseqNumber,
            Method = SipMethods.Classify(cseqMethod),
            MethodKey = Hash(FnvOffset, cseqMethod, lower: false),
            Status = isRequest ? 0 : reader.StatusCode,
        };
        return true;
    }


    // What identifies a Via entry across the copies of a message: its sent-by and branch. A proxy adds
    // received= and rport= to the Via it relays (RFC 3261 §18.2.1, RFC 3581), so the previous hop's Via
    // is not byte for byte the same in the copy received and the copy relayed.
    private static ulong ViaIdentity(ReadOnlySpan<byte> via) =>
        Hash(Hash(FnvOffset, SentBy(via), lower: true), SipValueScanner.FindParameter(via, "branch"u8), lower: true);

    // "SIP/2.0/UDP 192.0.2.5:5060;branch=..." -> "192.0.2.5:5060"
    private static ReadOnlySpan<byte> SentBy(ReadOnlySpan<byte> via)
    {
        int space = via.IndexOfAny((byte)' ', (byte)'\t');
        if (space < 0)
        {
            return default;
        }

        ReadOnlySpan<byte> rest = via.Slice(space).Trim(" \t"u8);
        int stop = rest.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
        return stop < 0 ? rest : rest.Slice(0, stop);
    }

    private static byte ToLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private static ulong Hash(ulong hash, ReadOnlySpan<byte> bytes, bool lower)
    {
        foreach (byte b in bytes)
        {
            hash = (hash ^ (lower ? ToLower(b) : b)) * FnvPrime;
        }

        // A separator, so that the parts of a key cannot run into each other.
        return (hash ^ 0xFF) * FnvPrime;
    }

    /// <summary>
    /// What the Via rule and the capture's reordering read from a message: <see cref="Key"/> names the
    /// message (its copies share it), <see cref="CallKey"/> the call, the CSeq its transaction.
    /// </summary>
    internal readonly record struct Scan(bool IsRequest, ulong Key, int ViaCount, ulong TopVia, ulong SecondVia, ulong TopSentBy)
    {
        public ulong CallKey { get; init; }

        public uint CSeq { get; init; }

        public SipMethodKind Method { get; init; }

        /// <summary>A hash of the CSeq method, which tells apart the methods <see cref="Method"/> calls Other.</summary>
        public ulong MethodKey { get; init; }

        /// <summary>The status code of a response; 0 for a request.</summary>
        public int Status { get; init; }
    }

    // NodeViaCount: the Via count of the copy of a pair that carries the node's Via; 0 until paired.
    private readonly record struct Copy(int ViaCount, ulong TopVia, ulong SecondVia, ulong TopSentBy, int NodeViaCount);
}
