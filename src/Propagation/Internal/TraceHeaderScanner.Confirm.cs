#if NET
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
#else
using System.Runtime.CompilerServices;
#endif

namespace SipTraceContext.Propagation.Internal;

// Confirming a candidate trace header line: its name, its bounds, folding, and unfolding its value.
internal static partial class TraceHeaderScanner
{
#if NET
    // Case-insensitive comparisons of short ASCII words read 4 (or 2) bytes at once and set the
    // lower-case bit of each: only the upper- and lower-case forms of a letter map to that letter, so
    // this is exact for words made of letters, and cheaper than a call to the BCL's comparison.
    private const uint LowerCaseBits32 = 0x2020_2020;
    private const uint LowerCaseBits16 = 0x2020;

    // "tracepar" and "tracesta" as little-endian 8-byte words, "rent" (the end of "traceparent",
    // overlapping its "r") as a 4-byte word and "te" as a 2-byte one.
    private const ulong TracePar = 0x7261_7065_6361_7274;
    private const ulong TraceSta = 0x6174_7365_6361_7274;
    private const uint Rent = 't' << 24 | 'n' << 16 | 'e' << 8 | 'r';
    private const ushort Te = 'e' << 8 | 't';
    private const ulong LowerCaseBits64 = 0x2020_2020_2020_2020;

    // The shortest line a hit can start: "tracestate:" and a line feed.
    private const int ShortestLineFromHit = 12;

    // TryConfirm's answer, with UsualLayout, for a line that only the general reader can judge.
    private const int NeedsGeneralReader = -2;

    /// <summary>Which lines the confirmation reads itself, as a type so that each choice compiles to its own code.</summary>
    private interface ILayoutMode
    {
        /// <summary>Whether any prefix and any layout is read (with calls); otherwise only the primary prefix in the usual layout (without).</summary>
        static abstract bool IsGeneral { get; }
    }

    /// <summary>
    /// The primary prefix and the usual layout only: the confirmation loop then makes no call, so the
    /// JIT keeps its values in registers instead of saving them across calls it almost never makes.
    /// </summary>
    private readonly struct UsualLayout : ILayoutMode
    {
        public static bool IsGeneral => false;
    }

    /// <summary>Every prefix and layout.</summary>
    private readonly struct AnyLayout : ILayoutMode
    {
        public static bool IsGeneral => true;
    }

    // A traceparent line as injection writes it: after the colon a space, the value and CR, then the
    // line feed (bit 0 is the byte after the colon).
    private const int UsualTraceParentLineFeedAt = 1 + TraceParent.Length + 1;
    private const ulong UsualTraceParentLineFeed = 1UL << UsualTraceParentLineFeedAt;
    private const ulong UsualTraceParentLineFeeds = (UsualTraceParentLineFeed << 1) - 1;

