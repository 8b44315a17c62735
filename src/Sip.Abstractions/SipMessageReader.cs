using System.Runtime.CompilerServices;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip;

/// <summary>
/// Reads a SIP message from its UTF-8 wire bytes without allocating: the start line, the header
/// fields in order, and the body framed by Content-Length (RFC 3261 §7).
/// </summary>
/// <remarks>
/// <para>
/// Construction makes one validating pass over the start line and the header section, bounded by
/// <see cref="SipReaderLimits"/>, and records where each part lies. Check <see cref="Status"/>:
/// header lookups and enumeration see the header fields only once the header section is complete
/// and valid (<see cref="HeadersComplete"/>); on any other input they find nothing. The reader
/// never throws on input, never reads outside the span and never allocates.
/// </para>
/// <para>
/// What it accepts beyond the letter of RFC 3261, and why: blank lines before the start line
/// (RFC 3261 §7.5, keep-alives); a bare LF as a line end (stacks send it, and its meaning is not in
/// doubt); whitespace before a header's colon (RFC 3261 HCOLON allows it). What it rejects as
/// ambiguous: a CR not followed by LF, control bytes other than HTAB in the start line or a header,
/// extra spaces in the start line, and a second Content-Length header.
/// </para>
/// <para>
/// It checks framing and syntax, not meaning: a message without a Via or CSeq is read as complete;
/// whether it may be processed is the caller's call.
/// </para>
/// </remarks>
public readonly ref struct SipMessageReader
{
    private readonly ReadOnlySpan<byte> _message;
    private readonly SipMessageLayout _layout;

    /// <summary>Reads <paramref name="message"/> with the default limits.</summary>
    /// <param name="message">The message bytes, starting at the start line (or blank lines before it).</param>
    public SipMessageReader(ReadOnlySpan<byte> message)
        : this(message, SipReaderLimits.Default)
    {
    }

    /// <summary>Reads <paramref name="message"/> with the given limits.</summary>
    /// <param name="message">The message bytes, starting at the start line (or blank lines before it).</param>
    /// <param name="limits">The bounds to enforce.</param>
    public SipMessageReader(ReadOnlySpan<byte> message, SipReaderLimits limits)
    {
        _message = message;
        SipMessageParser.Parse(message, limits, out _layout);
    }

    /// <summary>
    /// Reads <paramref name="message"/> with the default limits, as the constructor does, into
    /// <paramref name="reader"/> where it lies: a caller that keeps the reader inside a larger struct (the
    /// call tracer's recorded message) is spared building it elsewhere and copying its several hundred bytes.
    /// </summary>
    internal static void ReadInPlace(ReadOnlySpan<byte> message, out SipMessageReader reader)
    {
#if NET9_0_OR_GREATER
        // The constructor's two assignments, made through references: the fields are readonly to every
        // other caller, and the parser fills the whole layout.
        Unsafe.SkipInit(out reader);
        Unsafe.AsRef(in reader._message) = message;
        SipMessageParser.Parse(message, SipReaderLimits.Default, out Unsafe.AsRef(in reader._layout));
#else
        // Unsafe takes no ref struct before .NET 9: built and copied.
        reader = new SipMessageReader(message);
#endif
    }

    /// <summary>
    /// Re-attaches a layout found earlier to the same, unchanged bytes without reading them again:
    /// <see cref="SipWireMessage"/> keeps the layout of its buffer this way, and benchmarks use it to
    /// measure lookups on a reader a caller already holds. The bytes must be the ones the layout was
    /// found in; every offset in it is then within them.
    /// </summary>
    internal SipMessageReader(ReadOnlySpan<byte> message, in SipMessageLayout layout)
    {
        _message = message;
        _layout = layout;
    }

    /// <summary>The offsets this reader found, to re-attach with the internal constructor.</summary>
    internal SipMessageLayout Layout => _layout;

    /// <summary>Whether the message is complete, cut short, malformed, or over a limit.</summary>
    public SipParseStatus Status => _layout.Parsed ? _layout.Status : SipParseStatus.Incomplete;

    /// <summary>Why the message is not complete; <see cref="SipParseError.None"/> when it is.</summary>
    public SipParseError Error => _layout.Parsed ? _layout.Error : SipParseError.IncompleteStartLine;

    /// <summary>The offset at which the error was found (for incomplete input, the end of the input).</summary>
    public int ErrorOffset => _layout.ErrorOffset;

    /// <summary>Whether <see cref="Status"/> is <see cref="SipParseStatus.Complete"/>.</summary>
    public bool IsComplete => _layout.Parsed && _layout.Status == SipParseStatus.Complete;

    /// <summary>
    /// Whether the start line and header section are complete and valid, so that header lookups
    /// work. True for a complete message and for one whose body is still incomplete.
    /// </summary>
    public bool HeadersComplete => _layout.HeadersComplete;

    /// <summary>The bytes being read.</summary>
    public ReadOnlySpan<byte> Message => _message;

    /// <summary>Whether the start line is a Request-Line; <see langword="false"/> for a Status-Line or when it could not be read.</summary>
    public bool IsRequest => _layout.IsRequest && _layout.StartLineLength > 0;

    /// <summary>Whether the start line is a Status-Line.</summary>
    public bool IsResponse => !_layout.IsRequest && _layout.VersionLength > 0;

    /// <summary>The start line without its line break; empty when it could not be read.</summary>
    public ReadOnlySpan<byte> StartLine => HasStartLine ? _message.Slice(_layout.StartLineOffset, _layout.StartLineLength) : default;

    /// <summary>The request method (case-sensitive, RFC 3261 §7.1); empty for a response.</summary>
    public ReadOnlySpan<byte> Method => IsRequest ? _message.Slice(_layout.StartLineOffset, _layout.MethodLength) : default;

    /// <summary>The Request-URI, as written; empty for a response.</summary>
    public ReadOnlySpan<byte> RequestUri => IsRequest ? _message.Slice(_layout.RequestUriOffset, _layout.RequestUriLength) : default;

    /// <summary>The SIP-Version of the start line, for example <c>SIP/2.0</c>; empty when the start line could not be read.</summary>
    public ReadOnlySpan<byte> Version => HasStartLine ? _message.Slice(_layout.VersionOffset, _layout.VersionLength) : default;

    /// <summary>The status code of a response (100-699); 0 for a request.</summary>
    public int StatusCode => IsResponse ? _layout.StatusCode : 0;

    /// <summary>The reason phrase of a response (may be empty); empty for a request.</summary>
    public ReadOnlySpan<byte> ReasonPhrase => IsResponse ? _message.Slice(_layout.ReasonOffset, _layout.ReasonLength) : default;

    /// <summary>The number of header fields (a folded field counts once); 0 until <see cref="HeadersComplete"/>.</summary>
    public int HeaderCount => _layout.HeadersComplete ? _layout.HeaderCount : 0;

    /// <summary>The offset of the first header line (just after the start line).</summary>
    public int HeadersOffset => _layout.HeadersOffset;

    /// <summary>The offset of the empty line that ends the header section; where an editor adds headers.</summary>
    public int HeadersEnd => _layout.HeadersComplete ? _layout.HeadersEnd : 0;

    /// <summary>The offset of the first body byte (just after the empty line).</summary>
    public int BodyOffset => _layout.HeadersComplete ? _layout.BodyOffset : 0;

    /// <summary>Whether the message has a Content-Length header.</summary>
    public bool HasContentLength => _layout.ContentLength >= 0;

    /// <summary>The Content-Length value, or -1 when the header is absent.</summary>
    public int ContentLength => _layout.ContentLength;

    /// <summary>
    /// The body: Content-Length bytes when the header is present (fewer if the message is incomplete),
    /// otherwise every byte after the header section (RFC 3261 §18.3).
    /// </summary>
    public ReadOnlySpan<byte> Body => _layout.HeadersComplete ? _message.Slice(_layout.BodyOffset, _layout.BodyLength) : default;

    /// <summary>
    /// The number of bytes this message occupies from the start of the input, when complete. Bytes
    /// after it are the next message on a stream transport, and are discarded on a datagram one.
    /// </summary>
    public int MessageLength => IsComplete ? _layout.MessageLength : 0;

    private bool HasStartLine => _layout.StartLineLength > 0 && _layout.VersionLength > 0;

    /// <summary>Enumerates every header field in message order.</summary>
    public SipHeaderEnumerator Headers => _layout.HeadersComplete
        ? new SipHeaderEnumerator(_message, _layout, default, filtered: false)
        : default;

    /// <summary>Enumerates every instance of one header in message order, matching any case and the compact form.</summary>
    /// <param name="name">The header name, long or compact form; <see cref="SipHeaderNames"/> has the UTF-8 constants.</param>
    /// <returns>An enumerator over the instances.</returns>
    public SipHeaderEnumerator GetHeaders(ReadOnlySpan<byte> name) => _layout.HeadersComplete
        ? new SipHeaderEnumerator(_message, _layout, name, filtered: true)
        : default;

    /// <summary>Enumerates every instance of a known header in message order, long and compact forms.</summary>
    /// <param name="header">The header.</param>
    /// <returns>An enumerator over the instances; empty for <see cref="KnownSipHeader.Unknown"/>.</returns>
    public SipHeaderEnumerator GetHeaders(KnownSipHeader header)
    {
        ReadOnlySpan<byte> name = SipHeaderNames.GetNameUtf8(header);
        return name.IsEmpty ? default : GetHeaders(name);
    }

    /// <summary>Finds the first instance of a header, matching any case and the compact form.</summary>
    /// <param name="name">The header name, long or compact form.</param>
    /// <param name="value">The trimmed value (see <see cref="SipHeaderField.Value"/>), or empty when not found.</param>
    /// <returns><see langword="true"/> when the header is present.</returns>
    public bool TryGetHeader(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        bool found = TryGetHeader(name, out SipHeaderField field);
        value = field.Value;
        return found;
    }

    /// <summary>Finds the first instance of a header, matching any case and the compact form.</summary>
    /// <param name="name">The header name, long or compact form.</param>
    /// <param name="field">The field, with its offsets, or <see langword="default"/> when not found.</param>
    /// <returns><see langword="true"/> when the header is present.</returns>
    public bool TryGetHeader(ReadOnlySpan<byte> name, out SipHeaderField field)
    {
        if (_layout.HeadersComplete)
        {
            // The hot lookup: jump over the recorded field starts and compare each line's first
            // bytes with the name, without building an enumerator or copying the offsets.
            var matcher = new HeaderNameMatcher(name);
#if NET
            ReadOnlySpan<int> offsets = _layout.Offsets;
#else
            ref readonly HeaderOffsets offsets = ref _layout.Offsets;
#endif
            int indexed = _layout.IndexedCount;
            for (int i = 0; i < indexed; i++)
            {
                int start = offsets[i];
                ReadOnlySpan<byte> line = _message[start..offsets[i + 1]];
                if (matcher.MatchesLine(line))
                {
                    field = SipHeaderEnumerator.CreateField(line, start, (_layout.FoldedMask & (1u << i)) != 0);
                    return true;
                }
            }

            if (_layout.HeaderCount > indexed)
            {
                // Past the recorded fields; the enumerator walks the rest (it looks at the indexed
                // ones again, but only messages with very many headers get here).
                SipHeaderEnumerator headers = GetHeaders(name);
                if (headers.MoveNext())
                {
                    field = headers.Current;
                    return true;
                }
            }
        }

        field = default;
        return false;
    }

    /// <summary>
    /// Finds the first instance of a known header, as <see cref="TryGetHeader(ReadOnlySpan{byte}, out SipHeaderField)"/>
    /// does, but in constant time for the headers whose first field the parser recorded (see
    /// <see cref="FirstFields"/>). Other headers are looked up by name.
    /// </summary>
    internal bool TryGetFirstField(KnownSipHeader header, out SipHeaderField field)
    {
        int first = FirstFieldOf(header).Index;
        if (!_layout.HeadersComplete || first == FirstFields.Absent)
        {
            field = default;
            return false;
        }

        if (first == FirstFields.NotIndexed)
        {
            ReadOnlySpan<byte> name = SipHeaderNames.GetNameUtf8(header);
            if (name.IsEmpty)
            {
                field = default;
                return false;
            }

            return TryGetHeader(name, out field);
        }

        field = IndexedField(first - 1);
        return true;
    }

    /// <summary>
    /// Whether the header section is complete and every field in it is indexed (none lies past
    /// <see cref="HeaderOffsets.Capacity"/>): then <see cref="ViaFields"/> lists every Via.
    /// </summary>
    internal bool AllFieldsIndexed => _layout.HeadersComplete && _layout.HeaderCount <= HeaderOffsets.Capacity;

    /// <summary>Bit i set: indexed field i is a Via (read it with <see cref="IndexedField"/>).</summary>
    internal uint ViaFields => _layout.ViaMask;

    /// <summary>Indexed field <paramref name="index"/> (below <see cref="HeaderOffsets.Capacity"/> and the header count).</summary>
    internal SipHeaderField IndexedField(int index)
    {
        int start = _layout.Offsets[index];
        return SipHeaderEnumerator.CreateField(_message[start.._layout.Offsets[index + 1]], start, (_layout.FoldedMask & (1u << index)) != 0);
    }

    /// <summary>
    /// Whether a known header is present, as <see cref="TryGetFirstField"/> would find it, without
    /// reading the field: constant time for the headers in <see cref="FirstFields"/>.
    /// </summary>
    internal bool HasField(KnownSipHeader header)
    {
        int first = FirstFieldOf(header).Index;
        if (!_layout.HeadersComplete || first == FirstFields.Absent)
        {
            return false;
        }

        return first != FirstFields.NotIndexed || TryGetFirstField(header, out _);
    }

    /// <summary>
    /// The unfolded value of the first field of a known header, as <see cref="TryGetFirstField"/> then
    /// <see cref="SipHeaderField.UnfoldedValue"/> give it; for the headers in <see cref="FirstFields"/> taken
    /// from where the parser recorded it starts, without splitting the line again.
    /// </summary>
    internal bool TryGetFirstValue(KnownSipHeader header, out ReadOnlySpan<byte> value)
    {
        FirstField first = FirstFieldOf(header);
        int index = first.Index - 1;
        if (_layout.HeadersComplete && first.Index != FirstFields.Absent && first.Index != FirstFields.NotIndexed
            && (_layout.FoldedMask & (1u << index)) == 0)
        {
            // An unfolded line: the value runs from the colon to the line break, trimmed as CreateField
            // trims it. The parser let no CR or LF into the line but its break (LF or CRLF), so only the
            // break and SP / HTAB need trimming.
            ReadOnlySpan<byte> message = _message;
            int start = first.ValueStart;
            int end = _layout.Offsets[index + 1] - 1;
            if (end > start && message[end - 1] == SipGrammar.CR)
            {
                end--;
            }

            while (end > start && message[end - 1] is SipGrammar.SP or SipGrammar.HTAB)
            {
                end--;
            }

            while (start < end && message[start] is SipGrammar.SP or SipGrammar.HTAB)
            {
                start++;
            }

            value = message[start..end];
            return true;
        }

        return TryGetFirstValueByWalk(header, out value);
    }

    // Apart, and never inlined: a caller that looks up several headers would otherwise clear a field
    // value of its own for each on every call, for a path that folded or unrecorded headers take.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetFirstValueByWalk(KnownSipHeader header, out ReadOnlySpan<byte> value)
    {
        bool found = TryGetFirstField(header, out SipHeaderField field);
        value = found ? field.UnfoldedValue() : default;
        return found;
    }

    private FirstField FirstFieldOf(KnownSipHeader header) => header switch
    {
        KnownSipHeader.CallId => _layout.First.CallId,
        KnownSipHeader.CSeq => _layout.First.CSeq,
        KnownSipHeader.Via => _layout.First.Via,
        KnownSipHeader.From => _layout.First.From,
        KnownSipHeader.To => _layout.First.To,
        KnownSipHeader.XCid => _layout.First.XCid,
        KnownSipHeader.SessionId => _layout.First.SessionId,
        KnownSipHeader.PChargingVector => _layout.First.PChargingVector,
        KnownSipHeader.UserAgent => _layout.First.UserAgent,
        _ => new FirstField { Index = FirstFields.NotIndexed },
    };

    /// <summary>
    /// Finds the first instance of a header field (long or compact form, any case) in raw message
    /// bytes with one vectorised pass, without constructing a reader: for a hot path that needs one
    /// header of a message it does not otherwise parse.
    /// </summary>
    /// <remarks>
    /// <para>
    /// This checks only what finding the field needs: a start line ending in a line feed, no empty line
    /// before the field (so a field is never found in the body), and the field's whole line followed by
    /// at least one more byte (so no continuation line can still be coming). A header section that has
    /// not fully arrived (a stream) can therefore answer already, and more bytes never change the answer.
    /// It does not validate the start line or the other fields, and applies no <see cref="SipReaderLimits"/>
    /// beyond the length of the input. On any message the reader accepts, it finds exactly what
    /// <see cref="TryGetHeader(ReadOnlySpan{byte}, out SipHeaderField)"/> finds; on input the reader
    /// rejects it may still find a field. When the message comes from the network and anything else in
    /// it will be used, construct a reader instead.
    /// </para>
    /// <para>Never throws on input, never reads outside the span, never allocates.</para>
    /// </remarks>
    /// <param name="message">The message bytes, starting at the start line (or blank lines before it).</param>
    /// <param name="name">The header name, long or compact form, any case.</param>
    /// <param name="field">The field (name, trimmed value, offsets), or <c>default</c> when not found.</param>
    /// <returns><see langword="true"/> when the field is present, with its whole line, before the end of the header section.</returns>
    public static bool TryFindHeader(ReadOnlySpan<byte> message, ReadOnlySpan<byte> name, out SipHeaderField field) =>
        HeaderFieldFinder.TryFind(message, name, out field);

    /// <summary>
    /// Finds the first instance of a known header in raw message bytes without constructing a reader;
    /// see <see cref="TryFindHeader(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out SipHeaderField)"/> for what is and is not checked.
    /// </summary>
    /// <param name="message">The message bytes, starting at the start line (or blank lines before it).</param>
    /// <param name="header">The header.</param>
    /// <param name="field">The field, or <c>default</c> when not found.</param>
    /// <returns><see langword="true"/> when the field is present, with its whole line, before the end of the header section.</returns>
    public static bool TryFindHeader(ReadOnlySpan<byte> message, KnownSipHeader header, out SipHeaderField field)
    {
        ReadOnlySpan<byte> name = SipHeaderNames.GetNameUtf8(header);
        if (name.IsEmpty)
        {
            field = default;
            return false;
        }

        return HeaderFieldFinder.TryFind(message, name, out field);
    }

    /// <summary>
    /// Finds the first instance of a known header, long or compact form. The headers every message carries
    /// (Call-ID, CSeq, Via, From, To) and those the call tracer reads (X-CID, Session-ID, P-Charging-Vector,
    /// User-Agent) are found in constant time: the reader recorded where their first fields are as it read the message.
    /// </summary>
    /// <param name="header">The header.</param>
    /// <param name="value">The trimmed value, or empty when not found.</param>
    /// <returns><see langword="true"/> when the header is present.</returns>
    public bool TryGetHeader(KnownSipHeader header, out ReadOnlySpan<byte> value)
    {
        bool found = TryGetFirstField(header, out SipHeaderField field);
        value = field.Value;
        return found;
    }

    /// <summary>Counts the instances of a header, matching any case and the compact form.</summary>
    /// <param name="name">The header name, long or compact form.</param>
    /// <returns>The number of instances.</returns>
    public int CountHeaders(ReadOnlySpan<byte> name)
    {
        int count = 0;
        foreach (SipHeaderField unused in GetHeaders(name))
        {
            count++;
        }

        return count;
    }
}
