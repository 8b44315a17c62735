using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SipTraceContext.Propagation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation;

/// <summary>
/// The fast path: extracts trace context from, and injects it into, raw SIP messages (UTF-8 bytes)
/// with no delegates and no strings beyond what <see cref="ActivityContext"/> itself needs.
/// </summary>
/// <remarks>
/// <para>
/// Extraction reads the styles in precedence order (the configured style, the other style, then
/// the fallback spellings) and takes the first whose traceparent is present exactly once and valid;
/// its tracestate headers are combined in order and validated as a whole. Header names match in any
/// case; folded values are unfolded.
/// </para>
/// <para>
/// Injection copies the message, leaving out every trace header it recognises (a proxy forwards the
/// context, it does not stack it), and adds the traceparent and tracestate headers of the configured
/// style at the end of the header section. Everything else, the body included, is copied byte for
/// byte, so Content-Length stays right. The added values can contain only hex digits, dashes and
/// the characters the tracestate grammar allows: never CR, LF or NUL.
/// </para>
/// <para>
/// Every method reads a message exactly as <c>SipMessageReader</c> (with its default limits) does, or
/// refuses it: a trust boundary must not act on bytes that a SIP parser downstream reads differently.
/// Extract, inject and strip return <see langword="false"/> for a message the reader rejects (a bare CR,
/// a control byte, a malformed start line or header name, more than 512 header lines, a header section
/// over 64 KiB, a line over 8 KiB, an invalid or repeated Content-Length, a body over 1 MiB), for one
/// whose lines do not all end the way its start line does (CRLF or bare LF: the reader accepts a mix,
/// this path does not), and for one with more than 16 trace header lines. Blank lines before the start
/// line are skipped, as the reader skips them, and copied through. Inject and strip also need the
/// input to be exactly one message: a body shorter or longer than its Content-Length is refused
/// (extraction, which reads only the header section, accepts it). A caller that must remove trace
/// headers whatever the input (a P-CSCF facing handsets) falls back to the reader and
/// <c>SipMessageEditor</c> when these return <see langword="false"/>, or drops the message.
/// </para>
/// <para>Instances are immutable and thread-safe; create one per configuration and share it.</para>
/// </remarks>
public sealed class SipRawPropagator
{
    // Tracestate values (and joined instances) up to this many bytes are handled on the stack.
    private const int StackBufferSize = 512;

    /// <summary>Why an inject or strip refused its input (the event's reason).</summary>
    internal const string NotOneWholeMessage =
        "not one whole message as SipMessageReader frames it: no complete header section, more than 16 trace headers, mixed line endings, a byte or line the reader rejects, or a body unlike its Content-Length";

    private readonly TraceHeaderSet _headers;

    /// <summary>Creates a propagator with the default options (X-OTel style, fallbacks accepted).</summary>
    public SipRawPropagator()
        : this(new SipPropagationOptions())
    {
    }

    /// <summary>Creates a propagator with the given options.</summary>
    /// <param name="options">The options; read once, here.</param>
    /// <exception cref="ArgumentException">A prefix is not a SIP token or a limit is negative.</exception>
    public SipRawPropagator(SipPropagationOptions options)
    {
        _headers = new TraceHeaderSet(options);
    }

    /// <summary>Shares an already validated header set (the carrier propagator's fast path for wire messages).</summary>
    internal SipRawPropagator(TraceHeaderSet headers)
    {
        _headers = headers;
    }

    /// <summary>The traceparent header name this propagator writes.</summary>
    public string TraceParentHeaderName => _headers.TraceParentName;

    /// <summary>The tracestate header name this propagator writes.</summary>
    public string TraceStateHeaderName => _headers.TraceStateName;

    /// <summary>
    /// The most bytes <see cref="TryInject(ReadOnlySpan{byte}, in ActivityContext, Span{byte}, out int)"/>
    /// can add to a message: size a destination as the source length plus this.
    /// </summary>
    public int MaxAddedBytes => _headers.MaxInjectedBytes;

