using System.Numerics;
using System.Runtime.CompilerServices;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// Lower-case hexadecimal encoding shared by the char and UTF-8 paths. W3C Trace Context allows
/// only lower-case hex digits, so upper-case letters decode as invalid.
/// </summary>
internal static class Hex
{
    /// <summary>Marks a character that is not a lower-case hex digit in <see cref="DecodeTable"/>.</summary>
    public const byte Invalid = 0xFF;

    /// <summary>Lower-case hex digits, indexed by nibble value.</summary>
    public static ReadOnlySpan<byte> LowerDigits => "0123456789abcdef"u8;

    // Index: a character code 0..255; value: its nibble, or Invalid. Upper-case A-F is Invalid on purpose.
    private static ReadOnlySpan<byte> DecodeTable =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x00
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x10
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x20
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x30 '0'-'9'
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x40
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x50
        0xFF, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x60 'a'-'f'
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // 0x70
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];

    /// <summary>Decodes one lower-case hex digit; returns <see cref="Invalid"/> for anything else.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DecodeNibble<TChar>(TChar c)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        uint code = uint.CreateTruncating(c);
        // Chars above 0xFF (UTF-16 only) can never be hex digits; the bound check also lets the JIT
        // drop the table's own range check.
        return code < 256 ? DecodeTable[(int)code] : Invalid;
    }

    /// <summary>
    /// Decodes exactly <c>2 * sizeof(ulong)</c> lower-case hex digits, big-endian, into <paramref name="value"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryDecodeUInt64<TChar>(ReadOnlySpan<TChar> digits, out ulong value)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        const int DigitCount = 16;
        value = 0;
        if (digits.Length < DigitCount)
        {
            return false;
        }

        ulong result = 0;
        int invalid = 0;
        for (int i = 0; i < DigitCount; i++)
        {
            int nibble = DecodeNibble(digits[i]);
            // Accumulate instead of branching per digit: the common case is valid input.
            invalid |= nibble;
            result = (result << 4) | (uint)(nibble & 0xF);
        }

        value = result;
        return (invalid & 0xF0) == 0;
    }

    /// <summary>Decodes two lower-case hex digits into one byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryDecodeByte<TChar>(ReadOnlySpan<TChar> digits, out byte value)
        where TChar : unmanaged, IBinaryInteger<TChar>
    {
        int high = DecodeNibble(digits[0]);
        int low = DecodeNibble(digits[1]);
        value = (byte)((high << 4) | (low & 0xF));
        return ((high | low) & 0xF0) == 0;
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
