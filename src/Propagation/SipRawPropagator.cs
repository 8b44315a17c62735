using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
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
/// Every method reads the message with <c>SipMessageReader</c> (its default limits), the one SIP reader of
/// these packages, and finds the trace headers in what it recorded, or refuses the message: a trust
/// boundary must not act on bytes that a SIP parser downstream reads differently.
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
public sealed partial class SipRawPropagator
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
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
#endif
        if (TraceHeaderFinder.ScanRaw(message, _headers.ExtractPrefixesLower, lines, out int count, out _, out _) == MessageFraming.Refused)
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
    /// Not inlined (nor is inject): inlined into a caller that calls it once, as a request handler does,
    /// the JIT runs out of inlining budget and calls even span constructors and the
    /// <see cref="ActivityContext"/> constructor.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryExtract(ReadOnlySpan<byte> message, out ActivityContext context)
    {
#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
#endif
        if (TraceHeaderFinder.ScanRaw(message, _headers.ExtractPrefixesLower, lines, out int count, out _, out _) == MessageFraming.Refused)
        {
            context = default;
            return false;
        }

        return TryExtractFrom(message, lines[..count], out context);
    }

    /// <summary>
    /// Extracts the trace context of a message that <paramref name="reader"/> has read and validated
    /// already, from the fields it recorded: as <see cref="TryExtract(ReadOnlySpan{byte}, out ActivityContext)"/>
    /// on <c>reader.Message</c>, without reading the message a second time. A message whose lines mix CRLF
    /// and bare LF, which the byte overloads refuse, is read here as the reader read it.
    /// </summary>
    /// <param name="reader">A reader over the whole message, as received.</param>
    /// <param name="context">The remote context (<see cref="ActivityContext.IsRemote"/> set), or <c>default</c>.</param>
    /// <returns>
    /// Whether a valid context was found; <c>false</c> also when the reader rejected the message.
    /// </returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryExtract(scoped in SipMessageReader reader, out ActivityContext context)
    {
#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
#endif
        if (TraceHeaderFinder.Frame(in reader) == MessageFraming.Refused || !TraceHeaderFinder.TryFind(in reader, _headers.ExtractPrefixesLower, lines, out int count))
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
    public SipRawScan Scan(ReadOnlySpan<byte> message) => new(this, message, _headers.ExtractPrefixesLower);

    /// <summary>
    /// Every header name extraction reads (traceparent and tracestate of each accepted prefix): what the
    /// call tracer renders from a carrier so that it extracts from the rendered message.
    /// </summary>
    internal IReadOnlyList<string> ExtractedHeaderNames => _headers.ExtractedNames;

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
        traceParent = default;
        return SipHeaderField.TryUnfold(value, unfolded, out int length) && TraceParent.TryParse(unfolded[..length], out traceParent);
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
            // recent strings here, inlined, which keeps the call into Normalize off this path.
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
                    if (!SipHeaderField.TryUnfold(value, joined[length..], out int unfolded))
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
}
