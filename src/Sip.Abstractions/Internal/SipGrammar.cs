using System.Buffers;
using System.Runtime.CompilerServices;

namespace SipTraceContext.Sip.Internal;

/// <summary>
/// The byte classes of the RFC 3261 §25.1 grammar that the reader and the editor share, so that what
/// the editor writes is exactly what the reader accepts.
/// </summary>
internal static class SipGrammar
{
    public const byte CR = (byte)'\r';
    public const byte LF = (byte)'\n';
    public const byte SP = (byte)' ';
    public const byte HTAB = (byte)'\t';
    public const byte Colon = (byte)':';

    /// <summary>The bytes a header line never starts a value run with or ends it with: WSP and the line break.</summary>
    public static ReadOnlySpan<byte> LinearWhitespace => " \t\r\n"u8;

    /// <summary>SP and HTAB.</summary>
    public static ReadOnlySpan<byte> Whitespace => " \t"u8;

    // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
    private const string TokenCharacters =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~";

    /// <summary>The characters of a <c>token</c> (header names, methods), as bytes.</summary>
    public static readonly SearchValues<byte> TokenBytes = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~"u8);

    /// <summary>The characters of a <c>token</c> (header names, methods), as chars.</summary>
    public static readonly SearchValues<char> TokenChars = SearchValues.Create(TokenCharacters);

    // CTL = %x00-1F / %x7F. A header line may hold HTAB (it is WSP) and ends with CRLF; no other
    // control byte appears anywhere in the RFC 3261 header grammar (TEXT-UTF8char = %x21-7E /
    // UTF8-NONASCII, plus LWS). Finding the first byte of this set finds both the end of the line
    // (CR or LF) and any byte that makes it malformed, in one vectorized scan.
    private static ReadOnlySpan<byte> ControlBytesExceptTab =>
    [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* 0x09 HTAB allowed */ 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F,
    ];

    /// <summary>Every control byte except HTAB: line breaks and the bytes a header line must not contain.</summary>
    public static readonly SearchValues<byte> ControlExceptTabBytes = SearchValues.Create(ControlBytesExceptTab);

    /// <summary>
    /// Every control byte except HTAB, CR and LF: bytes that may appear nowhere in a start line or
    /// header section, line breaks included.
    /// </summary>
    public static readonly SearchValues<byte> ControlExceptLineBreakAndTabBytes = SearchValues.Create(
    [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0E, 0x0F,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F,
    ]);

    /// <summary>Every control character except HTAB, as chars.</summary>
    public static readonly SearchValues<char> ControlExceptTabChars = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    /// <summary>Whether <paramref name="name"/> is a non-empty <c>token</c>: a valid header name.</summary>
    public static bool IsToken(ReadOnlySpan<byte> name) => !name.IsEmpty && !name.ContainsAnyExcept(TokenBytes);

    /// <summary>Whether <paramref name="name"/> is a non-empty <c>token</c>: a valid header name.</summary>
    public static bool IsToken(ReadOnlySpan<char> name) => !name.IsEmpty && !name.ContainsAnyExcept(TokenChars);

    /// <summary>Whether <paramref name="value"/> can be written as a header value without changing the message's framing.</summary>
    public static bool IsValidValue(ReadOnlySpan<byte> value) => !value.ContainsAny(ControlExceptTabBytes);

    /// <summary>Whether <paramref name="value"/> can be written as a header value without changing the message's framing.</summary>
    public static bool IsValidValue(ReadOnlySpan<char> value) => !value.ContainsAny(ControlExceptTabChars);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsWhitespace(byte b) => b is SP or HTAB;

    // Header names and values are short and rarely padded by more than a space, so a byte loop
    // beats MemoryExtensions.Trim(span, set), which searches the set once per byte it looks at.

    /// <summary>Removes SP and HTAB from the start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> TrimWhitespaceStart(ReadOnlySpan<byte> span)
    {
        int start = 0;
        while (start < span.Length && span[start] is SP or HTAB)
        {
            start++;
        }

        return span[start..];
    }

    /// <summary>Removes SP, HTAB, CR and LF (whitespace and folds) from the start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> TrimLinearWhitespaceStart(ReadOnlySpan<byte> span)
    {
        int start = 0;
        while (start < span.Length && span[start] is SP or HTAB or CR or LF)
        {
            start++;
        }

        return span[start..];
    }

    /// <summary>Removes SP and HTAB from the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> TrimWhitespaceEnd(ReadOnlySpan<byte> span)
    {
        int end = span.Length;
        while (end > 0 && span[end - 1] is SP or HTAB)
        {
            end--;
        }

        return span[..end];
    }

    /// <summary>Removes SP, HTAB, CR and LF (whitespace and folds) from both ends.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> TrimLinearWhitespace(ReadOnlySpan<byte> span)
    {
        int start = 0;
        while (start < span.Length && span[start] is SP or HTAB or CR or LF)
        {
            start++;
        }

        int end = span.Length;
        while (end > start && span[end - 1] is SP or HTAB or CR or LF)
        {
            end--;
        }

        return span[start..end];
    }
}