    /// <summary>Extracts the traceparent of a raw message without allocating.</summary>
    /// <param name="message">The raw SIP message (at least its complete header section).</param>
    /// <param name="traceParent">The traceparent found, or <c>default</c>.</param>
    /// <returns>Whether a valid traceparent was found.</returns>
    public bool TryExtract(ReadOnlySpan<byte> message, out TraceParent traceParent)
    {
#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
#endif
        if (TraceHeaderScanner.ScanMessage(message, _headers.Prefixes, lines, default, out int count, out _, out _, out _) == MessageFraming.Refused)
        {
            traceParent = default;
            return false;
        }

        return TryExtractFrom(message, lines[..count], out traceParent);
    }

    /// <summary>
    /// Extracts the trace context of a raw message. Allocates only the two id strings the BCL's
    /// <see cref="ActivityContext"/> keeps and, when there is one, the tracestate string.
    /// </summary>
    /// <param name="message">The raw SIP message (at least its complete header section).</param>
    /// <param name="context">The remote context (<see cref="ActivityContext.IsRemote"/> set), or <c>default</c>.</param>
    /// <returns>Whether a valid context was found.</returns>
    /// <remarks>
    /// Not inlined (nor is inject): inlined into a caller that calls it once, as a request handler or a
    /// benchmark does, the JIT ran out of inlining budget and called even span constructors and the
    /// <see cref="ActivityContext"/> constructor: 124 ns an extraction instead of 88.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryExtract(ReadOnlySpan<byte> message, out ActivityContext context)
    {
#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
#endif
        if (TraceHeaderScanner.ScanMessage(message, _headers.Prefixes, lines, default, out int count, out _, out _, out _) == MessageFraming.Refused)
        {
            context = default;
            return false;
        }

        return TryExtractFrom(message, lines[..count], out context);
    }

    /// <summary>
    /// Extracts the trace context of a message that <paramref name="reader"/> has read and validated
    /// already: as <see cref="TryExtract(ReadOnlySpan{byte}, out ActivityContext)"/> on
    /// <c>reader.Message</c>, without checking the message's framing a second time.
    /// </summary>
    /// <param name="reader">A reader over the whole message, as received.</param>
    /// <param name="context">The remote context (<see cref="ActivityContext.IsRemote"/> set), or <c>default</c>.</param>
    /// <returns>
    /// Whether a valid context was found; <c>false</c> also when the reader rejected the message, or when
    /// its lines mix CRLF and bare LF such that the header section would end elsewhere by the start line's.
    /// </returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryExtract(scoped in SipMessageReader reader, out ActivityContext context)
    {
#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
#endif
        if (TraceHeaderScanner.ScanReadMessage(in reader, _headers.Prefixes, lines, out int count) == MessageFraming.Refused)
        {
            context = default;
            return false;
        }

        return TryExtractFrom(reader.Message, lines[..count], out context);
    }

    /// <summary>
    /// Reads all the trace headers of a message once, for extracting from it and injecting into (a copy
    /// of) it without reading them again: what a proxy does with every message it forwards.
    /// </summary>
    /// <param name="message">The raw SIP message (at least its complete header section); the result refers to it.</param>
    /// <returns>The message with its trace headers found; check <see cref="SipRawScan.IsComplete"/>.</returns>
    public SipRawScan Scan(ReadOnlySpan<byte> message) => new(this, message, _headers.Prefixes);

    /// <summary>The traceparent of the trace headers <paramref name="found"/> in <paramref name="message"/>.</summary>
    internal bool TryExtractFrom(ReadOnlySpan<byte> message, ReadOnlySpan<TraceHeaderLine> found, out TraceParent traceParent) =>
        TrySelectTraceParent(message, found, withIds: false, out traceParent, out _, out _, out _);

    /// <summary>The context of the trace headers <paramref name="found"/> in <paramref name="message"/>.</summary>
    internal bool TryExtractFrom(ReadOnlySpan<byte> message, ReadOnlySpan<TraceHeaderLine> found, out ActivityContext context)
    {
        if (!TrySelectTraceParent(message, found, withIds: true, out TraceParent traceParent, out ActivityTraceId traceId, out ActivitySpanId spanId, out int winner))
        {
            context = default;
            return false;
        }

        string? traceState = ReadTraceState(message, found, winner);
        context = new ActivityContext(traceId, spanId, traceParent.ActivityTraceFlags, traceState, isRemote: true);
        return true;
    }

