using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
#if NET
using System.Numerics;
#endif
using System.Runtime.CompilerServices;
#if NET
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
#endif
using SipTraceContext.Propagation.Internal;

namespace SipTraceContext.Propagation;

/// <summary>
/// A parsed W3C Trace Context <c>traceparent</c> value: version, 16-byte trace id, 8-byte parent id
/// and trace flags. Parsing and formatting allocate nothing.
/// </summary>
/// <remarks>
/// <para>
/// Parsing follows W3C Trace Context Level 1 and Level 2: version <c>00</c> must be exactly 55
/// characters; version <c>ff</c> is invalid; a higher version is parsed by the forward-compatibility
/// rule (the first 55 characters as version 00, then either the end or a <c>-</c>); only lower-case
/// hex is accepted; an all-zero trace id or parent id is invalid.
/// </para>
/// <para>
/// <see cref="Flags"/> keeps every bit that was read. Formatting always writes version <c>00</c>
/// (the only layout this library knows how to write) and the flag bits that version defines
/// (<see cref="SampledFlag"/> and <see cref="RandomFlag"/>); other bits are reserved and written as zero.
/// </para>
/// </remarks>
#if NET
public readonly struct TraceParent : IEquatable<TraceParent>, ISpanFormattable, IUtf8SpanFormattable
#else
public readonly struct TraceParent : IEquatable<TraceParent>, IFormattable
#endif
{
    /// <summary>The length in characters of a version-00 traceparent: <c>00-{32 hex}-{16 hex}-{2 hex}</c>.</summary>
    public const int Length = 55; // "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".Length

    /// <summary>The <c>sampled</c> trace flag (W3C Trace Context Level 1).</summary>
    public const byte SampledFlag = 0x01;

    /// <summary>The <c>random</c> trace flag: the trace id's right-most 7 bytes are random (W3C Trace Context Level 2).</summary>
    public const byte RandomFlag = 0x02;

    /// <summary>The flag bits defined by version 00; other bits are reserved and are never written.</summary>
    public const byte KnownFlagsMask = SampledFlag | RandomFlag;

    // Offsets inside "vv-tttttttttttttttttttttttttttttttt-pppppppppppppppp-ff".
    private const int VersionOffset = 0;
    private const int TraceIdOffset = 3;   // "00-".Length
    private const int ParentIdOffset = 36; // "00-0af7651916cd43dd8448eb211c80319c-".Length
    private const int FlagsOffset = 53;    // "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-".Length

    /// <summary>The version that W3C reserves as invalid.</summary>
    private const byte ForbiddenVersion = 0xFF;

    private readonly ulong _traceIdHigh;
    private readonly ulong _traceIdLow;
    private readonly ulong _parentId;
    private readonly byte _version;
    private readonly byte _flags;

    private TraceParent(byte version, ulong traceIdHigh, ulong traceIdLow, ulong parentId, byte flags)
    {
        _version = version;
        _traceIdHigh = traceIdHigh;
        _traceIdLow = traceIdLow;
        _parentId = parentId;
        _flags = flags;
    }

    /// <summary>Creates a version-00 traceparent from raw ids and flags.</summary>
    /// <param name="traceId">The 16-byte trace id, big-endian as on the wire.</param>
    /// <param name="parentId">The 8-byte parent (span) id, big-endian as on the wire.</param>
    /// <param name="flags">The trace flags; all bits are kept.</param>
    /// <exception cref="ArgumentException">An id has the wrong length or is all zeros.</exception>
    public TraceParent(ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> parentId, byte flags)
    {
        if (traceId.Length != 16)
        {
            throw new ArgumentException("A trace id is 16 bytes.", nameof(traceId));
        }

        if (parentId.Length != 8)
        {
            throw new ArgumentException("A parent id is 8 bytes.", nameof(parentId));
        }

        _version = 0;
        _traceIdHigh = BinaryPrimitives.ReadUInt64BigEndian(traceId);
        _traceIdLow = BinaryPrimitives.ReadUInt64BigEndian(traceId[8..]);
        _parentId = BinaryPrimitives.ReadUInt64BigEndian(parentId);
        _flags = flags;

        if ((_traceIdHigh | _traceIdLow) == 0)
        {
            throw new ArgumentException("An all-zero trace id is invalid.", nameof(traceId));
        }

        if (_parentId == 0)
        {
            throw new ArgumentException("An all-zero parent id is invalid.", nameof(parentId));
        }
    }

    /// <summary>The version that was parsed (0 for values created in code).</summary>
    public byte Version => _version;

    /// <summary>The trace flags exactly as parsed or given, reserved bits included.</summary>
    public byte Flags => _flags;

    /// <summary>Whether the <c>sampled</c> flag is set.</summary>
    public bool IsSampled => (_flags & SampledFlag) != 0;

    /// <summary>Whether the Level 2 <c>random</c> flag is set.</summary>
    public bool IsRandom => (_flags & RandomFlag) != 0;

    /// <summary>
    /// Whether this value holds a trace (the default value does not: its ids are zero, which W3C forbids).
    /// </summary>
    public bool IsValid => (_traceIdHigh | _traceIdLow) != 0 && _parentId != 0;

    /// <summary>The trace flags as the BCL type; the <c>random</c> bit is kept in the numeric value.</summary>
    public ActivityTraceFlags ActivityTraceFlags => (ActivityTraceFlags)(_flags & KnownFlagsMask);

    /// <summary>Writes the 16-byte trace id, big-endian, to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 16 bytes.</param>
    /// <exception cref="ArgumentException">The destination is shorter than 16 bytes.</exception>
    public void CopyTraceIdTo(Span<byte> destination)
    {
        if (destination.Length < 16)
        {
            throw new ArgumentException("The destination must hold 16 bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _traceIdHigh);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _traceIdLow);
    }

    /// <summary>Writes the 8-byte parent id, big-endian, to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 8 bytes.</param>
    /// <exception cref="ArgumentException">The destination is shorter than 8 bytes.</exception>
    public void CopyParentIdTo(Span<byte> destination)
    {
        if (destination.Length < 8)
        {
            throw new ArgumentException("The destination must hold 8 bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _parentId);
    }

    /// <summary>
    /// Converts to an <see cref="ActivityContext"/>. The BCL's id types keep hex strings: the first
    /// conversion of an id on a thread costs those two strings; converting the same ids again on that
    /// thread (the next message of the same call) reuses them and allocates nothing.
    /// </summary>
    /// <param name="traceState">The tracestate to attach, already validated.</param>
    /// <param name="isRemote">Whether the context came from another process (true for extracted headers).</param>
    /// <returns>The context, or <c>default</c> when this value is not <see cref="IsValid"/>.</returns>
    public ActivityContext ToActivityContext(string? traceState = null, bool isRemote = true)
    {
        if (!IsValid)
        {
            return default;
        }

        GetActivityIds(out ActivityTraceId traceId, out ActivitySpanId spanId);
        return new ActivityContext(traceId, spanId, ActivityTraceFlags, traceState, isRemote);
    }

    /// <summary>The BCL ids of a valid traceparent.</summary>
    internal void GetActivityIds(out ActivityTraceId traceId, out ActivitySpanId spanId) =>
        // The BCL ids are strings: the per-thread cache hands back the ones already made for the
        // contexts a proxy extracts again and again (every message of a call carries the same one).
        ActivityIdCache.Ids(_traceIdHigh, _traceIdLow, _parentId, out traceId, out spanId);

    /// <summary>Creates a traceparent from an <see cref="ActivityContext"/> without allocating.</summary>
    /// <param name="context">The context; an invalid one gives <c>default</c>.</param>
    /// <returns>The traceparent, or <c>default</c> (not <see cref="IsValid"/>) for an invalid context.</returns>
    public static TraceParent FromActivityContext(in ActivityContext context)
    {
        if (context.TraceId == default || context.SpanId == default)
        {
            return default;
        }

        // The BCL ids keep their lower-case hex strings; decoding those is cheaper than their CopyTo,
        // which re-parses the same string more slowly, and allocates nothing either way. The strings
        // are always valid, so the validation result is not needed.
        _ = TryDecodeIds<char>(context.TraceId.ToHexString(), context.SpanId.ToHexString(), Hex.IsVectorized, out ulong high, out ulong low, out ulong parent);
        return new TraceParent(0, high, low, parent, (byte)context.TraceFlags);
    }

    /// <summary>
    /// Whether <paramref name="context"/>'s ids can go in a traceparent: neither is all zeros. Checked on
    /// the hex strings, because the BCL's <c>CreateFromBytes</c> makes an all-zero id that is not
    /// <c>default</c>, and <c>default</c>'s string is all zeros too.
    /// </summary>
    internal static bool HasValidIds(in ActivityContext context)
    {
        ReadOnlySpan<char> traceId = context.TraceId.ToHexString();
        ReadOnlySpan<char> spanId = context.SpanId.ToHexString();
#if NET
        if (!Vector256.IsHardwareAccelerated || traceId.Length != 32 || spanId.Length != 16)
#endif
        {
            return traceId.ContainsAnyExcept('0') && spanId.ContainsAnyExcept('0');
        }
#if NET

        // Three inlined compares on an inject's hot path rather than two calls.
        Vector256<ushort> zeros = Vector256.Create((ushort)'0');
        ref ushort trace = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(traceId));
        ref ushort span = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(spanId));
        return !(Vector256.EqualsAll(Vector256.LoadUnsafe(ref trace), zeros) && Vector256.EqualsAll(Vector256.LoadUnsafe(ref trace, 16), zeros))
            && !Vector256.EqualsAll(Vector256.LoadUnsafe(ref span), zeros);
#endif
    }

    /// <summary>
    /// Writes the version-00 traceparent of <paramref name="context"/> as UTF-8, straight from the hex
    /// strings its BCL ids keep (lower-case and validated when the ids were made). The same bytes as
    /// formatting <see cref="FromActivityContext"/>'s result, without decoding the ids and encoding
    /// them again.
    /// </summary>
    /// <param name="context">A context with <see cref="HasValidIds"/>.</param>
    /// <param name="utf8Destination">At least <see cref="Length"/> bytes.</param>
    internal static void FormatActivityContext(in ActivityContext context, Span<byte> utf8Destination)
    {
        Span<byte> destination = utf8Destination[..Length];
        destination[0] = (byte)'0';
        destination[1] = (byte)'0';
        destination[TraceIdOffset - 1] = (byte)'-';
        destination[ParentIdOffset - 1] = (byte)'-';
        destination[FlagsOffset - 1] = (byte)'-';
        string traceId = context.TraceId.ToHexString();
        string spanId = context.SpanId.ToHexString();
#if NET
        if (Vector256.IsHardwareAccelerated && traceId.Length == 32 && spanId.Length == 16)
        {
            // Each id narrowed in one step, inlined: this runs for every injected message.
            ref ushort trace = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(traceId.AsSpan()));
            ref ushort span = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(spanId.AsSpan()));
            ref byte to = ref MemoryMarshal.GetReference(destination);
            Vector256.Narrow(Vector256.LoadUnsafe(ref trace), Vector256.LoadUnsafe(ref trace, 16)).StoreUnsafe(ref to, TraceIdOffset);
            Vector128.Narrow(Vector128.LoadUnsafe(ref span), Vector128.LoadUnsafe(ref span, 8)).StoreUnsafe(ref to, ParentIdOffset);
        }
        else
#endif
        {
            ShortCopy.Narrow(traceId, destination.Slice(TraceIdOffset, 32));
            ShortCopy.Narrow(spanId, destination.Slice(ParentIdOffset, 16));
        }

        Hex.EncodeByte((byte)((byte)context.TraceFlags & KnownFlagsMask), destination.Slice(FlagsOffset, 2));
    }

    /// <summary>Parses a traceparent from characters.</summary>
    /// <param name="value">The header value, without surrounding whitespace.</param>
    /// <param name="result">The parsed value, or <c>default</c> on failure.</param>
    /// <returns>Whether <paramref name="value"/> is a valid traceparent.</returns>
    public static bool TryParse(ReadOnlySpan<char> value, out TraceParent result) => TryParseCore(value, out result);

    /// <summary>Parses a traceparent from UTF-8 bytes.</summary>
    /// <param name="utf8Value">The header value, without surrounding whitespace.</param>
    /// <param name="result">The parsed value, or <c>default</c> on failure.</param>
    /// <returns>Whether <paramref name="utf8Value"/> is a valid traceparent.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Value, out TraceParent result) => TryParseCore(utf8Value, out result);

    /// <summary>Parses a traceparent from a string; <c>null</c> is invalid.</summary>
    /// <param name="value">The header value.</param>
    /// <param name="result">The parsed value, or <c>default</c> on failure.</param>
    /// <returns>Whether <paramref name="value"/> is a valid traceparent.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out TraceParent result)
    {
        if (value is null)
        {
            result = default;
            return false;
        }

        return TryParseCore(value.AsSpan(), out result);
    }

    /// <summary>Parses a traceparent from characters.</summary>
    /// <param name="value">The header value.</param>
    /// <returns>The parsed value.</returns>
    /// <exception cref="FormatException">The value is not a valid traceparent.</exception>
    public static TraceParent Parse(ReadOnlySpan<char> value) =>
        TryParseCore(value, out TraceParent result) ? result : throw InvalidTraceParent();

    /// <summary>Parses a traceparent from a string.</summary>
    /// <param name="value">The header value.</param>
    /// <returns>The parsed value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <c>null</c>.</exception>
    /// <exception cref="FormatException">The value is not a valid traceparent.</exception>
    public static TraceParent Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Parse(value.AsSpan());
    }

    /// <summary>Parses a traceparent from UTF-8 bytes.</summary>
    /// <param name="utf8Value">The header value as UTF-8 bytes.</param>
    /// <returns>The parsed value.</returns>
    /// <exception cref="FormatException">The value is not a valid traceparent.</exception>
    public static TraceParent Parse(ReadOnlySpan<byte> utf8Value) =>
        TryParse(utf8Value, out TraceParent result) ? result : throw InvalidTraceParent();

    private static FormatException InvalidTraceParent() => new("The value is not a valid W3C traceparent.");

    // W3C Trace Context:
    //   traceparent  = version "-" version-format
    //   version      = 2HEXDIGLC        ; "ff" is forbidden
    //   version-format (00) = trace-id "-" parent-id "-" trace-flags
    //   trace-id     = 32HEXDIGLC       ; not all zeros
    //   parent-id    = 16HEXDIGLC       ; not all zeros
    //   trace-flags  = 2HEXDIGLC
    //   HEXDIGLC     = DIGIT / "a" / "b" / "c" / "d" / "e" / "f"
    // Forward compatibility: for a version above 00, the value may be longer than 55 characters,
    // in which case the 56th character must be "-"; the first 55 are read as version 00.
    private static bool TryParseCore<TChar>(ReadOnlySpan<TChar> value, out TraceParent result)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
        => TryParseCore(value, Hex.IsVectorized, out result);

    /// <summary>
    /// The parser, with the id decoding strategy chosen by <paramref name="vectorized"/>: always
    /// <see cref="Hex.IsVectorized"/> in production (a perfectly predicted branch); tests pass both
    /// values so the scalar path is covered on SIMD hardware too.
    /// </summary>
    /// <remarks>
    /// <see cref="MethodImplOptions.NoInlining"/> on purpose: inlined into a caller (which the JIT did
    /// even without <see cref="MethodImplOptions.AggressiveInlining"/>), this method and its SIMD
    /// helpers exhausted that caller's inlining budget, so the helpers (even span constructors) became
    /// calls. As its own root, everything below it is inlined; the price is one call.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool TryParseCore<TChar>(ReadOnlySpan<TChar> value, bool vectorized, out TraceParent result)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        result = default;
        if (value.Length < Length)
        {
            return false;
        }

        ReadOnlySpan<TChar> fixedPart = value[..Length];
        TChar dash = Hex.CodeUnit<TChar>('-');
        // The three separators and the 2+2 version and flag digits are checked one by one: too few
        // to be worth a vector. A bad digit makes DecodeByte negative.
        int version = Hex.DecodeByte(fixedPart[0], fixedPart[1]);
        int flags = Hex.DecodeByte(fixedPart[FlagsOffset], fixedPart[FlagsOffset + 1]);
