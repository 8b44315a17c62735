using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>What a cross-leg correlator is, so that values of different kinds never hash alike.</summary>
internal enum CorrelatorKind : byte
{
    /// <summary>A Call-ID: the message's own, or the original leg's from <c>X-CID</c>.</summary>
    CallId = 1,

    /// <summary>The local-uuid of a <c>Session-ID</c> (RFC 7989).</summary>
    SessionId = 2,

    /// <summary>The <c>icid-value</c> of a <c>P-Charging-Vector</c> (RFC 7315).</summary>
    ChargingId = 3,
}

/// <summary>
/// The ids a node derives for the setup span of a call from the INVITE alone (issue 25,
/// docs/zero-touch-call-trees.md): <see cref="SpanId"/> is this node's span, <see cref="ParentSpanId"/>
/// the span the previous node derived for itself (default when there is none to name).
/// </summary>
internal readonly struct DerivedCallIds
{
    public DerivedCallIds(ActivityTraceId traceId, ActivitySpanId spanId, ActivitySpanId parentSpanId)
    {
        TraceId = traceId;
        SpanId = spanId;
        ParentSpanId = parentSpanId;
    }

    public ActivityTraceId TraceId { get; }

    public ActivitySpanId SpanId { get; }

    /// <summary>The previous node's span; <see langword="default"/> for the node that originated the INVITE.</summary>
    public ActivitySpanId ParentSpanId { get; }

    public bool HasParent => ParentSpanId != default;
}

/// <summary>
/// Derives trace and span ids from SIP with a keyed pseudorandom function (SipHash-2-4-128, its key
/// condensed from the deployment key by HMAC-SHA256), so that every node
/// holding the key computes the same ids from the same message and the next hop can name the
/// previous hop's span with no shared state. Without the key the ids can be neither chosen nor
/// predicted from a Call-ID an outsider writes.
/// </summary>
/// <remarks>
/// <para>
/// The MAC input is a domain label (trace, hop span, origin span: one derivation can never produce
/// another's id) followed by length-prefixed fields, so no two different field lists give the same
/// input. The Call-ID is hashed byte for byte (RFC 3261 §20.8: case-sensitive); a Via branch is a
/// token, compared case-insensitively (RFC 3261 §7.3.1), so it is hashed in ASCII lower case.
/// </para>
/// <para>
/// Span ids per node, for the Via branches the node received (top first), <c>b0</c> the originator's:
/// the node that received <c>[bk, ..., b0]</c> is <c>Hop(bk)</c> with parent <c>Hop(bk-1)</c>; the first
/// node after the originator (<c>[b0]</c>) is <c>Hop(b0)</c> with parent <c>Origin(b0)</c>; the
/// originator, which received nothing, is <c>Origin(b0)</c> and has no derived parent.
/// </para>
/// </remarks>
internal sealed class DerivedIds : IDisposable
{
    /// <summary>The shortest deployment key accepted: 16 bytes (128 bits).</summary>
    public const int MinimumKeyLength = 16;

    /// <summary>The W3C trace-context level 2 <c>random</c> trace flag: derived trace ids are MAC output.</summary>
    public const ActivityTraceFlags RandomTraceFlag = (ActivityTraceFlags)2;

    // Inputs up to this size are assembled on the stack; a longer Call-ID or correlator rents a buffer.
    private const int StackInput = 256;

    private static ReadOnlySpan<byte> TraceLabel => "siptracecontext/v1/trace"u8;

    private static ReadOnlySpan<byte> HopLabel => "siptracecontext/v1/hop"u8;

    private static ReadOnlySpan<byte> OriginLabel => "siptracecontext/v1/origin"u8;

    private static ReadOnlySpan<byte> TeardownLabel => "siptracecontext/v1/teardown"u8;

    private static ReadOnlySpan<byte> TeardownOriginLabel => "siptracecontext/v1/teardown-origin"u8;

    private static ReadOnlySpan<byte> SipHashKeyLabel => "siptracecontext/v1/siphash-key"u8;