    /// <summary>
    /// Reads the traceparent of the first style (in precedence order) that has exactly one valid one
    /// among the trace headers <paramref name="found"/>; <paramref name="withIds"/>, also its BCL ids.
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="found">Its trace header lines.</param>
    /// <param name="withIds">Whether to find the BCL ids too.</param>
    /// <param name="traceParent">The traceparent found.</param>
    /// <param name="traceId">With <paramref name="withIds"/>, its trace id.</param>
    /// <param name="spanId">With <paramref name="withIds"/>, its parent id.</param>
    /// <param name="winner">The index of the prefix it was found under.</param>
    private bool TrySelectTraceParent(
        ReadOnlySpan<byte> message,
        ReadOnlySpan<TraceHeaderLine> found,
        bool withIds,
        out TraceParent traceParent,
        out ActivityTraceId traceId,
        out ActivitySpanId spanId,
        out int winner)
    {
        traceParent = default;
        traceId = default;
        spanId = default;
        winner = -1;
        for (int prefix = 0; prefix < _headers.ExtractPrefixesLower.Length; prefix++)
        {
            int index = -1;
            int instances = 0;
            for (int i = 0; i < found.Length; i++)
            {
                if (found[i].PrefixIndex == prefix && found[i].Field == TraceField.TraceParent)
                {
                    index = i;
                    instances++;
                }
            }

            if (instances == 0)
            {
                continue;
            }

            // W3C: a repeated traceparent is invalid; fall through to the next style.
            if (instances == 1 && (withIds ? TryReadWithIds(message, found[index], out traceParent, out traceId, out spanId) : TryParseValue(message, found[index], out traceParent)))
            {
                winner = prefix;
                return true;
            }

            SipPropagationEventSource.Log.InvalidHeader(_headers.TraceParentNames[prefix], instances == 1 ? "malformed" : "repeated");
        }

        return false;
    }

    /// <summary>
    /// <see cref="TryParseValue"/> and the BCL ids, answered from this thread's recent values when the
    /// header is one seen before (every message of a call carries the same one).
    /// </summary>
    private static bool TryReadWithIds(
        ReadOnlySpan<byte> message,
        in TraceHeaderLine line,
        out TraceParent traceParent,
        out ActivityTraceId traceId,
        out ActivitySpanId spanId)
    {
        ReadOnlySpan<byte> value = message[line.ValueStart..line.ValueEnd];
        RecentHeaderValues? recent = RecentHeaderValues.OfThisThreadIfAny;
        if (!line.IsFolded && recent is not null && recent.TryGetTraceParent(value, out traceParent, out traceId, out spanId))
        {
            return true;
        }

        if (!TryParseValue(message, line, out traceParent))
        {
            traceId = default;
            spanId = default;
            return false;
        }

        traceParent.GetActivityIds(out traceId, out spanId);
        if (!line.IsFolded)
        {
            (recent ?? RecentHeaderValues.OfThisThread).AddTraceParent(value, traceParent, traceId, spanId);
        }

        return true;
    }

    // The rare paths (folding, split tracestate) are methods of their own: a method that allocates on
    // the stack is never inlined, and these keep the common path small enough to be.
    private static bool TryParseValue(ReadOnlySpan<byte> message, in TraceHeaderLine line, out TraceParent traceParent)
    {
        ReadOnlySpan<byte> value = message[line.ValueStart..line.ValueEnd];
        return line.IsFolded ? TryParseFolded(value, out traceParent) : TraceParent.TryParse(value, out traceParent);
    }

    private static bool TryParseFolded(ReadOnlySpan<byte> value, out TraceParent traceParent)
    {
        // A folded traceparent is unusual but legal SIP; anything longer than this cannot be valid
        // once unfolded (a higher version may add fields, so allow some room beyond 55).
        Span<byte> unfolded = stackalloc byte[StackBufferSize];
        int length = TraceHeaderScanner.Unfold(value, unfolded);
        traceParent = default;
        return length >= 0 && TraceParent.TryParse(unfolded[..length], out traceParent);
    }

