using System.Text;

namespace SipTraceContext.Sip;

// The class documentation, the constants and the tables are generated: Generated/SipHeaderNames.g.cs.
public static partial class SipHeaderNames
{
    /// <summary>
    /// Finds the known header that <paramref name="name"/> names, in any letter case, long or compact form.
    /// </summary>
    /// <param name="name">A header field name as UTF-8 bytes, without the colon or surrounding whitespace.</param>
    /// <returns>The header, or <see cref="KnownSipHeader.Unknown"/>.</returns>
    public static KnownSipHeader GetKnownHeader(ReadOnlySpan<byte> name)
    {
        KnownSipHeader candidate = GetCandidate(name);
        return candidate == KnownSipHeader.Unknown || name.Length == 1 || Ascii.EqualsIgnoreCase(name, GetNameUtf8(candidate))
            ? candidate
            : KnownSipHeader.Unknown;
    }

    /// <summary>
    /// Finds the known header that <paramref name="name"/> names, in any letter case, long or compact form.
    /// </summary>
    /// <param name="name">A header field name, without the colon or surrounding whitespace.</param>
    /// <returns>The header, or <see cref="KnownSipHeader.Unknown"/>.</returns>
    public static KnownSipHeader GetKnownHeader(ReadOnlySpan<char> name)
    {
        KnownSipHeader candidate = GetCandidate(name);
        return candidate == KnownSipHeader.Unknown || name.Length == 1 || Ascii.EqualsIgnoreCase(name, GetNameUtf8(candidate))
            ? candidate
            : KnownSipHeader.Unknown;
    }

    /// <summary>
    /// Whether <paramref name="name"/> names the same header as <paramref name="wanted"/>: letter case
    /// is ignored (RFC 3261 §7.3.1) and a compact form matches its long form in either direction
    /// (<c>i</c> matches <c>Call-ID</c>, <c>CALL-ID</c> matches <c>i</c>).
    /// </summary>
    /// <param name="name">A header name as UTF-8, without colon or whitespace.</param>
    /// <param name="wanted">The header name looked for, long or compact form.</param>
    /// <returns><see langword="true"/> when both name the same header.</returns>
    public static bool Matches(ReadOnlySpan<byte> name, ReadOnlySpan<byte> wanted) =>
        name.Length == wanted.Length
            ? Ascii.EqualsIgnoreCase(name, wanted)
            : IsCompactPair(name.Length, wanted.Length) && SameKnownHeader(GetKnownHeader(name), GetKnownHeader(wanted));

    /// <summary>
    /// Whether <paramref name="name"/> names the same header as <paramref name="wanted"/>: letter case
    /// is ignored and a compact form matches its long form in either direction.
    /// </summary>
    /// <param name="name">A header name, without colon or whitespace.</param>
    /// <param name="wanted">The header name looked for, long or compact form.</param>
    /// <returns><see langword="true"/> when both name the same header.</returns>
    public static bool Matches(ReadOnlySpan<char> name, ReadOnlySpan<char> wanted) =>
        name.Length == wanted.Length
            ? Ascii.EqualsIgnoreCase(name, wanted)
            : IsCompactPair(name.Length, wanted.Length) && SameKnownHeader(GetKnownHeader(name), GetKnownHeader(wanted));

    /// <summary>
    /// Whether the header name <paramref name="name"/>, as UTF-8, names the same header as
    /// <paramref name="wanted"/>: letter case is ignored and compact forms match long forms.
    /// </summary>
    /// <param name="name">A header name as UTF-8, without colon or whitespace.</param>
    /// <param name="wanted">The header name looked for, long or compact form.</param>
    /// <returns><see langword="true"/> when both name the same header.</returns>
    public static bool Matches(ReadOnlySpan<byte> name, ReadOnlySpan<char> wanted) =>
        name.Length == wanted.Length
            ? Ascii.EqualsIgnoreCase(name, wanted)
            : IsCompactPair(name.Length, wanted.Length) && SameKnownHeader(GetKnownHeader(name), GetKnownHeader(wanted));

    /// <summary>Whether <paramref name="name"/> is a valid header name: a non-empty RFC 3261 <c>token</c>.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> when the name can be written in a header line.</returns>
    public static bool IsValidName(ReadOnlySpan<byte> name) => Internal.SipGrammar.IsToken(name);

    /// <summary>Whether <paramref name="name"/> is a valid header name: a non-empty RFC 3261 <c>token</c>.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> when the name can be written in a header line.</returns>
    public static bool IsValidName(ReadOnlySpan<char> name) => Internal.SipGrammar.IsToken(name);

    // Two names of equal length are the same header only if equal (two different compact letters never
    // name one header, and two long names of one length differ in spelling); names of different lengths
    // can be the same header only when one is a compact letter and the other its long form, which the
    // generated lookup decides for both.
    private static bool IsCompactPair(int nameLength, int wantedLength) => nameLength == 1 || wantedLength == 1;

    private static bool SameKnownHeader(KnownSipHeader name, KnownSipHeader wanted) =>
        name != KnownSipHeader.Unknown && name == wanted;
}
