using System.Buffers;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip;

/// <summary>
/// Writes a SIP message with header edits applied (remove, set, add) to a <see cref="Span{T}"/> or an
/// <see cref="IBufferWriter{T}"/>, in one pass and without allocating.
/// </summary>
/// <remarks>
/// <para>
/// Every byte the edits do not touch is copied unchanged: the start line, the other header lines
/// (their case, folding and line ends), the empty line, the body and anything after it. A removed or
/// replaced header line goes whole, continuation lines and line break included. Written lines are
/// <c>Name: value</c> followed by CRLF.
/// </para>
/// <para>
/// Names must be RFC 3261 tokens and values must not hold CR, LF, NUL or any other control byte but
/// HTAB, so no value can end its line early and smuggle a header in. A bad edit writes nothing and
/// returns a <see cref="SipEditError"/>; input never makes the editor throw.
/// </para>
/// <para>The destination must not overlap the source.</para>
/// </remarks>
internal static class SipMessageEditor
{
    private const int SeparatorLength = 2; // ": ".Length
    private const int LineBreakLength = 2; // "\r\n".Length

    private static ReadOnlySpan<byte> Separator => ": "u8;

    private static ReadOnlySpan<byte> LineBreak => "\r\n"u8;

    /// <summary>
    /// An upper bound on the size of the edited message: the source plus every line the edits may
    /// write. Enough for any <c>TryApply</c> destination.
    /// </summary>
    /// <param name="messageLength">The source message length.</param>
    /// <param name="edits">The edits.</param>
    /// <returns>The bound in bytes.</returns>
    public static int GetMaxOutputLength(int messageLength, scoped in SipHeaderEditList edits)
    {
        long total = messageLength;
        for (int i = 0; i < edits.Count; i++)
        {
            SipHeaderEdit edit = edits[i];
            if (edit.Kind != SipHeaderEditKind.Remove)
            {
                total += edit.Name.Length + SeparatorLength + edit.MaxValueLength + LineBreakLength;
            }
        }

        return (int)Math.Min(total, Array.MaxLength);
    }

    /// <summary>Checks a header value for what the editor refuses: CR, LF, NUL or another control byte but HTAB.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> when the value can be written as a header value.</returns>
    public static bool IsValidHeaderValue(ReadOnlySpan<byte> value) => SipGrammar.IsValidValue(value);

    /// <summary>Checks a header value for what the editor refuses: CR, LF, NUL or another control character but HTAB.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> when the value can be written as a header value.</returns>
    public static bool IsValidHeaderValue(ReadOnlySpan<char> value) => SipGrammar.IsValidValue(value);

    /// <summary>Reads <paramref name="message"/> with the default limits and writes it with <paramref name="edits"/> applied.</summary>
    /// <param name="message">The source message.</param>
    /// <param name="edits">The edits, applied in order.</param>
    /// <param name="destination">Where to write; must not overlap <paramref name="message"/>.</param>
    /// <param name="bytesWritten">The length of the edited message, or 0 on failure.</param>
    /// <param name="error">Why nothing was written, or <see cref="SipEditError.None"/>.</param>
    /// <returns><see langword="true"/> when the edited message was written.</returns>
    public static bool TryApply(ReadOnlySpan<byte> message, scoped in SipHeaderEditList edits, Span<byte> destination, out int bytesWritten, out SipEditError error)
    {
        SipMessageReader reader = new(message);
        return TryApply(reader, edits, destination, out bytesWritten, out error);
    }

    /// <summary>Writes the message <paramref name="reader"/> has read with <paramref name="edits"/> applied, without reading it again.</summary>
    /// <param name="reader">The source message, already read.</param>
    /// <param name="edits">The edits, applied in order.</param>
    /// <param name="destination">Where to write; must not overlap the source.</param>
    /// <param name="bytesWritten">The length of the edited message, or 0 on failure.</param>
    /// <param name="error">Why nothing was written, or <see cref="SipEditError.None"/>.</param>
    /// <returns><see langword="true"/> when the edited message was written.</returns>
    /// <remarks>On failure the contents of <paramref name="destination"/> are unspecified.</remarks>
    public static bool TryApply(scoped in SipMessageReader reader, scoped in SipHeaderEditList edits, Span<byte> destination, out int bytesWritten, out SipEditError error)
    {
        error = Validate(reader, edits);
        if (error != SipEditError.None)
        {
            bytesWritten = 0;
            return false;
        }

        error = Write(reader, edits, destination, out bytesWritten);
        if (error != SipEditError.None)
        {
            bytesWritten = 0;
            return false;
        }

        return true;
    }