    // The SipHash key: the deployment key condensed by HMAC-SHA256 once, so every key byte counts.
    private readonly ulong _k0;
    private readonly ulong _k1;

    /// <summary>Creates the derivation under <paramref name="key"/>, at least <see cref="MinimumKeyLength"/> bytes.</summary>
    public DerivedIds(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinimumKeyLength)
        {
            throw new ArgumentException($"The deployment key needs at least {MinimumKeyLength} bytes.", nameof(key));
        }

        using var hmac = new HMACSHA256(key.ToArray());
        byte[] condensed = hmac.ComputeHash(SipHashKeyLabel.ToArray());
        _k0 = BinaryPrimitives.ReadUInt64LittleEndian(condensed);
        _k1 = BinaryPrimitives.ReadUInt64LittleEndian(condensed.AsSpan(8));
    }

    /// <summary>Nothing to release; kept so that owners can dispose the derivation as before.</summary>
    public void Dispose()
    {
    }

    /// <summary>
    /// The ids of the setup span of the node that received (<paramref name="direction"/> In) or sent
    /// (Out) an INVITE with <paramref name="vias"/>. <see langword="false"/> when the branch the node's
    /// own span is named by is missing (an RFC 2543 Via without one); the parent is left default when
    /// the branch below is missing.
    /// </summary>
    public bool TryDerive(SipDirection direction, in ViaBranches vias, ReadOnlySpan<byte> callId, CorrelatorKind correlatorKind, ReadOnlySpan<byte> correlator, out DerivedCallIds ids)
    {
        ids = default;
        if (callId.IsEmpty || vias.Count == 0 || !TryTraceId(correlatorKind, correlator, out ActivityTraceId traceId))
        {
            return false;
        }

        if (!TrySpanIds(direction, in vias, callId, out ActivitySpanId span, out ActivitySpanId parent))
        {
            return false;
        }

        ids = new DerivedCallIds(traceId, span, parent);
        return true;
    }

    /// <summary>
    /// The span id and derived parent (default when there is none) of the setup span of the node that
    /// received (<paramref name="direction"/> In) or sent (Out) an INVITE with <paramref name="vias"/>,
    /// as <see cref="TryDerive"/> gives them without the trace id.
    /// </summary>
    public bool TrySpanIds(SipDirection direction, in ViaBranches vias, ReadOnlySpan<byte> callId, out ActivitySpanId span, out ActivitySpanId parent)
    {
        parent = default;
        span = default;
        if (callId.IsEmpty || vias.Count == 0)
        {
            return false;
        }

        // What this node received: the whole stack for a received INVITE, the stack under its own Via
        // for one it sent.
        int skip = direction == SipDirection.Out ? 1 : 0;
        int received = vias.Count - skip;
        if (received == 0)
        {
            // The originator: its span is the one the first hop names as its parent.
            return TryOriginSpanId(callId, vias.Top, out span);
        }

        if (!TryHopSpanId(callId, vias[skip], out span))
        {
            return false;
        }

        if (received == 1)
        {
            _ = TryOriginSpanId(callId, vias[skip], out parent);
        }
        else
        {
            _ = TryHopSpanId(callId, vias[skip + 1], out parent);
        }

        return true;
    }

    /// <summary>
    /// The teardown span id of the node that received (<paramref name="direction"/> In) or sent (Out) a BYE
    /// with <paramref name="vias"/>: keyed by the branch it was reached by, or, for the node that hung up,
    /// by its own (under a label of its own, as the first hop is reached by that same branch).
    /// </summary>
    public bool TryTeardownSpanId(SipDirection direction, in ViaBranches vias, ReadOnlySpan<byte> callId, out ActivitySpanId span)
    {
        span = default;
        if (vias.Count == 0)
        {
            return false;
        }

        int skip = direction == SipDirection.Out ? 1 : 0;
        return vias.Count - skip == 0
            ? TrySpanId(TeardownOriginLabel, callId, vias.Top, out span)
            : TrySpanId(TeardownLabel, callId, vias[skip], out span);
    }

    /// <summary>The trace id of a call from its correlator; never all zeros.</summary>
    public bool TryTraceId(CorrelatorKind kind, ReadOnlySpan<byte> correlator, out ActivityTraceId traceId)
    {
        traceId = default;
        if (correlator.IsEmpty)
        {
            return false;
        }

        // Only the Call-ID is case-sensitive; a Session-ID UUID is hex and an icid a token.
        bool lower = kind != CorrelatorKind.CallId;
        Span<byte> kindByte = stackalloc byte[1];
        kindByte[0] = (byte)kind;
        Span<byte> mac = stackalloc byte[16];
        Mac(TraceLabel, kindByte, lowerFirst: false, correlator, lowerSecond: lower, mac);
        traceId = ActivityTraceId.CreateFromBytes(NonZero(mac, 16));
        return true;
    }

    /// <summary>The span id of the node that received an INVITE whose top Via has <paramref name="branch"/>.</summary>
    public bool TryHopSpanId(ReadOnlySpan<byte> callId, ReadOnlySpan<byte> branch, out ActivitySpanId spanId) =>
        TrySpanId(HopLabel, callId, branch, out spanId);

    /// <summary>The span id of the node that originated an INVITE with its own Via <paramref name="branch"/>.</summary>
    public bool TryOriginSpanId(ReadOnlySpan<byte> callId, ReadOnlySpan<byte> branch, out ActivitySpanId spanId) =>
        TrySpanId(OriginLabel, callId, branch, out spanId);

    private bool TrySpanId(ReadOnlySpan<byte> label, ReadOnlySpan<byte> callId, ReadOnlySpan<byte> branch, out ActivitySpanId spanId)
    {
        spanId = default;
        if (callId.IsEmpty || branch.IsEmpty)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[16];
        Mac(label, callId, lowerFirst: false, branch, lowerSecond: true, mac);
        spanId = ActivitySpanId.CreateFromBytes(NonZero(mac, 8));
        return true;
    }

    /// <summary>SipHash-2-4-128 over <c>label 0x00 len(first) first len(second) second</c>, lengths as 32-bit big-endian.</summary>
    private void Mac(ReadOnlySpan<byte> label, ReadOnlySpan<byte> first, bool lowerFirst, ReadOnlySpan<byte> second, bool lowerSecond, Span<byte> mac)
    {
        int length = label.Length + 1 + 4 + first.Length + 4 + second.Length;
        byte[]? rented = null;
        Span<byte> input = length <= StackInput
            ? stackalloc byte[StackInput]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            label.CopyTo(input);
            int at = label.Length;
            input[at++] = 0;
            at = Append(input, at, first, lowerFirst);
            at = Append(input, at, second, lowerSecond);
            SipHash.Hash128(_k0, _k1, input[..at], mac);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int Append(Span<byte> input, int at, ReadOnlySpan<byte> field, bool lower)
    {
        BinaryPrimitives.WriteInt32BigEndian(input[at..], field.Length);
        at += 4;
        Span<byte> destination = input.Slice(at, field.Length);
        field.CopyTo(destination);
        if (lower)
        {
            // ASCII only: a token has no other letters, and bytes past 0x7F are left as they are.
            for (int i = 0; i < destination.Length; i++)
            {
                byte b = destination[i];
                if (b is >= (byte)'A' and <= (byte)'Z')
                {
                    destination[i] = (byte)(b | 0x20);
                }
            }
        }

        return at + field.Length;
    }

    /// <summary>The first all-non-zero <paramref name="size"/>-byte window of the MAC (W3C: an all-zero id is invalid).</summary>
    private static ReadOnlySpan<byte> NonZero(Span<byte> mac, int size)
    {
        for (int at = 0; at + size <= mac.Length; at += size)
        {
            Span<byte> window = mac.Slice(at, size);
            if (window.IndexOfAnyExcept((byte)0) >= 0)
            {
                return window;
            }
        }

        // Every window zero: a 2^-128 event, still given a valid id.
        mac[size - 1] = 1;
        return mac[..size];
    }
}
