using System.Runtime.CompilerServices;
using System.Text;
using static SipTraceContext.Sip.Internal.SipGrammar;

namespace SipTraceContext.Sip.Internal;

/// <summary>
/// A header name prepared once for matching against many header lines: the name as given and its
/// other form (the compact letter of a long name, or the long name of a compact letter), so each line
/// costs one or two case-insensitive compares and no table lookup.
/// </summary>
internal readonly ref struct HeaderNameMatcher
{
    private readonly ReadOnlySpan<byte> _name;
    private readonly ReadOnlySpan<byte> _alternate;

    public HeaderNameMatcher(ReadOnlySpan<byte> name)
    {
        _name = name;
        _alternate = GetAlternateForm(name);
    }

    public ReadOnlySpan<byte> Name => _name;

    public ReadOnlySpan<byte> Alternate => _alternate;

    /// <summary>Whether <paramref name="name"/> (a header name already trimmed) is the wanted header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(ReadOnlySpan<byte> name) =>
        (name.Length == _name.Length && Ascii.EqualsIgnoreCase(name, _name))
        || (name.Length == _alternate.Length && _alternate.Length != 0 && Ascii.EqualsIgnoreCase(name, _alternate));

    /// <summary>
    /// Whether the header line starting at <paramref name="line"/> names the wanted header, checked
    /// on the line's first bytes without finding the colon first: the name, then SP, HTAB or ":".
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MatchesLine(ReadOnlySpan<byte> line) =>
        StartsLine(line, _name) || (_alternate.Length != 0 && StartsLine(line, _alternate));

    /// <summary>Whether the validated header line <paramref name="line"/> starts with the name <paramref name="name"/> (any case) followed by SP, HTAB or ":".</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StartsLine(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name)
    {
        // Compare the first byte before anything else: on a typical message most lines differ there.
        if (name.IsEmpty || line.Length <= name.Length || (line[0] | 0x20) != (name[0] | 0x20))
        {
            return false;
        }

        byte after = line[name.Length];
        return after is Colon or SP or HTAB && Ascii.EqualsIgnoreCase(line[..name.Length], name);
    }

    /// <summary>The compact letter of a long name with one, the long name of a compact letter, else empty.</summary>
    public static ReadOnlySpan<byte> GetAlternateForm(ReadOnlySpan<byte> name)
    {
        // Most names looked up on the hot path (the trace headers) have no compact form; their length
        // alone says so, without the known-header lookup.
        if ((uint)name.Length >= 32 || (SipHeaderNames.CompactCapableLengths & (1u << name.Length)) == 0)
        {
            return default;
        }

        KnownSipHeader header = SipHeaderNames.GetKnownHeader(name);
        if (header == KnownSipHeader.Unknown)
        {
            return default;
        }

        if (name.Length == 1)
        {
            return SipHeaderNames.GetNameUtf8(header);
        }

        byte compact = SipHeaderNames.GetCompactForm(header);
        return compact == 0 ? default : CompactLetters.Slice(compact - 'a', 1);
    }

    private static ReadOnlySpan<byte> CompactLetters => "abcdefghijklmnopqrstuvwxyz"u8;
}
