using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// Lower-case hexadecimal encoding shared by the char and UTF-8 paths. W3C Trace Context allows
/// only lower-case hex digits; callers validate with <see cref="LowerHexOrDashChars"/> or
/// <see cref="LowerHexOrDashBytes"/> before decoding.
/// </summary>
internal static class Hex
{
    /// <summary>Lower-case hex digits, indexed by nibble value.</summary>
    public static ReadOnlySpan<byte> LowerDigits => "0123456789abcdef"u8;

    /// <summary>Lower-case hex digits and the dash: every character a version-00 traceparent may hold.</summary>
    public static readonly SearchValues<char> LowerHexOrDashChars = SearchValues.Create("0123456789abcdef-");

    /// <summary>The UTF-8 counterpart of <see cref="LowerHexOrDashChars"/>.</summary>
    public static readonly SearchValues<byte> LowerHexOrDashBytes = SearchValues.Create("0123456789abcdef-"u8);

    /// <summary>
    /// Decodes 16 characters that the caller has already checked are lower-case hex digits, big-endian.
    /// </summary>
    /// <remarks>
    /// Validation is done once for the whole value with a vectorised <see cref="SearchValues{T}"/>
    /// scan, which is much cheaper than checking every digit against a table. For a digit known to be
    /// <c>0-9</c> (0x30-0x39) or <c>a-f</c> (0x61-0x66), <c>(c &amp; 0xF) + 9 * (c &gt;&gt; 6)</c> is its value.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong DecodeValidatedUInt64<TChar>(ReadOnlySpan<TChar> digits)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        const int DigitCount = 16;
        digits = digits[..DigitCount];
        ulong result = 0;
        for (int i = 0; i < DigitCount; i++)
        {
            uint c = uint.CreateTruncating(digits[i]);
            result = (result << 4) | ((c & 0xF) + (9 * (c >> 6)));
        }

        return result;
    }

    /// <summary>Decodes the first <paramref name="count"/> (at most 16) already-validated hex digits, big-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong DecodeValidatedUInt64Prefix<TChar>(ReadOnlySpan<TChar> digits, int count)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        ulong result = 0;
        foreach (TChar digit in digits[..count])
        {
            uint c = uint.CreateTruncating(digit);
            result = (result << 4) | ((c & 0xF) + (9 * (c >> 6)));
        }

        return result;
    }

    /// <summary>Writes <paramref name="value"/> as 16 lower-case hex digits, big-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EncodeUInt64<TChar>(ulong value, Span<TChar> destination)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        ReadOnlySpan<byte> digits = LowerDigits;
        _ = destination[15];
        for (int i = 15; i >= 0; i--)
        {
            destination[i] = TChar.CreateTruncating(digits[(int)(value & 0xF)]);
            value >>= 4;
        }
    }

    /// <summary>Writes <paramref name="value"/> as two lower-case hex digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EncodeByte<TChar>(byte value, Span<TChar> destination)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        ReadOnlySpan<byte> digits = LowerDigits;
        destination[0] = TChar.CreateTruncating(digits[value >> 4]);
        destination[1] = TChar.CreateTruncating(digits[value & 0xF]);
    }
}