#if NET
        if ((version | flags) < 0 || version == ForbiddenVersion
            || fixedPart[TraceIdOffset - 1] != dash || fixedPart[ParentIdOffset - 1] != dash || fixedPart[FlagsOffset - 1] != dash)
#else
        if ((version | flags) < 0 || version == ForbiddenVersion
            || !fixedPart[TraceIdOffset - 1].Equals(dash) || !fixedPart[ParentIdOffset - 1].Equals(dash) || !fixedPart[FlagsOffset - 1].Equals(dash))
#endif
        {
            return false;
        }

#if NET
        if (value.Length != Length && (version == 0 || value[Length] != dash))
#else
        if (value.Length != Length && (version == 0 || !value[Length].Equals(dash)))
#endif
        {
            return false;
        }

        if (!TryDecodeIds(fixedPart.Slice(TraceIdOffset, 32), fixedPart.Slice(ParentIdOffset, 16), vectorized, out ulong high, out ulong low, out ulong parent))
        {
            return false;
        }

        if ((high | low) == 0 || parent == 0)
        {
            return false;
        }

        result = new TraceParent((byte)version, high, low, parent, (byte)flags);
        return true;
    }

    /// <summary>Decodes and validates the 32 trace-id digits and the 16 parent-id digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryDecodeIds<TChar>(ReadOnlySpan<TChar> traceIdHex, ReadOnlySpan<TChar> parentIdHex, bool vectorized, out ulong high, out ulong low, out ulong parent)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
