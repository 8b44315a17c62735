using SipTraceContext.Sip.Internal;
using static SipTraceContext.Sip.Internal.SipGrammar;

namespace SipTraceContext.Sip;

/// <summary>
/// Enumerates the header fields of a message read by <see cref="SipMessageReader"/> in message order,
/// either all of them or only the instances of one header (case-insensitive, compact forms included).
/// Allocates nothing; use it with <c>foreach</c>.
/// </summary>
public ref struct SipHeaderEnumerator
{
    private readonly ReadOnlySpan<byte> _message;
    private readonly HeaderNameMatcher _filter;
    private readonly bool _filtered;
    private readonly int _end;
    private int _position;
    private SipHeaderField _current;

    internal SipHeaderEnumerator(ReadOnlySpan<byte> message, int start, int end)
    {
        _message = message;
        _position = start;
        _end = end;
        _filter = default;
        _filtered = false;
        _current = default;
    }

    internal SipHeaderEnumerator(ReadOnlySpan<byte> message, int start, int end, ReadOnlySpan<byte> name)
    {
        _message = message;
        _position = start;
        _end = end;
        _filter = new HeaderNameMatcher(name);
        _filtered = true;
        _current = default;
    }

    /// <summary>The field at the current position.</summary>
    public readonly SipHeaderField Current => _current;

    /// <summary>Returns this enumerator, so that <c>foreach</c> works on it.</summary>
    /// <returns>This enumerator.</returns>
    public readonly SipHeaderEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next field (the next instance of the header, when filtered).</summary>
    /// <returns><see langword="false"/> after the last field.</returns>
    public bool MoveNext()
    {
        // The section between _position and _end was validated by the parser: every line ends with
        // LF, every field line has a colon after a token name. No checks are repeated here.
        ReadOnlySpan<byte> message = _message;
        int end = _end;
        int position = _position;
        while (position < end)
        {
            int start = position;
            ReadOnlySpan<byte> rest = message[start..end];
            position = start + rest.IndexOf(LF) + 1;
            bool folded = false;
            while (position < end && IsWhitespace(message[position]))
            {
                position += message[position..end].IndexOf(LF) + 1;
                folded = true;
            }

            if (_filtered && !_filter.MatchesLine(rest))
            {
                continue;
            }

            ReadOnlySpan<byte> field = message[start..position];
            int colon = field.IndexOf(Colon);
            ReadOnlySpan<byte> name = field[..colon].TrimEnd(Whitespace);
            ReadOnlySpan<byte> value = field[(colon + 1)..].Trim(LinearWhitespace);

            // Whitespace and folds before or after the value do not make it folded; only a break inside it.
            if (folded)
            {
                folded = value.IndexOfAny(CR, LF) >= 0;
            }

            _current = new SipHeaderField(name, value, start, position - start, folded);
            _position = position;
            return true;
        }

        _position = position;
        _current = default;
        return false;
    }
}