    private string? ReadTraceState(ReadOnlySpan<byte> message, ReadOnlySpan<TraceHeaderLine> lines, int prefix)
    {
        int instances = 0;
        int total = 0;
        int first = -1;
        bool anyFolded = false;
        for (int i = 0; i < lines.Length; i++)
        {
            ref readonly TraceHeaderLine line = ref lines[i];
            if (line.PrefixIndex == prefix && line.Field == TraceField.TraceState)
            {
                first = instances == 0 ? i : first;
                instances++;
                total += line.ValueEnd - line.ValueStart + 1;
                anyFolded |= line.IsFolded;
            }
        }

        if (instances == 0)
        {
            return null;
        }

        if (instances == 1 && !anyFolded)
        {
            // The common case: one unfolded header, validated and trimmed straight from the message.
            // A repeat (every message of a call carries the same tracestate) is answered from the
            // recent strings here, inlined: calling Normalize for it measured 10-17 ns more
            // when the extraction is called from a method of its own.
            ReadOnlySpan<byte> value = message[lines[first].ValueStart..lines[first].ValueEnd];
            return RecentHeaderValues.TryGetTraceState(value, _headers.MaxTraceStateLength, out string? seen)
                ? seen
                : TraceState.NormalizeUnseen(value, _headers.MaxTraceStateLength);
        }

        return JoinTraceState(message, lines, prefix, total);
    }