#if NET
        if (!vectorized)
#else
        _ = vectorized; // netstandard2.0: scalar only
#endif
        {
            // Assignments first: a short-circuited out argument would otherwise be unassigned.
            high = low = parent = 0;
            return Hex.TryDecodeUInt64Scalar(traceIdHex, out high)
                && Hex.TryDecodeUInt64Scalar(traceIdHex[16..], out low)
                && Hex.TryDecodeUInt64Scalar(parentIdHex, out parent);
        }

#if NET
        // The 48 id digits are three runs of exactly 16 characters with no separator inside, so each is
        // one 16-byte load (two narrowed 8-char loads for UTF-16): validate and convert all of them with
        // a handful of SIMD instructions, then pack digit pairs into bytes.
        Vector128<ushort> nonAscii = Vector128<ushort>.Zero;
        Vector128<byte> valid = Vector128<byte>.AllBitsSet;
        Vector128<byte> trace0 = Hex.ToNibbles(Hex.Load16(traceIdHex, ref nonAscii), ref valid);
        Vector128<byte> trace1 = Hex.ToNibbles(Hex.Load16(traceIdHex[16..], ref nonAscii), ref valid);
        Vector128<byte> parentNibbles = Hex.ToNibbles(Hex.Load16(parentIdHex, ref nonAscii), ref valid);

        // The packed bytes are in wire (big-endian) order; the fields hold the numeric values.
        Vector128<ulong> traceId = Hex.PackNibbles(trace0, trace1).AsUInt64();
        high = BinaryPrimitives.ReverseEndianness(traceId.ToScalar());
        low = BinaryPrimitives.ReverseEndianness(traceId.GetElement(1));
        parent = BinaryPrimitives.ReverseEndianness(Hex.PackNibbles(parentNibbles, parentNibbles).AsUInt64().ToScalar());
        return valid == Vector128<byte>.AllBitsSet && (typeof(TChar) == typeof(byte) || Hex.AllFitInByte(nonAscii));
