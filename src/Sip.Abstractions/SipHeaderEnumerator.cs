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
    private readonly HeaderOffsets _offsets;
    private readonly int _indexedCount;
    private readonly uint _foldedMask;
    private int _index;
    private int _position;
    private SipHeaderField _current;

    internal SipHeaderEnumerator(ReadOnlySpan<byte> message, scoped in SipMessageLayout layout, ReadOnlySpan<byte> name, bool filtered)
    {
        _message = message;
        _end = layout.HeadersEnd;
        _offsets = layout.Offsets;
        _indexedCount = layout.IndexedCount;
        _foldedMask = layout.FoldedMask;
        _filtered = filtered;
        _filter = filtered ? new HeaderNameMatcher(name) : default;
        _index = 0;
        _position = _offsets[_indexedCount];
        _current = default;
    }

    /// <summary>The field at the current position.</summary>
    public readonly SipHeaderField Current => _current;

    /// <summary>Returns this enumerator, so that <c>foreach</c> works on it.</summary>
    /// <returns>This enumerator.</returns>
    public readonly SipHeaderEnumerator GetEnumerator() => this;

    /// <summary>
    /// Advances to the next field without working out its name and value: for the editor, which
    /// only needs where each line is and compares names on the line itself.
    /// </summary>
    internal bool MoveNextLine(out int start, out int end)
    {
        if (_index < _indexedCount)
        {
            int i = _index++;
            start = _offsets[i];
            end = _offsets[i + 1];
            return true;
        }

        ReadOnlySpan<byte> message = _message;
        int position = _position;
        if (position < _end)
        {
            start = position;
            position = start + message[start.._end].IndexOf(LF) + 1;
            while (position < _end && IsWhitespace(message[position]))
            {
                position += message[position.._end].IndexOf(LF) + 1;
            }

            _position = end = position;
            return true;
        }

        start = end = 0;
        return false;
    }

    /// <summary>Advances to the next field (the next instance of the header, when filtered).</summary>
    /// <returns><see langword="false"/> after the last field.</returns>
    public bool MoveNext()
    {
        // The parser validated the section and recorded where the first fields start, so these
        // jump from field to field: no line end is searched for and no byte is checked twice.
        ReadOnlySpan<byte> message = _message;
#if NET
        ReadOnlySpan<int> offsets = _offsets;
#else
        ref readonly HeaderOffsets offsets = ref _offsets;
#endif
        int index = _index;
        while (index < _indexedCount)
        {
            int i = index++;
            int start = offsets[i];
            ReadOnlySpan<byte> field = message[start..offsets[i + 1]];
            if (_filtered && !_filter.MatchesLine(field))
            {
                continue;
            }

            _index = index;
            _current = CreateField(field, start, (_foldedMask & (1u << i)) != 0);
            return true;
        }

        _index = index;

        // Past the recorded fields (a message with very many headers): walk the validated lines,
        // every one of which ends with LF.
        int end = _end;
        int position = _position;
        while (position < end)
        {
            int start = position;
            position = start + message[start..end].IndexOf(LF) + 1;
            bool folded = false;
            while (position < end && IsWhitespace(message[position]))
            {
                position += message[position..end].IndexOf(LF) + 1;
                folded = true;
            }

            ReadOnlySpan<byte> field = message[start..position];
            if (_filtered && !_filter.MatchesLine(field))
            {
                continue;
            }

            _current = CreateField(field, start, folded);
            _position = position;
            return true;
        }

        _position = position;
        _current = default;
        return false;
    }

    internal static SipHeaderField CreateField(ReadOnlySpan<byte> field, int offset, bool hasContinuation)
    {
        int colon = field.IndexOf(Colon);
        ReadOnlySpan<byte> name = TrimWhitespaceEnd(field[..colon]);
        ReadOnlySpan<byte> value = TrimLinearWhitespace(field[(colon + 1)..]);

        // Whitespace and folds before or after the value do not make it folded; only a break inside it.
        bool folded = hasContinuation && value.IndexOfAny(CR, LF) >= 0;
        return new SipHeaderField(name, value, offset, field.Length, folded);
    }
}
