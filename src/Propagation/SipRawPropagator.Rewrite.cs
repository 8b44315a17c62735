using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SipTraceContext.Propagation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation;

// Inject and strip: writing a message with its trace headers replaced or removed.
public sealed partial class SipRawPropagator
{
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
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
#endif
        if (TraceHeaderFinder.ScanRaw(source, _headers.ExtractPrefixesLower, lines, out int count, out int headersEnd, out ReadOnlySpan<byte> lineEnding) != MessageFraming.WholeMessage)
        {
            SipPropagationEventSource.Log.InjectFailed(NotOneWholeMessage);
            return false;
        }

        return TryInjectFrom(source, lines[..count], headersEnd, lineEnding, context, destination, out bytesWritten);
    }

    /// <summary>
    /// Writes <paramref name="source"/> with the trace headers <paramref name="found"/> in it replaced by
    /// <paramref name="context"/>'s, whose ids the caller has checked.
    /// </summary>
    /// <param name="source">The raw message.</param>
    /// <param name="found">Its trace header lines.</param>
    /// <param name="headersEnd">The offset of its empty line.</param>
    /// <param name="lineEnding">Its line terminator.</param>
    /// <param name="context">The context to send.</param>
    /// <param name="destination">Where the new message goes.</param>
    /// <param name="bytesWritten">The length of the new message, or 0 on failure.</param>
    internal bool TryInjectFrom(
        ReadOnlySpan<byte> source,
        ReadOnlySpan<TraceHeaderLine> found,
        int headersEnd,
        ReadOnlySpan<byte> lineEnding,
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
                return TryInjectNormalisingTraceState(source, found, headersEnd, lineEnding, context, traceState, destination, out bytesWritten);
            }

            // A string extracted from the last hop (a proxy forwards the context it received) or
            // injected before (a span's tracestate goes out on every message of its call): already a
            // normalised list within budget, so it is written as it is.
            knownTraceState = traceState;
        }

        // One call site, so the write is inlined once.
        return TryWriteMessage(source, found, headersEnd, lineEnding, context, knownTraceState, destination, out bytesWritten);
    }

    /// <summary><see cref="TryInjectFrom"/> for a tracestate that has to be validated and trimmed to the budget first.</summary>
    /// <remarks>Apart, because it allocates on the stack: the common path stays small and cheap to enter.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryInjectNormalisingTraceState(
        ReadOnlySpan<byte> source,
        ReadOnlySpan<TraceHeaderLine> found,
        int headersEnd,
        ReadOnlySpan<byte> lineEnding,
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

            return TryWriteMessage(source, found, headersEnd, lineEnding, context, normalised[..length], destination, out bytesWritten);
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
    /// piece goes to an offset held in a local. Since the length and the lines' order are checked up
    /// front, the pieces are sliced without a check each.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryWriteMessage(
        ReadOnlySpan<byte> source,
        ReadOnlySpan<TraceHeaderLine> found,
        int headersEnd,
        ReadOnlySpan<byte> lineEnding,
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
        // order within the header section, as the finder records them: checked here, where it costs
        // three compares a line, rather than trusted.
        int removed = 0;
        int previousEnd = 0;
        bool inOrder = (uint)headersEnd <= (uint)source.Length;
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

        // The message up to the empty line without the old trace header lines, then the new lines.
#if NET
        ref byte from = ref MemoryMarshal.GetReference(source);
#endif
        ref byte to = ref MemoryMarshal.GetReference(destination);
        int written = 0;
        int position = 0;
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
        var reader = new SipMessageReader(source);
#if NET
        Unsafe.SkipInit(out TraceHeaderLines buffer);
        Span<TraceHeaderLine> lines = buffer;