#endif
    }

    /// <summary>Writes the version-00 form (55 characters).</summary>
    /// <param name="destination">The buffer to write to.</param>
    /// <param name="charsWritten">55 on success, otherwise 0.</param>
    /// <returns><c>false</c> only when <paramref name="destination"/> is shorter than <see cref="Length"/> or this value is not <see cref="IsValid"/>.</returns>
    public bool TryFormat(Span<char> destination, out int charsWritten) => TryFormatCore(destination, out charsWritten);

    /// <summary>Writes the version-00 form (55 UTF-8 bytes).</summary>
    /// <param name="utf8Destination">The buffer to write to.</param>
    /// <param name="bytesWritten">55 on success, otherwise 0.</param>
    /// <returns><c>false</c> only when <paramref name="utf8Destination"/> is shorter than <see cref="Length"/> or this value is not <see cref="IsValid"/>.</returns>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten) => TryFormatCore(utf8Destination, out bytesWritten);

#if NET
    /// <inheritdoc/>
    bool ISpanFormattable.TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormatCore(destination, out charsWritten);

    /// <inheritdoc/>
    bool IUtf8SpanFormattable.TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormatCore(utf8Destination, out bytesWritten);
#endif

    private bool TryFormatCore<TChar>(Span<TChar> destination, out int written)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
        => TryFormatCore(destination, Hex.IsVectorized, out written);

    /// <summary>
    /// The formatter, with the strategy chosen like <see cref="TryParseCore{TChar}(ReadOnlySpan{TChar}, bool, out TraceParent)"/>
    /// (and, like it, <see cref="MethodImplOptions.NoInlining"/> so that it is its own inlining root and its helpers are all inlined).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool TryFormatCore<TChar>(Span<TChar> destination, bool vectorized, out int written)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        if (destination.Length < Length || !IsValid)
        {
            written = 0;
            return false;
        }

        destination = destination[..Length];
        TChar zero = Hex.CodeUnit<TChar>('0');
        TChar dash = Hex.CodeUnit<TChar>('-');
