#if !NET
namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// netstandard2.0: the scan one offset at a time, with the entry points of the vector build
/// (TraceHeaderScanner.cs, TraceHeaderScanner.Framing.cs), whose block types and static abstract
/// members the netstandard2.0 runtimes cannot run.
/// </summary>
/// <remarks>
/// Each offset is tested as the vector pass tests the offsets after its last block
/// (<see cref="IsTraceCandidate"/>, <see cref="IsEndCandidate"/>), and each hit is confirmed as the
/// vector build's general form confirms it (the prefix before "trace", then <see cref="TryReadLine"/>):
/// its usual-layout shortcut gives the same lines and exists only for speed, so it is left out. The
/// one thing that shortcut changes, the value bounds of the copying scan (untrimmed there), is read by
/// no caller of that scan: injection reads a line's start and end only.
/// </remarks>
internal static partial class TraceHeaderScanner
{
    /// <summary>
    /// <see cref="TryScan(ReadOnlySpan{byte}, TraceHeaderPrefixes, Span{TraceHeaderLine}, out int, out int, out ReadOnlySpan{byte})"/>,
    /// also copying the bytes it reads to <paramref name="copy"/> at the same offsets as it goes.
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="prefixes">The name prefixes to recognise, in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="copy">Empty, or at least as long as <paramref name="message"/>; must not overlap it.</param>
    /// <param name="count">How many lines were found.</param>
    /// <param name="headersEnd">Offset of the empty line that ends the header section.</param>
    /// <param name="lineEnding">The message's line terminator, CRLF or LF.</param>
    /// <param name="copiedEnd">
    /// On success with a copy, how many of the first bytes of <paramref name="copy"/> are the message's:
    /// at least up to the first trace header's line, or to <paramref name="headersEnd"/> when there is none.
    /// </param>
    /// <returns><c>false</c> when the message has no complete header section or too many trace headers.</returns>
    public static bool TryScan(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding,
        out int copiedEnd) =>
        TryScan(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd, startLine: 0);

    /// <summary>The scan (no copy) from the start line at <paramref name="startLine"/>.</summary>
    private static bool TryScanFrom(ReadOnlySpan<byte> message, int startLine, TraceHeaderPrefixes prefixes, Span<TraceHeaderLine> found, out int count, out int headersEnd, out ReadOnlySpan<byte> lineEnding) =>
        TryScan(message, prefixes, found, default, out count, out headersEnd, out lineEnding, out _, startLine);

    /// <summary>The scan, from the start line at <paramref name="startLine"/>.</summary>
    private static bool TryScan(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding,
        out int copiedEnd,
        int startLine)
    {
        count = 0;
        headersEnd = -1;
        lineEnding = default;
        copiedEnd = 0;
        if (!copy.IsEmpty && copy.Length < message.Length)
        {
            throw new ArgumentException("A copy must have room for the whole message.", nameof(copy));
        }

        int startLineEnd = IndexOfLineFeed(message, startLine);
        if (startLineEnd <= startLine)
        {
            return false;
        }

        bool crlf = message[startLineEnd - 1] == ByteCR;
        lineEnding = crlf ? "\r\n"u8 : "\n"u8;
        return ScanHeaderSection(message, prefixes, found, copy, startLineEnd, crlf ? 2 : 1, ref count, out headersEnd, out copiedEnd);
    }

    /// <summary>
    /// Scans <paramref name="message"/> for its trace headers after the blank lines the reader skips,
    /// and checks that the reader frames the message as the scan did (<see cref="ReaderFraming"/>).
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="prefixes">The name prefixes to recognise, in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="copy">Empty, or at least as long as <paramref name="message"/>; must not overlap it.</param>
    /// <param name="count">How many lines were found.</param>
    /// <param name="headersEnd">Offset of the empty line that ends the header section.</param>
    /// <param name="lineEnding">The message's line terminator, CRLF or LF.</param>
    /// <param name="copiedEnd">As for the copying scan.</param>
    /// <returns>How far the message may be acted on.</returns>
    public static MessageFraming ScanMessage(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding,
        out int copiedEnd)
    {
        int startLine = ReaderFraming.StartLineOffset(message);
        if (startLine < 0
            || !TryScan(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd, startLine))
        {
            count = 0;
            headersEnd = -1;
            lineEnding = default;
            copiedEnd = 0;
            return MessageFraming.Refused;
        }

        MessageFraming framing = ReaderFraming.Check(message, startLine, headersEnd, lineEnding.Length == 2);
        if (framing == MessageFraming.Refused)
        {
            count = 0;
            headersEnd = -1;
            copiedEnd = 0;
        }

        return framing;
    }