    private string? JoinTraceState(ReadOnlySpan<byte> message, ReadOnlySpan<TraceHeaderLine> lines, int prefix, int total)
    {
        if (total > TraceState.MaxSourceLength)
        {
            SipPropagationEventSource.Log.InvalidHeader(_headers.TraceStateNames[prefix], "too long");
            return null;
        }

        // Several instances (RFC 3261 §7.3.1 lets a comma-separated list be split) or folding:
        // join them with commas into one buffer, then validate the list as a whole.
        byte[]? rented = null;
        Span<byte> joined = total <= StackBufferSize ? stackalloc byte[StackBufferSize] : (rented = ArrayPool<byte>.Shared.Rent(total));
        try
        {
            int length = 0;
            foreach (TraceHeaderLine line in lines)
            {
                if (line.PrefixIndex != prefix || line.Field != TraceField.TraceState)
                {
                    continue;
                }

                if (length > 0)
                {
                    joined[length++] = (byte)',';
                }

                ReadOnlySpan<byte> value = message[line.ValueStart..line.ValueEnd];
                if (line.IsFolded)
                {
                    int unfolded = TraceHeaderScanner.Unfold(value, joined[length..]);
                    if (unfolded < 0)
                    {
                        return null;
                    }

                    length += unfolded;
                }
                else
                {
                    value.CopyTo(joined[length..]);
                    length += value.Length;
                }
            }

            string? result = TraceState.Normalize(joined[..length], _headers.MaxTraceStateLength);
            if (result is null)
            {
                SipPropagationEventSource.Log.InvalidHeader(_headers.TraceStateNames[prefix], "invalid list");
            }

            return result;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="source"/> to <paramref name="destination"/> with its trace headers
    /// replaced by <paramref name="context"/>'s, in the configured style. Allocates nothing.
    /// </summary>
    /// <param name="source">The raw SIP message.</param>
    /// <param name="context">The context to send; its tracestate is validated and trimmed to the budget.</param>
    /// <param name="destination">Where the new message goes; must not overlap <paramref name="source"/>.</param>
    /// <param name="bytesWritten">The length of the new message, or 0 on failure.</param>
    /// <returns>
    /// <c>false</c> (<paramref name="bytesWritten"/> 0, the destination's contents unspecified) when the
    /// context is invalid, the source is not one whole message that <c>SipMessageReader</c> frames as this
    /// method does (see the class remarks: mixed line endings, a byte or line the reader rejects, more than
    /// 16 trace header lines, a body unlike its Content-Length), or the destination is too small (size it
    /// with <see cref="MaxAddedBytes"/>).
    /// </returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryInject(ReadOnlySpan<byte> source, in ActivityContext context, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!TraceParent.HasValidIds(context))
        {
            SipPropagationEventSource.Log.InjectFailed("invalid context");
            return false;
        }

#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
#endif
        // A destination with room for the whole source (as MaxAddedBytes advises) is filled by the scan
        // itself up to where it stopped; otherwise everything is copied below.
        Span<byte> copy = destination.Length >= source.Length ? destination : default;
        if (TraceHeaderScanner.ScanMessage(source, _headers.Prefixes, lines, copy, out int count, out int headersEnd, out ReadOnlySpan<byte> lineEnding, out int copiedEnd) != MessageFraming.WholeMessage)
        {
            SipPropagationEventSource.Log.InjectFailed(NotOneWholeMessage);
            return false;
        }

        return TryInjectFrom(source, lines[..count], headersEnd, lineEnding, copiedEnd, context, destination, out bytesWritten);
    }

    /// <summary>
    /// Writes <paramref name="source"/> with the trace headers <paramref name="found"/> in it replaced by
    /// <paramref name="context"/>'s, whose ids the caller has checked.
    /// </summary>
    /// <param name="source">The raw message.</param>
    /// <param name="found">Its trace header lines.</param>
    /// <param name="headersEnd">The offset of its empty line.</param>
    /// <param name="lineEnding">Its line terminator.</param>
    /// <param name="copiedEnd">How many of its first bytes are in <paramref name="destination"/> already.</param>
    /// <param name="context">The context to send.</param>
    /// <param name="destination">Where the new message goes.</param>
    /// <param name="bytesWritten">The length of the new message, or 0 on failure.</param>
    internal bool TryInjectFrom(
        ReadOnlySpan<byte> source,
        ReadOnlySpan<TraceHeaderLine> found,
        int headersEnd,
        ReadOnlySpan<byte> lineEnding,
        int copiedEnd,
        in ActivityContext context,
        Span<byte> destination,
        out int bytesWritten)
    {
        string? traceState = context.TraceState;
        ReadOnlySpan<char> knownTraceState = default;
        if (traceState is { Length: > 0 } && _headers.MaxTraceStateLength > 0)
        {
            if (traceState.Length > _headers.MaxTraceStateLength || !RecentHeaderValues.IsKnownNormalised(traceState))
            {
                return TryInjectNormalisingTraceState(source, found, headersEnd, lineEnding, copiedEnd, context, traceState, destination, out bytesWritten);
            }

            // A string extracted from the last hop (a proxy forwards the context it received) or
            // injected before (a span's tracestate goes out on every message of its call): already a
            // normalised list within budget, so it is written as it is.
            knownTraceState = traceState;
        }

        // One call site, so the write is inlined once.
        return TryWriteMessage(source, found, headersEnd, lineEnding, copiedEnd, context, knownTraceState, destination, out bytesWritten);
    }

    /// <summary><see cref="TryInjectFrom"/> for a tracestate that has to be validated and trimmed to the budget first.</summary>
    /// <remarks>Apart, because it allocates on the stack: the common path stays small and cheap to enter.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryInjectNormalisingTraceState(
        ReadOnlySpan<byte> source,
        ReadOnlySpan<TraceHeaderLine> found,
        int headersEnd,
        ReadOnlySpan<byte> lineEnding,
        int copiedEnd,
        in ActivityContext context,
        string traceState,
        Span<byte> destination,
        out int bytesWritten)
    {
        int budget = Math.Min(_headers.MaxTraceStateLength, traceState.Length);
        char[]? rented = null;
        Span<char> normalised = budget <= StackBufferSize ? stackalloc char[StackBufferSize] : (rented = ArrayPool<char>.Shared.Rent(budget));
        try
        {
            if (!TraceState.TryNormalize(traceState, normalised[..budget], out int length))
            {
                // Nothing valid to send: the message goes without a tracestate header.
                length = 0;
            }
            else if (length == traceState.Length && normalised[..length].SequenceEqual(traceState))
            {
                // Already a normalised list: remember this string, so that injecting it again skips
                // the validation.
                RecentHeaderValues.AddTraceState(traceState);
            }

            return TryWriteMessage(source, found, headersEnd, lineEnding, copiedEnd, context, normalised[..length], destination, out bytesWritten);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Writes the new message: the source without the trace header lines <paramref name="found"/>, with a
    /// traceparent line for <paramref name="context"/> and, unless it is empty, a tracestate line for
    /// <paramref name="traceState"/> (normalised, within budget) at the end of the header section.
    /// </summary>
    /// <remarks>
    /// The new length is known before anything is written, so the destination is checked once and every
    /// piece goes to an offset held in a local. The writer struct this replaced kept its position in
    /// memory, as its address was passed on, and checked for room at every piece. Measured together
    /// with the inlined narrowing of the ids, about 3% of an inject. Since the length and the lines'
    /// order are checked up front, the pieces are sliced without a check each: side by side, inject
    /// another 2.5-3% faster.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryWriteMessage(
        ReadOnlySpan<byte> source,
        ReadOnlySpan<TraceHeaderLine> found,
        int headersEnd,
        ReadOnlySpan<byte> lineEnding,
        int copiedEnd,
        in ActivityContext context,
        scoped ReadOnlySpan<char> traceState,
        Span<byte> destination,
        out int bytesWritten)
    {
        byte[] traceParentLineStart = _headers.TraceParentLineStart;
        byte[] traceStateLineStart = _headers.TraceStateLineStart;
        int traceParentLineLength = traceParentLineStart.Length + TraceParent.Length + lineEnding.Length;
        int traceStateLineLength = traceState.IsEmpty ? 0 : traceStateLineStart.Length + traceState.Length + lineEnding.Length;
        // The pieces are written without bounds checks below, which is sound only for lines in message
        // order within the header section, as the scanner records them: checked here, where it costs
        // three compares a line, rather than trusted.
        int removed = 0;
        int previousEnd = 0;
        bool inOrder = (uint)headersEnd <= (uint)source.Length && (uint)copiedEnd <= (uint)source.Length;
        foreach (TraceHeaderLine line in found)
        {
            inOrder &= line.LineStart >= previousEnd && line.LineEnd >= line.LineStart && line.LineEnd <= headersEnd;
            removed += line.LineEnd - line.LineStart;
            previousEnd = line.LineEnd;
        }

        int length = source.Length - removed + traceParentLineLength + traceStateLineLength;
        if (length > destination.Length || !inOrder)
        {
            SipPropagationEventSource.Log.InjectFailed(inOrder ? "destination too small" : "trace header lines out of order");
            bytesWritten = 0;
            return false;
        }

        // The copy is in place up to the first trace header; from there the output is shifted.
#if NET
        ref byte from = ref MemoryMarshal.GetReference(source);
#endif
        ref byte to = ref MemoryMarshal.GetReference(destination);
        int written;
        int firstStart = found.IsEmpty ? headersEnd : found[0].LineStart;
        if (!found.IsEmpty && removed == headersEnd - firstStart && copiedEnd >= firstStart)
        {
            // The usual shape (injection puts the lines there): in order, the lines' lengths add up to
            // the bytes from the first one to the empty line only when they are one run that ends the
            // header section. The new lines then go where the old ones started. Taken as a predicted
            // branch, their offset is the first line's start, known as soon as its name is, rather
            // than a sum over every line's end and the section's end, which come last from the scan:
            // the lines are then written while those are still read.
            written = firstStart;
        }
        else
        {
            int position = Math.Min(firstStart, copiedEnd);
            written = position;
            foreach (TraceHeaderLine line in found)
            {
#if NET
                written += CopyRun(ref from, position, line.LineStart, ref to, written);
#else
                written += CopyRun(source, position, line.LineStart, destination, written);
#endif
                position = line.LineEnd;
            }

#if NET
            written += CopyRun(ref from, position, headersEnd, ref to, written);
#else
            written += CopyRun(source, position, headersEnd, destination, written);
#endif
        }

#if NET
        // Each added line is filled in place: fewer copies, each of which is a call.
        Span<byte> added = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref to, written), traceParentLineLength);
        ShortCopy.Copy(traceParentLineStart, added);
        TraceParent.FormatActivityContext(context, MemoryMarshal.CreateSpan(ref Unsafe.Add(ref to, written + traceParentLineStart.Length), TraceParent.Length));
        EndLine(ref Unsafe.Add(ref to, written + traceParentLineLength), lineEnding.Length);
        written += traceParentLineLength;
        if (!traceState.IsEmpty)
        {
            added = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref to, written), traceStateLineLength);
            ShortCopy.Copy(traceStateLineStart, added);
            // Normalised tracestate is printable ASCII, so each char is one byte.
            ShortCopy.Narrow(traceState, MemoryMarshal.CreateSpan(ref Unsafe.Add(ref to, written + traceStateLineStart.Length), traceState.Length));
            EndLine(ref Unsafe.Add(ref to, written + traceStateLineLength), lineEnding.Length);
            written += traceStateLineLength;
        }

        int rest = source.Length - headersEnd;
        ShortCopy.CopyMedium(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref from, headersEnd), rest), MemoryMarshal.CreateSpan(ref Unsafe.Add(ref to, written), rest));