#if NET
        if (vectorized)
        {
            // The ids in wire (big-endian) byte order, each byte widened to a 16-bit lane and split into
            // its two nibbles: 16 + 8 bytes become 32 + 16 digits in three 16-digit stores.
            Vector128<byte> traceId = Vector128.Create(BinaryPrimitives.ReverseEndianness(_traceIdHigh), BinaryPrimitives.ReverseEndianness(_traceIdLow)).AsByte();
            (Vector128<ushort> traceFirst, Vector128<ushort> traceSecond) = Vector128.Widen(traceId);
            Vector128<ushort> parentId = Vector128.WidenLower(Vector128.CreateScalar(BinaryPrimitives.ReverseEndianness(_parentId)).AsByte());
            Hex.Store16(Hex.ToHexDigits(traceFirst), destination.Slice(TraceIdOffset, 16));
            Hex.Store16(Hex.ToHexDigits(traceSecond), destination.Slice(TraceIdOffset + 16, 16));
            Hex.Store16(Hex.ToHexDigits(parentId), destination.Slice(ParentIdOffset, 16));
        }
        else
#else
        _ = vectorized; // netstandard2.0: scalar only
#endif
        {
            Hex.EncodeUInt64Scalar(_traceIdHigh, destination.Slice(TraceIdOffset, 16));
            Hex.EncodeUInt64Scalar(_traceIdLow, destination.Slice(TraceIdOffset + 16, 16));
            Hex.EncodeUInt64Scalar(_parentId, destination.Slice(ParentIdOffset, 16));
        }

        destination[0] = zero;
        destination[1] = zero;
        destination[TraceIdOffset - 1] = dash;
        destination[ParentIdOffset - 1] = dash;
        destination[FlagsOffset - 1] = dash;
        Hex.EncodeByte((byte)(_flags & KnownFlagsMask), destination.Slice(FlagsOffset, 2));
        written = Length;
        return true;
    }

    /// <summary>The version-00 form, or an empty string for an invalid value.</summary>
    /// <returns>The formatted traceparent.</returns>
    public override string ToString() => IsValid ? string.Create(Length, this, static (span, self) => self.TryFormatCore(span, out _)) : string.Empty;

    /// <inheritdoc/>
    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Compares version, ids and every flag bit.</summary>
    /// <param name="other">The value to compare with.</param>
    /// <returns>Whether both values are the same.</returns>
    public bool Equals(TraceParent other) =>
        _traceIdHigh == other._traceIdHigh && _traceIdLow == other._traceIdLow && _parentId == other._parentId
        && _flags == other._flags && _version == other._version;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TraceParent other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_traceIdHigh, _traceIdLow, _parentId, _flags, _version);

    /// <summary>Whether two values are equal.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(TraceParent left, TraceParent right) => left.Equals(right);

    /// <summary>Whether two values differ.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(TraceParent left, TraceParent right) => !left.Equals(right);
}