    /// <summary>
    /// Confirms the trace header whose "trace" is at <paramref name="hit"/> and the trace headers on the
    /// lines right after it, recording them from <c>found[count]</c> on.
    /// </summary>
    /// <remarks>
    /// Trace headers usually come together at the end of the header section, where injection puts them.
    /// So the line right after a confirmed one is tried at once, with the same prefix length, rather
    /// than found by the pass in a block of its own, which costs leaving the pass's loop and a call.
    /// Lines confirmed this way are contiguous
    /// header lines, and a header line holds no empty line, so nothing the pass would have found between
    /// them is skipped.
    /// <para>
    /// Not inlined: the scan's loop stays small, and compiled on its own this method has the inlining
    /// budget for the line test (inlined into the scan, the JIT ran out of budget, called the line's
    /// constructor and copied the result). One call per run rather than per line, as a call costs about
    /// as much as the test of a line.
    /// </para>
    /// <para>
    /// Compiled twice: with <see cref="UsualLayout"/> (the primary prefix, the usual layout) its loop
    /// makes no call, and the first line it cannot judge hands the rest of the run, with the count so
    /// far, to the <see cref="AnyLayout"/> form. With calls in the loop (to the other prefixes and the
    /// general line reader, almost never taken) the JIT kept the loop's values on the stack.
    /// </para>
    /// </remarks>
    /// <param name="message">The message.</param>
    /// <param name="hit">The offset of the first line's "trace".</param>
    /// <param name="prefixes">The prefixes to recognise.</param>
    /// <param name="found">The lines found so far, and room for more.</param>
    /// <param name="count">How many lines <paramref name="found"/> holds from earlier runs.</param>
    /// <param name="confirmed">How many lines of this run are confirmed already (0 from the scan).</param>
    /// <param name="lineEnd">The end of this run's last confirmed line (0 when none).</param>
    /// <param name="runEnd">The end of the run's last line, when any was confirmed.</param>
    /// <returns>How many lines of the run were recorded: 0 when the hit is not a trace header, -1 when <paramref name="found"/> overflowed.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ConfirmRun<TLayout, TCopy>(
        ReadOnlySpan<byte> message,
        int hit,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        int count,
        int confirmed,
        int lineEnd,
        out int runEnd)
        where TLayout : struct, ILayoutMode
        where TCopy : struct, ICopyMode
    {
        // Lines are confirmed straight into the caller's buffer; once that is full, into a local, as a
        // line confirmed there is one too many.
        Unsafe.SkipInit(out TraceHeaderLine overflow);
        int name = hit;
        while (true)
        {
            int index = count + confirmed;
            ref TraceHeaderLine slot = ref index < found.Length ? ref found[index] : ref overflow;

            // The next line's name is found from the line end in a register, not from the line just
            // stored: the next line's reads wait for this, and a read back from memory adds a store's
            // round trip to every line of the run.
            int prefixLength = TryConfirm<TLayout, TCopy>(message, name, prefixes, ref slot, out int nextLineEnd);
            if (prefixLength == NeedsGeneralReader)
            {
                // The rest of the run, from this line, with the general reader. Handed over as the last
                // thing this method does, so that its loop has no call to keep registers across.
                return ConfirmRun<AnyLayout, TCopy>(message, name, prefixes, found, count, confirmed, lineEnd, out runEnd);
            }

            if (prefixLength < 0)
            {
                break;
            }

            if (confirmed > 0 && name - prefixLength != lineEnd)
            {
                // The next line is shorter than the last one's prefix, so the name tried lies on a later
                // line, under another prefix. That line is left to the pass, which would otherwise never
                // see the line in between.
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
    /// start, and reads the header into <paramref name="line"/> (left as it was otherwise).
    /// </summary>
    /// <remarks>Inlined into <see cref="ConfirmRun"/>, its only caller, which is compiled on its own.</remarks>
    /// <returns>
    /// The prefix's length (<paramref name="lineEnd"/> is then the line's end), -1 when the hit is not a
    /// trace header, or <see cref="NeedsGeneralReader"/> when only the general reader can tell (with
    /// <see cref="UsualLayout"/>: a prefix other than the primary one, or a line not in the usual layout).
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TryConfirm<TLayout, TCopy>(ReadOnlySpan<byte> message, int hit, TraceHeaderPrefixes prefixes, ref TraceHeaderLine line, out int lineEnd)
        where TLayout : struct, ILayoutMode
        where TCopy : struct, ICopyMode
    {
        lineEnd = 0;

        // Every read below up to the colon's offset is within these bytes: "tracestate:" and a line feed.
        if (hit + ShortestLineFromHit > message.Length)
        {
            return -1;
        }

        ref byte name = ref Unsafe.Add(ref MemoryMarshal.GetReference(message), hit);

        ulong word = BinaryPrimitives.ReadUInt64LittleEndian(Checked(ref name, 0, sizeof(ulong))) | LowerCaseBits64;
        TraceField field;
        int position;
        if (word == TracePar && (BinaryPrimitives.ReadUInt32LittleEndian(Checked(ref name, 7, sizeof(uint))) | LowerCaseBits32) == Rent)
        {
            field = TraceField.TraceParent;
            position = hit + 11;
        }
        else if (word == TraceSta && (BinaryPrimitives.ReadUInt16LittleEndian(Checked(ref name, 8, sizeof(ushort))) | LowerCaseBits16) == Te)
        {
            field = TraceField.TraceState;
            position = hit + 10;
        }
        else
        {
            return -1;
        }

        // The name must start a line: the bytes between the line feed and "trace" are a prefix.
        int prefixIndex;
        int prefixLength;
        if (TLayout.IsGeneral)
        {
            prefixIndex = prefixes.MatchBefore(message, hit, out prefixLength);
            if (prefixIndex < 0)
            {
                return -1;
            }
        }
        else if (prefixes.MatchesPrimary(message, hit, out prefixLength))
        {
            prefixIndex = 0;
        }
        else
        {
            return NeedsGeneralReader;
        }

        int lineStart = hit - prefixLength;

        // The usual layout, checked byte by byte: "name: value" and the line's end within the 64 bytes
        // after the colon (position is below hit + 12, within the message), the value with nothing to
        // trim but the one space (not checked by the copying scan), and no folding. Anything else goes
        // to the general reader, which gives the same answer for this layout; checking for it first
        // keeps this path short (it runs for every trace header of every message).
        ulong lineFeeds = (TLayout.IsGeneral ? LineFeedsToEnd(message, position) : LineFeedsFrom(message, position)) >> 1;
        if (Unsafe.Add(ref name, position - hit) == ByteColon && lineFeeds != 0)
        {
            // lineFeeds now starts after the colon; its first line feed ends the line. A traceparent
            // line usually has its fixed length (a space, the value, CRLF): its end is then taken as a
            // constant and the line feeds only confirm it, so that the next line of a run need not
            // wait for this line's vector read.
            int lineFeed = field == TraceField.TraceParent && (lineFeeds & UsualTraceParentLineFeeds) == UsualTraceParentLineFeed
                ? position + 1 + UsualTraceParentLineFeedAt
                : position + 1 + BitOperations.TrailingZeroCount(lineFeeds);
            lineEnd = lineFeed + 1;
            bool unfolded = lineEnd == message.Length || Unsafe.Add(ref name, lineEnd - hit) is not ((byte)' ' or (byte)'\t');
            if (TCopy.Copies)
            {
                // Injection reads a line's bounds only, which the general reader would give the same
                // whatever the value holds (it differs only in folded lines): the value is recorded
                // untrimmed, which spares injection the checks of the value's bounds.
                if (unfolded)
                {
                    line = new TraceHeaderLine(prefixIndex, field, lineStart, lineEnd, position + 1, lineFeed, isFolded: false);
                    return prefixLength;
                }
            }
            else
            {
                int valueStart = Unsafe.Add(ref name, position + 1 - hit) == (byte)' ' ? position + 2 : position + 1;
                int valueEnd = Unsafe.Add(ref name, lineFeed - 1 - hit) == ByteCR ? lineFeed - 1 : lineFeed;
                if (valueStart < valueEnd
                    && Unsafe.Add(ref name, valueStart - hit) is not ((byte)' ' or (byte)'\t' or ByteCR)
                    && Unsafe.Add(ref name, valueEnd - 1 - hit) is not ((byte)' ' or (byte)'\t')
                    && unfolded)
                {
                    line = new TraceHeaderLine(prefixIndex, field, lineStart, lineEnd, valueStart, valueEnd, isFolded: false);
                    return prefixLength;
                }
            }
        }

        if (!TLayout.IsGeneral)
        {
            return NeedsGeneralReader;
        }

        if (!TryReadLine(message, prefixIndex, field, lineStart, position, ref line))
        {
            return -1;
        }

        lineEnd = line.LineEnd;
        return prefixLength;
    }

#endif

    /// <summary>
    /// Reads a confirmed trace header's line in general: whitespace before the colon, a value folded
    /// over several lines, or no line feed at all (not a header).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadLine(ReadOnlySpan<byte> message, int prefixIndex, TraceField field, int lineStart, int nameEnd, ref TraceHeaderLine line)
    {
        // RFC 3261 §7.3.1: header-name HCOLON value, HCOLON = *( SP / HTAB ) ":" SWS.
        int position = nameEnd;
        while (position < message.Length && message[position] is (byte)' ' or (byte)'\t')
        {
            position++;
        }

        if (position >= message.Length || message[position] != ByteColon)
        {
            return false;
        }

        position++;
        int lineEnd = FindLineEnd(message, position, out int contentEnd, out bool folded);
        if (lineEnd < 0)
        {
            return false;
        }

        int valueStart = position;
        while (valueStart < contentEnd && message[valueStart] is (byte)' ' or (byte)'\t' or ByteCR or ByteLF)
        {
            valueStart++;
        }

        // A whitespace-only continuation line leaves a line break at the value's end: LWS, trimmed as the
        // reader trims it. (A CR not followed by LF is no line break; the framing check refuses it.)
        int valueEnd = contentEnd;
        while (valueEnd > valueStart
            && (message[valueEnd - 1] is (byte)' ' or (byte)'\t' or ByteLF || (message[valueEnd - 1] == ByteCR && message[valueEnd] == ByteLF)))
        {
            valueEnd--;
        }

        line = new TraceHeaderLine(prefixIndex, field, lineStart, lineEnd, valueStart, valueEnd, folded);
        return true;
    }

#if NET
    /// <summary>The bytes from <paramref name="offset"/> bytes past <paramref name="at"/> on; the caller has checked that <paramref name="length"/> of them are in the message.</summary>
    /// <remarks>A constant length lets the JIT drop the length checks of the reads that follow.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> Checked(ref byte at, int offset, int length) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref at, offset), length);

    /// <summary>
    /// <see cref="LineFeedsFrom"/>, also when fewer than 64 bytes are left, from the message's last 64
    /// bytes (no bits past its end): a trace header is often the last line of a message without a body
    /// (most requests and responses but INVITE's), and the general reader took it otherwise.
    /// </summary>
    /// <remarks>
    /// Only for <see cref="AnyLayout"/>, whose loop makes calls anyway: in the usual layout's loop, the
    /// extra code slows the common case, a line with 64 bytes after it (the body-less
    /// case then hands over to the general form, as for any line that form has to judge).
    /// </remarks>
    private static ulong LineFeedsToEnd(ReadOnlySpan<byte> message, int from)
    {
        const int Bytes = 64;
        if (from + Bytes <= message.Length || message.Length < Bytes || from >= message.Length)
        {
            return LineFeedsFrom(message, from);
        }

        int windowStart = message.Length - Bytes;
        return LineFeedsFrom(message, windowStart) >> (from - windowStart);
    }

    /// <summary>
    /// One bit per byte of the 64 from <paramref name="from"/> (bit 0 first) for the line feeds among
    /// them; all zero when fewer than 64 bytes are left or vectors are not accelerated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LineFeedsFrom(ReadOnlySpan<byte> message, int from)
    {
        const int Bytes = 64;
        if (from + Bytes > message.Length)
        {
            return 0;
        }

        ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(message), from);
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512.Equals(Vector512.LoadUnsafe(ref at), Vector512.Create(ByteLF)).ExtractMostSignificantBits();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> lineFeed = Vector256.Create(ByteLF);
            return Vector256.Equals(Vector256.LoadUnsafe(ref at), lineFeed).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(Vector256.LoadUnsafe(ref at, (nuint)Vector256<byte>.Count), lineFeed).ExtractMostSignificantBits() << Vector256<byte>.Count);
        }

        return 0;
    }