#else
        // netstandard2.0 has no MemoryMarshal.CreateSpan: the same pieces, sliced (with their checks).
        // Each added line is filled in place: fewer copies, each of which is a call.
        Span<byte> added = destination.Slice(written, traceParentLineLength);
        ShortCopy.Copy(traceParentLineStart, added);
        TraceParent.FormatActivityContext(context, destination.Slice(written + traceParentLineStart.Length, TraceParent.Length));
        EndLine(ref Unsafe.Add(ref to, written + traceParentLineLength), lineEnding.Length);
        written += traceParentLineLength;
        if (!traceState.IsEmpty)
        {
            added = destination.Slice(written, traceStateLineLength);
            ShortCopy.Copy(traceStateLineStart, added);
            // Normalised tracestate is printable ASCII, so each char is one byte.
            ShortCopy.Narrow(traceState, destination.Slice(written + traceStateLineStart.Length, traceState.Length));
            EndLine(ref Unsafe.Add(ref to, written + traceStateLineLength), lineEnding.Length);
            written += traceStateLineLength;
        }

        int rest = source.Length - headersEnd;
        ShortCopy.CopyMedium(source.Slice(headersEnd, rest), destination.Slice(written, rest));
#endif
        bytesWritten = length;
        return true;
    }

    /// <summary>
    /// Copies the source's bytes from <paramref name="start"/> to <paramref name="end"/> to
    /// <paramref name="written"/> in the destination and returns how many; the caller has checked both ranges.
    /// </summary>
