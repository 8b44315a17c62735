#if NET
using System.Numerics;
#endif
using System.Runtime.CompilerServices;
#if NET
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
#endif

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// Lower-case hexadecimal decoding and encoding shared by the char and UTF-8 paths. W3C Trace Context
/// allows only lower-case hex digits, so every decoder here rejects upper case.
/// </summary>
/// <remarks>
/// <para>
/// There are two implementations of each operation: a <c>Vector128</c> one that handles
/// 16 digits per instruction (used when <see cref="IsVectorized"/>), and a scalar one for platforms
/// without SIMD (and for netstandard2.0). Both use only the cross-platform <c>Vector128</c> API, so the same code runs
/// on x64 (SSE2 and up) and Arm64 (AdvSimd).
/// </para>
/// <para>
/// Why not <c>Convert.FromHexString</c>: on net8.0 its only span-input overload returns a new
/// <c>byte[]</c> (span-to-span arrived in .NET 9, UTF-8 input in .NET 10), and it accepts upper
/// case, which W3C forbids, so a separate lower-case pass would still be needed. The code below
/// validates and converts in one pass, including rejecting UTF-16 characters above 0xFF.
/// </para>
/// </remarks>
internal static class Hex
{
#if NET
    /// <summary>
    /// Whether the <see cref="Vector128{T}"/> paths should be used. Both conditions are JIT-time
    /// constants, so the branch that is not taken is removed. The vector code reinterprets byte pairs
    /// as 16-bit lanes and so assumes little-endian lane order.
    /// </summary>
    public static bool IsVectorized
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian;
    }

    // ---------------------------------------------------------------------------------------------
    // Vector path
    // ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Loads 16 characters as 16 bytes. For UTF-16 the two halves are narrowed (truncating) and their
    /// raw 16-bit values are OR-ed into <paramref name="nonAscii"/>, so the caller can reject any
    /// character above 0xFF once, for all loads, instead of once per load.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load16<TChar>(ReadOnlySpan<TChar> source, ref Vector128<ushort> nonAscii)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        if (typeof(TChar) == typeof(byte))
        {
            return Vector128.Create(MemoryMarshal.Cast<TChar, byte>(source));
        }

        ReadOnlySpan<ushort> chars = MemoryMarshal.Cast<TChar, ushort>(source);
        Vector128<ushort> first = Vector128.Create(chars);
        Vector128<ushort> second = Vector128.Create(chars[8..]);
        nonAscii |= first | second;
        return Vector128.Narrow(first, second);
    }

    /// <summary>Whether every character OR-ed into <paramref name="nonAscii"/> by <see cref="Load16"/> fits in a byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFitInByte(Vector128<ushort> nonAscii) =>
        (nonAscii & Vector128.Create((ushort)0xFF00)) == Vector128<ushort>.Zero;

    /// <summary>
    /// Turns 16 ASCII lower-case hex digits into their 16 values (0-15), one per byte. Lanes that are
    /// not <c>0-9</c> or <c>a-f</c> are cleared in <paramref name="valid"/>; their value is garbage.
    /// </summary>
    /// <remarks>
    /// Two unsigned range checks: <c>c - '0' &lt; 10</c> and <c>c - 'a' &lt; 6</c> (wrap-around makes
    /// anything below the range huge). Upper case fails both, as W3C requires.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> ToNibbles(Vector128<byte> digits, ref Vector128<byte> valid)
    {
        Vector128<byte> fromDigit = digits - Vector128.Create((byte)'0');
        Vector128<byte> fromLetter = digits - Vector128.Create((byte)('a' - 10));
        Vector128<byte> isDigit = Vector128.LessThan(fromDigit, Vector128.Create((byte)10));
        // fromLetter is 10-15 for a-f; anything else is outside [10, 16).
        Vector128<byte> isLetter = Vector128.LessThan(fromLetter - Vector128.Create((byte)10), Vector128.Create((byte)6));
        valid &= isDigit | isLetter;
        return Vector128.ConditionalSelect(isDigit, fromDigit, fromLetter);
    }

    /// <summary>
    /// Packs 32 nibbles (two vectors of 16, most significant first) into 16 bytes in the same order:
    /// byte <c>i</c> is <c>nibble[2i] &lt;&lt; 4 | nibble[2i + 1]</c>.
    /// </summary>
    /// <remarks>
    /// Read as little-endian 16-bit lanes, a nibble pair is <c>hi | lo &lt;&lt; 8</c>; <c>lane &lt;&lt; 4 | lane &gt;&gt; 8</c>
    /// has the wanted byte in its low half, and a truncating narrow keeps exactly that half.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> PackNibbles(Vector128<byte> first, Vector128<byte> second)
    {
        Vector128<ushort> a = first.AsUInt16();
        Vector128<ushort> b = second.AsUInt16();
        return Vector128.Narrow((a << 4) | (a >> 8), (b << 4) | (b >> 8));
    }

    /// <summary>
    /// Turns 8 bytes, each widened to a 16-bit lane, into their 16 lower-case hex digits, most
    /// significant nibble first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> ToHexDigits(Vector128<ushort> widenedBytes)
    {
        // Each 16-bit lane holds one byte b; put b >> 4 in the low (first in memory) byte and b & 0xF
        // in the high byte, so memory order is high nibble then low nibble.
        Vector128<byte> nibbles = ((widenedBytes >> 4) | ((widenedBytes & Vector128.Create((ushort)0xF)) << 8)).AsByte();
        // '0' + n for 0-9, 'a' + (n - 10) for 10-15: the second case adds 'a' - '0' - 10 = 39 more.
        Vector128<byte> letterAdjust = Vector128.GreaterThan(nibbles, Vector128.Create((byte)9)) & Vector128.Create((byte)('a' - '0' - 10));
        return nibbles + Vector128.Create((byte)'0') + letterAdjust;
    }

    /// <summary>Stores 16 ASCII bytes as 16 characters (widened for UTF-16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16<TChar>(Vector128<byte> ascii, Span<TChar> destination)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        if (typeof(TChar) == typeof(byte))
        {
            ascii.CopyTo(MemoryMarshal.Cast<TChar, byte>(destination));
            return;
        }

        Span<ushort> chars = MemoryMarshal.Cast<TChar, ushort>(destination);
        (Vector128<ushort> lower, Vector128<ushort> upper) = Vector128.Widen(ascii);
        lower.CopyTo(chars);
        upper.CopyTo(chars[8..]);
    }