#else
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
#endif

        // Refused as inject refuses it: the same message, the same answer from every raw API.
        if (TraceHeaderFinder.FrameRaw(in reader, out _) != MessageFraming.WholeMessage
            || !TraceHeaderFinder.TryFind(in reader, _headers.ExtractPrefixesLower, lines, out _))
        {
            return false;
        }

        // Unlike extraction, stripping also removes the baggage headers of the scope, so it walks every
        // header field the reader recorded.
        var writer = new SpanWriter(destination);
        int copyFrom = 0;
        SipHeaderEnumerator fields = reader.Headers;
        while (fields.MoveNextLine(out int lineStart, out int lineEnd))
        {
            ReadOnlySpan<byte> line = source[lineStart..lineEnd];
            int colon = line.IndexOf((byte)':');
            if (IsStrippedName(line[..colon].TrimEnd(" \t"u8), scope))
            {
                writer.Write(source[copyFrom..lineStart]);
                copyFrom = lineEnd;
            }
        }

        writer.Write(source[copyFrom..]);
        if (writer.Overflowed)
        {
            return false;
        }

        bytesWritten = writer.Written;
        return true;
    }

    /// <summary>
    /// <see cref="TryInject(ReadOnlySpan{byte}, in ActivityContext, Span{byte}, out int)"/> that also removes every
    /// trace and baggage header in <paramref name="strip"/>, in the same pass: what <see cref="TryStrip"/> then
    /// <c>TryInject</c> write, without the message in between (the IMS hop from an untrusted side).
    /// </summary>
    /// <returns>
    /// <see langword="false"/> as either of those would, and when the lines to remove are more than
    /// <see cref="TraceHeaderFinder.MaxTraceHeaders"/> (the caller then takes its fail-closed path).
    /// </returns>
    internal bool TryStripAndInject(ReadOnlySpan<byte> source, SipTraceHeaderScope strip, in ActivityContext context, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!TraceParent.HasValidIds(context))
        {
            SipPropagationEventSource.Log.InjectFailed("invalid context");
            return false;
        }

#if NET
        Unsafe.SkipInit(out TraceHeaderLines foundBuffer);
        Unsafe.SkipInit(out TraceHeaderLines removedBuffer);
        Span<TraceHeaderLine> found = foundBuffer;
        Span<TraceHeaderLine> removed = removedBuffer;
#else
        Span<TraceHeaderLine> found = stackalloc TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
        Span<TraceHeaderLine> removed = stackalloc TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
#endif
        var reader = new SipMessageReader(source);
        if (TraceHeaderFinder.FrameRaw(in reader, out ReadOnlySpan<byte> lineEnding) != MessageFraming.WholeMessage
            || !TraceHeaderFinder.TryFind(in reader, _headers.ExtractPrefixesLower, found, out int count))
        {
            SipPropagationEventSource.Log.InjectFailed(NotOneWholeMessage);
            return false;
        }

        // The lines to remove, in message order: the trace headers inject replaces (the ones found) and every
        // header of the scope, baggage included, from one walk over the fields the reader recorded.
        found = found[..count];
        int next = 0;
        int removing = 0;
        SipHeaderEnumerator fields = reader.Headers;
        while (fields.MoveNextLine(out int lineStart, out int lineEnd))
        {
            bool traceHeader = next < found.Length && found[next].LineStart == lineStart;
            next += traceHeader ? 1 : 0;
            ReadOnlySpan<byte> line = source[lineStart..lineEnd];
            int colon = line.IndexOf((byte)':');
            if (traceHeader || IsStrippedName(line[..colon].TrimEnd(" \t"u8), strip))
            {
                if (removing == removed.Length)
                {
                    SipPropagationEventSource.Log.InjectFailed("too many trace header lines");
                    return false;
                }

                removed[removing++] = new TraceHeaderLine(0, default, lineStart, lineEnd, lineEnd, lineEnd, isFolded: false);
            }
        }

        return TryInjectFrom(source, removed[..removing], reader.HeadersEnd, lineEnding, context, destination, out bytesWritten);
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
