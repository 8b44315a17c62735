using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
#if NET
using System.Runtime.Intrinsics;
#endif
using System.Text;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The trace header values one thread handled last, so that the same header seen again (every message
/// of a call carries the same traceparent and tracestate) is answered with what was made for it the
/// first time.
/// </summary>
/// <remarks>
/// <para>
/// <b>Traceparent values</b> are kept by their exact 55 bytes with what they decode to and their BCL
/// ids. A hit costs two 32-byte compares instead of decoding and finding the ids by their numbers (two
/// lookups in <see cref="ActivityIdCache"/>). Only valid values are kept, and decoding depends on
/// nothing but the bytes, so a hit is exactly what decoding would give.
/// </para>
/// <para>
/// The traceparent table is per thread, so that an entry (several fields) is never read half-written
/// by another thread, with no locks on the hot path: about 4 KB a thread, made on its first use. A
/// thread-static read is a call into the runtime, so an extraction reads it once and passes it on.
/// </para>
/// <para>
/// <b>Tracestate strings</b>: only lists that were already normalised when they arrived are kept. For
/// such a list, with a budget at least its length, normalising gives the list itself, so a byte-for-byte
/// match with a kept string is the exact answer the full path would give; and a kept string being
/// injected again can be written as it is. This table is one for the process: an entry is a single
/// reference to an immutable string, which every thread reads and writes whole, so it needs no
/// thread-static read (inject's only one) and a string extracted on one thread is known on another.
/// </para>
/// </remarks>
internal sealed class RecentHeaderValues
{
    private const int TraceParentEntries = 32;
    private const int TraceStateEntries = 16;

    // A traceparent's first 32 bytes and its last 32 (they overlap by 9).
    private const int TailOffset = TraceParent.Length - 32;

    [ThreadStatic]
    private static RecentHeaderValues? t_current;

    private static readonly string?[] s_traceStates = new string?[TraceStateEntries];

    private readonly TraceParentEntry[] _traceParents = new TraceParentEntry[TraceParentEntries];

    private RecentHeaderValues()
    {
    }

    /// <summary>This thread's values, or <c>null</c> if it has kept none yet: for lookups, which need not make them.</summary>
    public static RecentHeaderValues? OfThisThreadIfAny => t_current;

    /// <summary>This thread's values, made on first use: for keeping a value.</summary>
    public static RecentHeaderValues OfThisThread => t_current ??= new RecentHeaderValues();

    /// <summary>The traceparent and BCL ids of <paramref name="value"/>, if kept.</summary>
    /// <param name="value">A header value; only one of exactly <see cref="TraceParent.Length"/> bytes can be kept.</param>
    /// <param name="traceParent">The decoded value.</param>
    /// <param name="traceId">Its trace id.</param>
    /// <param name="spanId">Its parent id.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetTraceParent(ReadOnlySpan<byte> value, out TraceParent traceParent, out ActivityTraceId traceId, out ActivitySpanId spanId)
    {
        if (value.Length == TraceParent.Length)
        {
            ref byte at = ref MemoryMarshal.GetReference(value);
            ref TraceParentEntry entry = ref _traceParents[TraceParentSlot(ref at)];
#if NET
            if (Vector256.LoadUnsafe(ref at) == entry.Head
                && Vector256.LoadUnsafe(ref at, TailOffset) == entry.Tail
                && entry.TraceParent.IsValid)
#else
            if (Bytes32.Load(ref at, 0) == entry.Head
                && Bytes32.Load(ref at, TailOffset) == entry.Tail
                && entry.TraceParent.IsValid)
#endif
            {
                traceParent = entry.TraceParent;
                traceId = entry.TraceId;
                spanId = entry.SpanId;
                return true;
            }
        }

        traceParent = default;
        traceId = default;
        spanId = default;
        return false;
    }

    /// <summary>Keeps what <paramref name="value"/> decoded to, replacing the entry in its slot.</summary>
    /// <param name="value">The header value that decoded to <paramref name="traceParent"/>; kept only if it is <see cref="TraceParent.Length"/> bytes.</param>
    /// <param name="traceParent">What it decoded to; kept only if valid.</param>
    /// <param name="traceId">Its trace id.</param>
    /// <param name="spanId">Its parent id.</param>
    public void AddTraceParent(ReadOnlySpan<byte> value, in TraceParent traceParent, ActivityTraceId traceId, ActivitySpanId spanId)
    {
        if (value.Length != TraceParent.Length || !traceParent.IsValid)
        {
            return;
        }

        ref byte at = ref MemoryMarshal.GetReference(value);
#if NET
        _traceParents[TraceParentSlot(ref at)] = new TraceParentEntry(Vector256.LoadUnsafe(ref at), Vector256.LoadUnsafe(ref at, TailOffset), traceParent, traceId, spanId);
#else
        _traceParents[TraceParentSlot(ref at)] = new TraceParentEntry(Bytes32.Load(ref at, 0), Bytes32.Load(ref at, TailOffset), traceParent, traceId, spanId);
#endif
    }

    /// <summary>The kept tracestate string equal to <paramref name="utf8Value"/>, if it fits <paramref name="maxLength"/>.</summary>
    public static bool TryGetTraceState(ReadOnlySpan<byte> utf8Value, int maxLength, [NotNullWhen(true)] out string? value)
    {
        string? candidate = s_traceStates[TraceStateSlot(utf8Value)];
        if (candidate is not null && candidate.Length == utf8Value.Length && candidate.Length <= maxLength && EqualsKept(utf8Value, candidate))
        {
            value = candidate;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>
    /// Whether <paramref name="utf8"/> holds the characters of <paramref name="kept"/>, a kept (printable
    /// ASCII) string of the same length, one byte each. From 8 to 32 of them, the length of most
    /// tracestate lists, the bytes are widened and compared in two overlapping vector compares, inlined;
    /// otherwise the BCL compares them (a call). A byte above 0x7F cannot match, as no kept character is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool EqualsKept(ReadOnlySpan<byte> utf8, string kept)
    {
#if NET
        int length = utf8.Length;
        ref byte bytes = ref MemoryMarshal.GetReference(utf8);
        ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(kept.AsSpan()));
        if (length >= 16 && length <= 32 && Vector256.IsHardwareAccelerated)
        {
            nuint tail = (nuint)(length - 16);
            return Vector256.WidenLower(Vector128.LoadUnsafe(ref bytes).ToVector256Unsafe()) == Vector256.LoadUnsafe(ref chars)
                && Vector256.WidenLower(Vector128.LoadUnsafe(ref bytes, tail).ToVector256Unsafe()) == Vector256.LoadUnsafe(ref chars, tail);
        }

        if (length >= 8 && length < 16 && Vector128.IsHardwareAccelerated)
        {
            int tail = length - 8;
            return Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref bytes)).AsByte()) == Vector128.LoadUnsafe(ref chars)
                && Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, tail))).AsByte()) == Vector128.LoadUnsafe(ref chars, (nuint)tail);
        }