#else
    /// <summary>netstandard2.0: the scalar paths only.</summary>
    public static bool IsVectorized => false;

#endif
    /// <summary>The code unit (byte or char) of an ASCII character.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TChar CodeUnit<TChar>(int c)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
        => TChar.CreateTruncating(c);
#else
        where TChar : unmanaged
    {
        if (typeof(TChar) == typeof(byte))
        {
            byte b = (byte)c;
            return Unsafe.As<byte, TChar>(ref b);
        }

        char u = (char)c;
        return Unsafe.As<char, TChar>(ref u);
    }
#endif

    // ---------------------------------------------------------------------------------------------
    // Scalar path (no SIMD) and the few single digits the vector path leaves over
    // ---------------------------------------------------------------------------------------------

    /// <summary>The value of a lower-case hex digit, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DecodeNibble<TChar>(TChar c)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        uint u = uint.CreateTruncating(c);
        uint digit = u - '0';
        uint letter = u - 'a';
        return digit < 10 ? (int)digit : letter < 6 ? (int)letter + 10 : -1;
    }

    /// <summary>Decodes two lower-case hex digits; negative if either is not one.</summary>
    /// <remarks>A -1 nibble makes the result negative whichever position it is in (sign bits are kept by the shift and the OR).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DecodeByte<TChar>(TChar high, TChar low)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
        => (DecodeNibble(high) << 4) | DecodeNibble(low);

    /// <summary>Decodes 16 lower-case hex digits, big-endian; <c>false</c> if any is not one.</summary>
    public static bool TryDecodeUInt64Scalar<TChar>(ReadOnlySpan<TChar> digits, out ulong value)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        ulong result = 0;
        int invalid = 0;
        foreach (TChar digit in digits[..16])
        {
            int nibble = DecodeNibble(digit);
            invalid |= nibble; // stays non-negative only while every nibble is valid
            result = (result << 4) | (uint)(nibble & 0xF);
        }

        value = result;
        return invalid >= 0;
    }

    /// <summary>Lower-case hex digits, indexed by nibble value.</summary>
    private static ReadOnlySpan<byte> LowerDigits => "0123456789abcdef"u8;

    /// <summary>Writes <paramref name="value"/> as 16 lower-case hex digits, big-endian.</summary>
    public static void EncodeUInt64Scalar<TChar>(ulong value, Span<TChar> destination)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        ReadOnlySpan<byte> digits = LowerDigits;
        _ = destination[15];
        for (int i = 15; i >= 0; i--)
        {
            destination[i] = CodeUnit<TChar>(digits[(int)(value & 0xF)]);
            value >>= 4;
        }
    }

    /// <summary>Writes <paramref name="value"/> as two lower-case hex digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EncodeByte<TChar>(byte value, Span<TChar> destination)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        ReadOnlySpan<byte> digits = LowerDigits;
        destination[1] = CodeUnit<TChar>(digits[value & 0xF]);
        destination[0] = CodeUnit<TChar>(digits[value >> 4]);
    }
}
