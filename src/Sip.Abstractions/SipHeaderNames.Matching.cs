using System.Text;

namespace SipTraceContext.Sip;

public static partial class SipHeaderNames
{
    /// <summary>
    /// Whether <paramref name="name"/> names the same header as <paramref name="wanted"/>: letter case
    /// is ignored (RFC 3261 §7.3.1) and a compact form matches its long form in either direction
    /// (<c>i</c> matches <c>Call-ID</c>, <c>CALL-ID</c> matches <c>i</c>).
    /// </summary>
    /// <param name="name">A header name as UTF-8, without colon or whitespace.</param>
    /// <param name="wanted">The header name looked for, long or compact form.</param>
    /// <returns><see langword="true"/> when both name the same header.</returns>
    public static bool Matches(ReadOnlySpan<byte> name, ReadOnlySpan<byte> wanted)
    {
        // Two names of equal length are the same header only if equal: two different compact letters
        // never name the same header, and two long names of one length differ in spelling.
        if (name.Length == wanted.Length)
        {
            return Ascii.EqualsIgnoreCase(name, wanted);
        }

        if (name.Length == 1)
        {
            return IsLongFormOf(wanted, name[0]);
        }

        return wanted.Length == 1 && IsLongFormOf(name, wanted[0]);
    }

    /// <summary>
    /// Whether <paramref name="name"/> names the same header as <paramref name="wanted"/>: letter case
    /// is ignored and a compact form matches its long form in either direction.
    /// </summary>
    /// <param name="name">A header name, without colon or whitespace.</param>
    /// <param name="wanted">The header name looked for, long or compact form.</param>
    /// <returns><see langword="true"/> when both name the same header.</returns>
    public static bool Matches(ReadOnlySpan<char> name, ReadOnlySpan<char> wanted)
    {
        if (name.Length == wanted.Length)
        {
            return Ascii.EqualsIgnoreCase(name, wanted);
        }

        if (name.Length == 1)
        {
            return IsLongFormOf(wanted, name[0]);
        }

        return wanted.Length == 1 && IsLongFormOf(name, wanted[0]);
    }

    /// <summary>
    /// Whether the header name <paramref name="name"/>, as UTF-8, names the same header as
    /// <paramref name="wanted"/>: letter case is ignored and compact forms match long forms.
    /// </summary>
    /// <param name="name">A header name as UTF-8, without colon or whitespace.</param>
    /// <param name="wanted">The header name looked for, long or compact form.</param>
    /// <returns><see langword="true"/> when both name the same header.</returns>
    public static bool Matches(ReadOnlySpan<byte> name, ReadOnlySpan<char> wanted)
    {
        if (name.Length == wanted.Length)
        {
            return Ascii.EqualsIgnoreCase(name, wanted);
        }

        if (name.Length == 1)
        {
            KnownSipHeader header = FromCompactForm(name[0]);
            return header != KnownSipHeader.Unknown && Ascii.EqualsIgnoreCase(wanted, GetNameUtf8(header));
        }

        return wanted.Length == 1 && IsLongFormOf(name, wanted[0]);
    }

    /// <summary>Whether <paramref name="name"/> is a valid header name: a non-empty RFC 3261 <c>token</c>.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> when the name can be written in a header line.</returns>
    public static bool IsValidName(ReadOnlySpan<byte> name) => Internal.SipGrammar.IsToken(name);

    /// <summary>Whether <paramref name="name"/> is a valid header name: a non-empty RFC 3261 <c>token</c>.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> when the name can be written in a header line.</returns>
    public static bool IsValidName(ReadOnlySpan<char> name) => Internal.SipGrammar.IsToken(name);

    private static bool IsLongFormOf(ReadOnlySpan<byte> longName, int compact)
    {
        KnownSipHeader header = FromCompactForm(compact);
        return header != KnownSipHeader.Unknown && Ascii.EqualsIgnoreCase(longName, GetNameUtf8(header));
    }

    private static bool IsLongFormOf(ReadOnlySpan<char> longName, int compact)
    {
        KnownSipHeader header = FromCompactForm(compact);
        return header != KnownSipHeader.Unknown && Ascii.EqualsIgnoreCase(longName, GetNameUtf8(header));
    }
}