    /// <summary>Reads <paramref name="message"/> with the default limits and writes it with <paramref name="edits"/> applied.</summary>
    /// <param name="message">The source message.</param>
    /// <param name="edits">The edits, applied in order.</param>
    /// <param name="destination">Where to write; advanced only on success.</param>
    /// <param name="bytesWritten">The length of the edited message, or 0 on failure.</param>
    /// <param name="error">Why nothing was written, or <see cref="SipEditError.None"/>.</param>
    /// <returns><see langword="true"/> when the edited message was written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is <see langword="null"/>.</exception>
    public static bool TryApply(ReadOnlySpan<byte> message, scoped in SipHeaderEditList edits, IBufferWriter<byte> destination, out int bytesWritten, out SipEditError error)
    {
        SipMessageReader reader = new(message);
        return TryApply(reader, edits, destination, out bytesWritten, out error);
    }

    /// <summary>Writes the message <paramref name="reader"/> has read with <paramref name="edits"/> applied.</summary>
    /// <param name="reader">The source message, already read.</param>
    /// <param name="edits">The edits, applied in order.</param>
    /// <param name="destination">Where to write; advanced only on success.</param>
    /// <param name="bytesWritten">The length of the edited message, or 0 on failure.</param>
    /// <param name="error">Why nothing was written, or <see cref="SipEditError.None"/>.</param>
    /// <returns><see langword="true"/> when the edited message was written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is <see langword="null"/>.</exception>
    public static bool TryApply(scoped in SipMessageReader reader, scoped in SipHeaderEditList edits, IBufferWriter<byte> destination, out int bytesWritten, out SipEditError error)
    {
        ArgumentNullException.ThrowIfNull(destination);
        error = Validate(reader, edits);
        if (error != SipEditError.None)
        {
            bytesWritten = 0;
            return false;
        }

        Span<byte> span = destination.GetSpan(GetMaxOutputLength(reader.Message.Length, edits));
        error = Write(reader, edits, span, out bytesWritten);
        if (error != SipEditError.None)
        {
            bytesWritten = 0;
            return false;
        }

        destination.Advance(bytesWritten);
        return true;
    }

    private static SipEditError Validate(scoped in SipMessageReader reader, scoped in SipHeaderEditList edits)
    {
        if (!reader.HeadersComplete)
        {
            return SipEditError.InvalidMessage;
        }

        for (int i = 0; i < edits.Count; i++)
        {
            SipHeaderEdit edit = edits[i];
            if (!SipGrammar.IsToken(edit.Name))
            {
                return SipEditError.InvalidHeaderName;
            }

            if (edit.Kind != SipHeaderEditKind.Remove && edit.Writer is null && !SipGrammar.IsValidValue(edit.Value))
            {
                return SipEditError.InvalidHeaderValue;
            }
        }

        return SipEditError.None;
    }

