using SipTraceContext.Sip;

namespace SipTraceContext.Propagation.Internal;

/// <summary>The scan of a message that <see cref="SipMessageReader"/> has read already.</summary>
internal static partial class TraceHeaderScanner
{
    /// <summary>
    /// Finds the trace headers of the message <paramref name="reader"/> has read, trusting its
    /// validation instead of checking the framing again (<see cref="ReaderFraming"/>).
    /// </summary>
    /// <remarks>
    /// The reader has refused every bare CR and control byte and checked its grammar and limits, and
    /// both it and the scan end a line at its line feed, so they read the same lines. Only the end of
    /// the header section can differ (the reader accepts CRLF and bare LF mixed; the scan follows the
    /// start line's): the scan is used exactly when it ends the section where the reader does.
    /// </remarks>
    /// <param name="reader">A reader over the whole input.</param>
    /// <param name="prefixes">The name prefixes to recognise, in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="count">How many lines were found.</param>
    /// <returns>How far the message may be acted on, as <see cref="ScanMessage"/> answers it.</returns>
    public static MessageFraming ScanReadMessage(scoped in SipMessageReader reader, TraceHeaderPrefixes prefixes, Span<TraceHeaderLine> found, out int count)
    {
        ReadOnlySpan<byte> message = reader.Message;
        if (!reader.HeadersComplete
            || reader.Status is SipParseStatus.Malformed or SipParseStatus.LimitExceeded
            || ReaderFraming.StartLineOffset(message) is var startLine && startLine < 0
            || !TryScanFrom(message, startLine, prefixes, found, out count, out int headersEnd, out _)
            || headersEnd != reader.HeadersEnd)
        {
            count = 0;
            return MessageFraming.Refused;
        }

        return reader.IsComplete && reader.MessageLength == message.Length ? MessageFraming.WholeMessage : MessageFraming.HeaderSection;
    }
}