#endif

    /// <summary>The offset of the first line feed at or after <paramref name="from"/>, or -1.</summary>
    /// <remarks>
    /// A request's start line, and a header line's next line, usually end within 64 bytes, so one
    /// inlined window read answers it; the BCL's search is a call, which costs more than the compares here.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOfLineFeed(ReadOnlySpan<byte> message, int from)
    {
#if NET
        ulong bits = LineFeedsFrom(message, from);
        if (bits != 0)
        {
            return from + BitOperations.TrailingZeroCount(bits);
        }
#endif

        int index = message[from..].IndexOf(ByteLF);
        return index < 0 ? -1 : from + index;
    }

    /// <summary>
    /// Finds the end of the header line starting its value at <paramref name="from"/>, following
    /// continuation lines. Returns the offset past the final terminator, or -1 if there is none.
    /// </summary>
    private static int FindLineEnd(ReadOnlySpan<byte> message, int from, out int contentEnd, out bool folded)
    {
        folded = false;
        int position = from;
        while (true)
        {
            int lf = IndexOfLineFeed(message, position);
            if (lf < 0)
            {
                contentEnd = -1;
                return -1;
            }

            int next = lf + 1;
            if (next < message.Length && message[next] is (byte)' ' or (byte)'\t')
            {
                folded = true;
                position = next;
                continue;
            }

            contentEnd = lf > from && message[lf - 1] == ByteCR ? lf - 1 : lf;
            return next;
        }
    }
}