    private static SipEditError Write(scoped in SipMessageReader reader, scoped in SipHeaderEditList edits, Span<byte> destination, out int bytesWritten)
    {
        ReadOnlySpan<byte> source = reader.Message;
        int written = 0;
        int copyFrom = 0;
        int placed = 0; // bit i set: edit i (a Set) has written its line in place of a removed one.
        SipEditError error;

        // The first letters (case folded, modulo 64) of every name a Remove or Set looks for: a line
        // whose first letter is not among them is skipped without comparing it with each edit.
        // An Add-only list sets no bit and compares nothing.
        ulong firstLetters = 0;
        for (int i = 0; i < edits.Count; i++)
        {
            SipHeaderEdit edit = edits[i];
            if (edit.Kind != SipHeaderEditKind.Add)
            {
                firstLetters |= 1ul << ((edit.Name[0] | 0x20) & 63);
                if (!edit.AlternateName.IsEmpty)
                {
                    firstLetters |= 1ul << ((edit.AlternateName[0] | 0x20) & 63);
                }
            }
        }

        if (firstLetters != 0)
        {
            SipHeaderEnumerator lines = reader.Headers;
            while (lines.MoveNextLine(out int lineStart, out int lineEnd))
            {
                ReadOnlySpan<byte> line = source[lineStart..lineEnd];
                if ((firstLetters & (1ul << ((line[0] | 0x20) & 63))) == 0)
                {
                    continue;
                }

                bool drop = false;
                int setIndex = -1;
                for (int i = 0; i < edits.Count; i++)
                {
                    SipHeaderEdit edit = edits[i];
                    if (edit.Kind == SipHeaderEditKind.Add || !edit.AppliesToLine(line))
                    {
                        continue;
                    }

                    drop = true;
                    if (setIndex < 0 && edit.Kind == SipHeaderEditKind.Set && (placed & (1 << i)) == 0)
                    {
                        setIndex = i;
                    }
                }

                if (!drop)
                {
                    continue;
                }

                if (!TryCopy(source[copyFrom..lineStart], destination, ref written))
                {
                    bytesWritten = 0;
                    return SipEditError.DestinationTooSmall;
                }

                copyFrom = lineEnd;
                if (setIndex >= 0)
                {
                    placed |= 1 << setIndex;
                    error = WriteLine(edits[setIndex], destination, ref written);
                    if (error != SipEditError.None)
                    {
                        bytesWritten = 0;
                        return error;
                    }
                }
            }
        }

        int headersEnd = reader.HeadersEnd;
        if (!TryCopy(source[copyFrom..headersEnd], destination, ref written))
        {
            bytesWritten = 0;
            return SipEditError.DestinationTooSmall;
        }

        for (int i = 0; i < edits.Count; i++)
        {
            SipHeaderEdit edit = edits[i];
            if (edit.Kind == SipHeaderEditKind.Add || (edit.Kind == SipHeaderEditKind.Set && (placed & (1 << i)) == 0))
            {
                error = WriteLine(edit, destination, ref written);
                if (error != SipEditError.None)
                {
                    bytesWritten = 0;
                    return error;
                }
            }
        }

        if (!TryCopy(source[headersEnd..], destination, ref written))
        {
            bytesWritten = 0;
            return SipEditError.DestinationTooSmall;
        }

        bytesWritten = written;
        return SipEditError.None;
    }

    // message-header = header-name HCOLON header-value CRLF; written in the common form "Name: value".
    private static SipEditError WriteLine(scoped in SipHeaderEdit edit, Span<byte> destination, ref int written)
    {
        if (!TryCopy(edit.Name, destination, ref written) || !TryCopy(Separator, destination, ref written))
        {
            return SipEditError.DestinationTooSmall;
        }

        if (edit.Writer is null)
        {
            if (!TryCopy(edit.Value, destination, ref written))
            {
                return SipEditError.DestinationTooSmall;
            }
        }
        else
        {
            int room = destination.Length - written - LineBreakLength;
            if (room < 0)
            {
                return SipEditError.DestinationTooSmall;
            }

            Span<byte> valueDestination = destination.Slice(written, Math.Min(room, edit.MaxValueLength));
            if (!edit.Writer(edit.State, valueDestination, out int valueLength))
            {
                return room < edit.MaxValueLength ? SipEditError.DestinationTooSmall : SipEditError.ValueWriterFailed;
            }

            // A writer is user code: hold it to the same rules as a literal value.
            if ((uint)valueLength > (uint)valueDestination.Length)
            {
                return SipEditError.ValueWriterFailed;
            }

            if (!SipGrammar.IsValidValue(valueDestination[..valueLength]))
            {
                return SipEditError.InvalidHeaderValue;
            }

            written += valueLength;
        }

        return TryCopy(LineBreak, destination, ref written) ? SipEditError.None : SipEditError.DestinationTooSmall;
    }

    private static bool TryCopy(ReadOnlySpan<byte> bytes, Span<byte> destination, ref int written)
    {
        if (!bytes.TryCopyTo(destination[written..]))
        {
            return false;
        }

        written += bytes.Length;
        return true;
    }
}
