using System.Buffers.Binary;
using System.Runtime.CompilerServices;
#if NET
using System.Runtime.InteropServices;
#endif

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The header-name prefixes a propagator recognises before <c>traceparent</c> and <c>tracestate</c>,
/// in precedence order, prepared so that the scanner tells which one (if any) starts a line before a
/// hit with one 8-byte read and one compare per prefix.
/// </summary>
/// <remarks>
/// A prefix of up to 7 bytes plus the line feed before it fits the 8 bytes ending just before the
/// hit: each prefix keeps that window as it must read (its letters in lower case), a mask that sets
/// the lower-case bit of its letters, and a mask that drops the bytes before the line feed. Only the
/// upper- and lower-case forms of a letter match a lower-case letter once that bit is set, so the test
/// is exact. Longer prefixes (or a hit too close to the message's start) are compared byte by byte.
/// No two prefixes can both match one hit, as each puts the line feed at its own distance and prefixes
/// (SIP tokens) contain no line feed, so the order of the tests does not matter.
/// </remarks>
internal sealed class TraceHeaderPrefixes
{
    private const int WindowBytes = sizeof(ulong);
    private const byte LowerCaseBit = 0x20;

    private readonly PrefixWindow[] _windows;

    // The first prefix's window again, in a field: see MatchesPrimary.
    private readonly PrefixWindow _primary;

    /// <summary>Prepares <paramref name="lowerCasePrefixes"/> (ASCII, lower case, in precedence order).</summary>
    public TraceHeaderPrefixes(byte[][] lowerCasePrefixes)
    {
        Lower = lowerCasePrefixes;
        _windows = new PrefixWindow[lowerCasePrefixes.Length];
        for (int p = 0; p < lowerCasePrefixes.Length; p++)
        {
            byte[] prefix = lowerCasePrefixes[p];
            if (prefix.Length >= WindowBytes)
            {
                _windows[p] = new PrefixWindow(Fits: false, prefix.Length, 0, 0, 0);
                continue;
            }

            // Little-endian: the window's last byte (just before the hit) is its most significant.
            ulong expected = 0;
            ulong lowerCase = 0;
            ulong relevant = 0;
            int lineFeedAt = WindowBytes - 1 - prefix.Length;
            for (int i = lineFeedAt; i < WindowBytes; i++)
            {
                byte b = i == lineFeedAt ? (byte)'\n' : prefix[i - lineFeedAt - 1];
                int shift = i * 8;
                expected |= (ulong)b << shift;
                relevant |= 0xFFUL << shift;
                if (char.IsAsciiLetterLower((char)b))
                {
                    lowerCase |= (ulong)LowerCaseBit << shift;
                }
            }

            _windows[p] = new PrefixWindow(Fits: true, prefix.Length, expected, lowerCase, relevant);
        }

        _primary = _windows.Length > 0 ? _windows[0] : default;
    }

    /// <summary>The lower-case prefixes, in precedence order.</summary>
    public byte[][] Lower { get; }

    /// <summary>
    /// Which prefix, if any, starts a line and ends exactly at <paramref name="nameAt"/>.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="nameAt">The offset of the name after the prefix; at most the message's length.</param>
    /// <param name="length">The prefix's length, or 0.</param>
    /// <returns>The prefix's index, or -1.</returns>
    public int MatchBefore(ReadOnlySpan<byte> message, int nameAt, out int length) =>
        MatchesPrimary(message, nameAt, out length) ? 0 : MatchAny(message, nameAt, WindowBefore(message, nameAt), out length);

    /// <summary>
    /// Whether the primary prefix starts a line and ends exactly at <paramref name="nameAt"/>: the part of
    /// <see cref="MatchBefore"/> for the style a proxy reads most often, from fields and without a call.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="nameAt">The offset of the name after the prefix; at most the message's length.</param>
    /// <param name="length">The primary prefix's length, or 0.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MatchesPrimary(ReadOnlySpan<byte> message, int nameAt, out int length)
    {
        if (_primary.Fits && ((WindowBefore(message, nameAt) | _primary.LowerCase) & _primary.Relevant) == _primary.Expected)
        {
            length = _primary.Length;
            return true;
        }

        length = 0;
        return false;
    }

    /// <summary>The 8 bytes before <paramref name="nameAt"/>, or 0 when there are fewer (which no prefix window matches, as each has its line feed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong WindowBefore(ReadOnlySpan<byte> message, int nameAt) =>
        nameAt >= WindowBytes && nameAt <= message.Length
#if NET
            ? BinaryPrimitives.ReadUInt64LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref MemoryMarshal.GetReference(message), nameAt - WindowBytes), WindowBytes))
#else
            ? BinaryPrimitives.ReadUInt64LittleEndian(message.Slice(nameAt - WindowBytes, WindowBytes))
#endif
            : 0;

    /// <summary><see cref="MatchBefore"/> over every prefix, given the 8 bytes before the name (0 when there are fewer).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int MatchAny(ReadOnlySpan<byte> message, int nameAt, ulong window, out int length)
    {
        PrefixWindow[] windows = _windows;
        for (int p = 0; p < windows.Length; p++)
        {
            ref readonly PrefixWindow w = ref windows[p];
            bool matches = w.Fits && nameAt >= WindowBytes
                ? ((window | w.LowerCase) & w.Relevant) == w.Expected
                : MatchesSlowly(message, nameAt, Lower[p]);
            if (matches)
            {
                length = w.Length;
                return p;
            }
        }

        length = 0;
        return -1;
    }

    private static bool MatchesSlowly(ReadOnlySpan<byte> message, int nameAt, byte[] prefix)
    {
        int lineStart = nameAt - prefix.Length;
        if (lineStart < 1 || message[lineStart - 1] != (byte)'\n')
        {
            return false;
        }

        for (int i = 0; i < prefix.Length; i++)
        {
            byte expected = prefix[i];
            byte actual = message[lineStart + i];
            if (actual != expected && !(char.IsAsciiLetterLower((char)expected) && (actual | LowerCaseBit) == expected))
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct PrefixWindow(bool Fits, int Length, ulong Expected, ulong LowerCase, ulong Relevant);
}