#endif
        return Ascii.Equals(utf8, kept);
    }

    /// <summary>Whether this very string instance was kept: then it is a normalised list, valid as it is.</summary>
    public static bool IsKnownNormalised(string value) => ReferenceEquals(s_traceStates[TraceStateSlot(value)], value);

    /// <summary>Keeps a tracestate list that was already normalised when it arrived.</summary>
    public static void AddTraceState(string normalised) => s_traceStates[TraceStateSlot(normalised)] = normalised;

    // The parent id's last two hex digits: random (W3C asks for it), so entries spread evenly.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TraceParentSlot(ref byte value) =>
        ((Unsafe.Add(ref value, 50) * 31) + Unsafe.Add(ref value, 51)) & (TraceParentEntries - 1);

    // Length and two bytes far apart: lists of one vendor differ in their values, and a collision
    // only costs a comparison and a replaced entry.
    private static int TraceStateSlot(ReadOnlySpan<byte> value) =>
        value.IsEmpty ? 0 : (value.Length + (value[value.Length / 2] * 7) + (value[^1] * 13)) & (TraceStateEntries - 1);

    private static int TraceStateSlot(string value) =>
        value.Length == 0 ? 0 : (value.Length + (value[value.Length / 2] * 7) + (value[^1] * 13)) & (TraceStateEntries - 1);

#if NET
    private readonly record struct TraceParentEntry(Vector256<byte> Head, Vector256<byte> Tail, TraceParent TraceParent, ActivityTraceId TraceId, ActivitySpanId SpanId);
#else
    private readonly record struct TraceParentEntry(Bytes32 Head, Bytes32 Tail, TraceParent TraceParent, ActivityTraceId TraceId, ActivitySpanId SpanId);

    /// <summary>netstandard2.0: 32 bytes as four words, for the same exact comparison.</summary>
    private readonly record struct Bytes32(ulong A, ulong B, ulong C, ulong D)
    {
        public static Bytes32 Load(ref byte at, int offset) => new(
            Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset)),
            Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset + 8)),
            Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset + 16)),
            Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset + 24)));
    }
#endif
}
