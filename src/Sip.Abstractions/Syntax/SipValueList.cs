namespace SipTraceContext.Sip.Syntax;

/// <summary>
/// Enumerates the comma-separated elements of a header value (RFC 3261 §7.3.1), skipping commas
/// inside quoted strings and <c>&lt;...&gt;</c>; each element trimmed of whitespace. Use it for
/// headers whose value is a list: <c>P-Asserted-Identity</c>, <c>P-Access-Network-Info</c>, ...
/// </summary>
internal ref struct SipValueList
{
    private ReadOnlySpan<byte> _rest;
    private int _count;

    /// <summary>
    /// The most elements enumerated: 64. An identity header carries one to three entries, an access
    /// network info header one or two; a list longer than this is cut off rather than walked.
    /// </summary>
    public const int MaxElements = 64;

    /// <summary>Starts enumerating <paramref name="value"/>.</summary>
    /// <param name="value">A header value.</param>
    public SipValueList(ReadOnlySpan<byte> value)
    {
        _rest = value;
        _count = 0;
        Current = default;
    }

    /// <summary>The current element, trimmed; may be empty for <c>a,,b</c>.</summary>
    public ReadOnlySpan<byte> Current { get; private set; }

    /// <summary>Returns this enumerator, for <c>foreach</c>.</summary>
    /// <returns>This enumerator.</returns>
    public readonly SipValueList GetEnumerator() => this;

    /// <summary>Moves to the next element.</summary>
    /// <returns>Whether there is one.</returns>
    public bool MoveNext()
    {
        if (_rest.IsEmpty || _count >= MaxElements)
        {
            Current = default;
            return false;
        }

        _count++;
        Current = SipValueScanner.NextElement(ref _rest, SipValueScanner.Comma);
        return true;
    }
}