#if NET
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CopyRun(ref byte source, int start, int end, ref byte destination, int written)
    {
        int length = end - start;
        if (length != 0)
        {
            // Usually empty (adjacent trace headers leave nothing between them), and a copy is a call.
            ShortCopy.Copy(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref source, start), length), MemoryMarshal.CreateSpan(ref Unsafe.Add(ref destination, written), length));
        }

        return length;
    }
#else
    private static int CopyRun(ReadOnlySpan<byte> source, int start, int end, Span<byte> destination, int written)
    {
        int length = end - start;
        if (length != 0)
        {
            ShortCopy.Copy(source.Slice(start, length), destination.Slice(written, length));
        }

        return length;
    }
#endif

    /// <summary>
    /// Writes <paramref name="source"/> with its trace headers replaced by <paramref name="context"/>'s
    /// to <paramref name="writer"/>. Asks the writer for <c>source.Length + </c><see cref="MaxAddedBytes"/> bytes.
    /// </summary>
    /// <param name="source">The raw SIP message.</param>
    /// <param name="context">The context to send.</param>
    /// <param name="writer">Receives the new message.</param>
    /// <param name="bytesWritten">The length of the new message, or 0 on failure.</param>
    /// <returns><c>false</c> (nothing advanced) when the context is invalid or the source is refused as by the span overload.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
    public bool TryInject(ReadOnlySpan<byte> source, in ActivityContext context, IBufferWriter<byte> writer, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> destination = writer.GetSpan(source.Length + MaxAddedBytes);
        if (!TryInject(source, context, destination, out bytesWritten))
        {
            return false;
        }

        writer.Advance(bytesWritten);
        return true;
    }

    /// <summary>
    /// Writes <paramref name="source"/> without the trace and baggage headers in <paramref name="scope"/>: for
    /// example <see cref="SipTraceHeaderScope.POTel"/> on egress from an IMS trust domain, or
    /// <see cref="SipTraceHeaderScope.All"/> for a message from an untrusted handset.
    /// </summary>
    /// <param name="source">The raw SIP message.</param>
    /// <param name="scope">Which trace headers to remove.</param>
    /// <param name="destination">Where the new message goes (at most <c>source.Length</c> bytes); must not overlap the source.</param>
    /// <param name="bytesWritten">The length of the new message, or 0 on failure.</param>
    /// <returns>
    /// <c>false</c> (the destination's contents unspecified) when the destination is too small or the
    /// source is not one whole message that <c>SipMessageReader</c> frames as this method does (see the
    /// class remarks). A caller that promised to remove the headers must not then forward the source as
    /// it is: remove them with the reader and <c>SipMessageEditor</c>, or drop the message.
    /// </returns>
    public bool TryStrip(ReadOnlySpan<byte> source, SipTraceHeaderScope scope, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
#endif
        if (TraceHeaderScanner.ScanMessage(source, _headers.Prefixes, lines, default, out _, out int headersEnd, out _, out _) != MessageFraming.WholeMessage)
        {
            return false;
        }

        // Unlike extraction, stripping also removes the baggage headers of the scope, so it walks every
        // header line rather than only the ones the trace scanner finds.
        var writer = new SpanWriter(destination);
        int copyFrom = 0;
        int startLine = ReaderFraming.StartLineOffset(source);
        int lineStart = startLine + source[startLine..].IndexOf((byte)'\n') + 1;
        while (lineStart < headersEnd)
        {
            int lineEnd = lineStart;
            do
            {
                int lf = source[lineEnd..headersEnd].IndexOf((byte)'\n');
                lineEnd = lf < 0 ? headersEnd : lineEnd + lf + 1;
            }
            while (lineEnd < headersEnd && source[lineEnd] is (byte)' ' or (byte)'\t');

            ReadOnlySpan<byte> line = source[lineStart..lineEnd];
            int colon = line.IndexOf((byte)':');
            if (colon > 0 && IsStrippedName(line[..colon].TrimEnd(" \t"u8), scope))
            {
                writer.Write(source[copyFrom..lineStart]);
                copyFrom = lineEnd;
            }

            lineStart = lineEnd;
        }

        writer.Write(source[copyFrom..]);
        if (writer.Overflowed)
        {
            return false;
        }

        bytesWritten = writer.Written;
        return true;
    }

    private bool IsStrippedName(ReadOnlySpan<byte> name, SipTraceHeaderScope scope)
    {
        for (int prefix = 0; prefix < _headers.ExtractPrefixesLower.Length; prefix++)
        {
            byte[] lower = _headers.ExtractPrefixesLower[prefix];
            if ((_headers.PrefixScopes[prefix] & scope) == 0
                || name.Length <= lower.Length
                || !Ascii.EqualsIgnoreCase(name[..lower.Length], lower))
            {
                continue;
            }

            ReadOnlySpan<byte> field = name[lower.Length..];
            if (Ascii.EqualsIgnoreCase(field, "traceparent"u8)
                || Ascii.EqualsIgnoreCase(field, "tracestate"u8)
                || Ascii.EqualsIgnoreCase(field, "baggage"u8))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the line terminator (CRLF or LF) to end just before <paramref name="lineEnd"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EndLine(ref byte lineEnd, int terminatorLength)
    {
        if (terminatorLength == 2)
        {
            Unsafe.Add(ref lineEnd, -2) = (byte)'\r';
        }

        Unsafe.Add(ref lineEnd, -1) = (byte)'\n';
    }
}