    /// <summary>The pass, from the start line's line feed: the vector pass with one offset per block.</summary>
    private static bool ScanHeaderSection(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        int next,
        int terminatorOffset,
        ref int count,
        out int headersEnd,
        out int copiedEnd)
    {
        bool copies = !copy.IsEmpty;
        copiedEnd = 0;
        if (copies)
        {
            ShortCopy.Copy(message[..next], copy);
        }

        int skipTo = next;
        int copiedUpTo = -1;
        while (true)
        {
            if (next >= message.Length)
            {
                // No empty line: the header section is incomplete.
                headersEnd = -1;
                return false;
            }

            int offset = next;
            bool hit = IsTraceCandidate(message, offset);
            bool lineEnd = IsEndCandidate(message, offset, terminatorOffset);
            if (copies)
            {
                copy[offset] = message[offset];
            }

            next++;
            int end = -1;
            if (lineEnd && (terminatorOffset == 1 || message[offset + 1] == ByteCR))
            {
                // The empty line starts after this line feed: nothing at this offset is a header.
                hit = false;
                end = offset + 1;
            }

            if (hit && offset >= skipTo)
            {
                int confirmed = ConfirmRun(message, offset, prefixes, found, count, out int runEnd);
                if (confirmed < 0)
                {
                    headersEnd = -1;
                    return false;
                }

                if (confirmed > 0)
                {
                    count += confirmed;
                    skipTo = runEnd;
                    if (IsEmptyLineAt(message, skipTo, terminatorOffset))
                    {
                        end = skipTo;
                    }
                    else if (skipTo - 1 > next)
                    {
                        // Resume at the last line's line feed; the bytes skipped are not copied.
                        copiedUpTo = copies && copiedUpTo < 0 ? next : copiedUpTo;
                        next = skipTo - 1;
                    }
                }
            }

            if (end >= 0)
            {
                headersEnd = end;
                copiedEnd = copies ? (copiedUpTo >= 0 ? copiedUpTo : next) : 0;
                return true;
            }
        }
    }

    /// <summary>Whether the empty line (a line terminator on its own) starts at <paramref name="offset"/>.</summary>
    private static bool IsEmptyLineAt(ReadOnlySpan<byte> message, int offset, int terminatorOffset) =>
        terminatorOffset == 1
            ? (uint)offset < (uint)message.Length && message[offset] == ByteLF
            : (uint)(offset + 1) < (uint)message.Length && message[offset] == ByteCR && message[offset + 1] == ByteLF;

    /// <summary>
    /// Confirms the trace header whose "trace" is at <paramref name="hit"/> and the trace headers on the
    /// lines right after it, recording them from <c>found[count]</c> on (the vector build's general form).
    /// </summary>
    /// <returns>How many lines were recorded: 0 when the hit is not a trace header, -1 when <paramref name="found"/> overflowed.</returns>
    private static int ConfirmRun(ReadOnlySpan<byte> message, int hit, TraceHeaderPrefixes prefixes, Span<TraceHeaderLine> found, int count, out int runEnd)
    {
        TraceHeaderLine overflow = default;
        int confirmed = 0;
        int lineEnd = 0;
        int name = hit;
        while (true)
        {
            int index = count + confirmed;
            ref TraceHeaderLine slot = ref index < found.Length ? ref found[index] : ref overflow;
            int prefixLength = TryConfirm(message, name, prefixes, ref slot, out int nextLineEnd);
            if (prefixLength < 0)
            {
                break;
            }

            if (confirmed > 0 && name - prefixLength != lineEnd)
            {
                // The name tried lies on a later line, under another prefix: left to the pass.
                break;
            }

            if (index == found.Length)
            {
                runEnd = 0;
                return -1;
            }

            confirmed++;
            lineEnd = nextLineEnd;
            name = lineEnd + prefixLength;
            if ((uint)name >= (uint)message.Length || (message[name] | LowerCaseBit) != 't')
            {
                break;
            }
        }

        runEnd = lineEnd;
        return confirmed;
    }

    /// <summary>
    /// Confirms that the candidate "trace" at <paramref name="hit"/> ends a recognised prefix at a line
    /// start, and reads the header into <paramref name="line"/>.
    /// </summary>
    /// <returns>The prefix's length (<paramref name="lineEnd"/> is then the line's end), or -1 when the hit is not a trace header.</returns>
    private static int TryConfirm(ReadOnlySpan<byte> message, int hit, TraceHeaderPrefixes prefixes, ref TraceHeaderLine line, out int lineEnd)
    {
        lineEnd = 0;

        // "tracestate:" and a line feed at least, as in the vector build.
        const int ShortestLineFromHit = 12;
        if (hit + ShortestLineFromHit > message.Length)
        {
            return -1;
        }

        ReadOnlySpan<byte> name = message.Slice(hit, ShortestLineFromHit);
        TraceField field;
        int position;
        if (IsLetters(name, "traceparent"u8))
        {
            field = TraceField.TraceParent;
            position = hit + 11;
        }
        else if (IsLetters(name, "tracestate"u8))
        {
            field = TraceField.TraceState;
            position = hit + 10;
        }
        else
        {
            return -1;
        }

        int prefixIndex = prefixes.MatchBefore(message, hit, out int prefixLength);
        if (prefixIndex < 0 || !TryReadLine(message, prefixIndex, field, hit - prefixLength, position, ref line))
        {
            return -1;
        }

        lineEnd = line.LineEnd;
        return prefixLength;
    }

    /// <summary>Whether <paramref name="bytes"/> starts with <paramref name="lowerCaseWord"/> in any letter case.</summary>
    private static bool IsLetters(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> lowerCaseWord)
    {
        for (int i = 0; i < lowerCaseWord.Length; i++)
        {
            if ((bytes[i] | LowerCaseBit) != lowerCaseWord[i])
            {
                return false;
            }
        }

        return true;
    }
}
#endif
