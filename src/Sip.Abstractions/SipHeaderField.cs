using static SipTraceContext.Sip.Internal.SipGrammar;

namespace SipTraceContext.Sip;

/// <summary>
/// One header field of a SIP message read by <see cref="SipMessageReader"/>: its name and value as
/// spans over the message, and where its line or lines lie in the message so that a proxy can splice.
/// </summary>
public readonly ref struct SipHeaderField
{
    internal SipHeaderField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int offset, int length, bool isFolded)
    {
        Name = name;
        Value = value;
        Offset = offset;
        Length = length;
        IsFolded = isFolded;
    }

    /// <summary>The header name as written (any case, long or compact form), without the colon or whitespace.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>
    /// The header value with surrounding whitespace (and folding around it) removed. When
    /// <see cref="IsFolded"/> is <see langword="true"/> the value still holds its interior line breaks;
    /// use <see cref="TryCopyUnfoldedValue"/> to read it as one line.
    /// </summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The offset in the message of the first byte of this field's first line.</summary>
    public int Offset { get; }

    /// <summary>The length in bytes of this field's lines, continuation lines and line breaks included.</summary>
    public int Length { get; }

    /// <summary>Whether <see cref="Value"/> spans more than one line (RFC 3261 §7.3.1 folding).</summary>
    public bool IsFolded { get; }

    /// <summary>The known header this field's name (long or compact form, any case) names, or <see cref="KnownSipHeader.Unknown"/>.</summary>
    public KnownSipHeader KnownHeader => SipHeaderNames.GetKnownHeader(Name);

    /// <summary>Whether this field is the header <paramref name="name"/>: case-insensitive, compact forms included.</summary>
    /// <param name="name">A header name, long or compact form.</param>
    /// <returns><see langword="true"/> when the names match.</returns>
    public bool NameMatches(ReadOnlySpan<byte> name) => SipHeaderNames.Matches(Name, name);

    /// <summary>The length of <see cref="Value"/> once each fold (line break and the whitespace around it) is one space.</summary>
    public int UnfoldedValueLength => IsFolded ? Unfold(Value, default, countOnly: true) : Value.Length;

    /// <summary>
    /// Copies <see cref="Value"/> to <paramref name="destination"/> with each fold replaced by a single
    /// space, as RFC 3261 §7.3.1 says a folded value means.
    /// </summary>
    /// <param name="destination">Where to write; needs <see cref="UnfoldedValueLength"/> bytes.</param>
    /// <param name="bytesWritten">The bytes written, or 0 when <paramref name="destination"/> is too small.</param>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is too small.</returns>
    public bool TryCopyUnfoldedValue(Span<byte> destination, out int bytesWritten)
    {
        if (!IsFolded)
        {
            bool copied = Value.TryCopyTo(destination);
            bytesWritten = copied ? Value.Length : 0;
            return copied;
        }

        if (destination.Length < UnfoldedValueLength)
        {
            bytesWritten = 0;
            return false;
        }

        bytesWritten = Unfold(Value, destination, countOnly: false);
        return true;
    }

    /// <summary>
    /// The value as one line: <see cref="Value"/> itself, or for a folded field (rare) an unfolded copy.
    /// </summary>
    internal ReadOnlySpan<byte> UnfoldedValue()
    {
        if (!IsFolded)
        {
            return Value;
        }

        byte[] unfolded = new byte[UnfoldedValueLength];
        return TryCopyUnfoldedValue(unfolded, out int written) ? unfolded.AsSpan(0, written) : Value;
    }

    /// <summary>
    /// Writes a folded header value with each fold (a line break and the whitespace around it) as one
    /// space, RFC 3261 §7.3.1; a fold at the end of the value is dropped. The one unfold of the
    /// packages: the raw propagator uses it for trace header values too.
    /// </summary>
    internal static bool TryUnfold(ReadOnlySpan<byte> value, Span<byte> destination, out int bytesWritten)
    {
        int length = Unfold(value, default, countOnly: true);
        if (length > destination.Length)
        {
            bytesWritten = 0;
            return false;
        }

        bytesWritten = Unfold(value, destination, countOnly: false);
        return true;
    }

    // LWS = [*WSP CRLF] 1*WSP: the whitespace before the line break, the break and the whitespace
    // after it are together one separator.
    private static int Unfold(ReadOnlySpan<byte> value, Span<byte> destination, bool countOnly)
    {
        int written = 0;
        while (true)
        {
            int lineBreak = value.IndexOfAny(CR, LF);
            if (lineBreak < 0)
            {
                if (!countOnly)
                {
                    value.CopyTo(destination[written..]);
                }

                return written + value.Length;
            }

            ReadOnlySpan<byte> segment = value[..lineBreak].TrimEnd(Whitespace);
            if (!countOnly)
            {
                segment.CopyTo(destination[written..]);
            }

            written += segment.Length;
            value = value[lineBreak..].TrimStart(LinearWhitespace);
            if (value.IsEmpty)
            {
                return written;
            }

            if (!countOnly)
            {
                destination[written] = SP;
            }

            written++;
        }
    }
}
