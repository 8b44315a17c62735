namespace SipTraceContext.Sip;

/// <summary>
/// Writes a header value straight into the edited message, so a value such as a traceparent can be
/// formatted in place instead of into a temporary buffer first.
/// </summary>
/// <param name="state">The bytes passed with the edit (for example the raw ids to format); may be empty.</param>
/// <param name="destination">Where to write the value; at most the edit's maximum value length.</param>
/// <param name="bytesWritten">The number of bytes written.</param>
/// <returns><see langword="false"/> when the value does not fit in <paramref name="destination"/>.</returns>
/// <remarks>
/// Use a static lambda or a static method so no closure is allocated. What is written is checked like
/// any other value: a control byte other than HTAB fails the edit.
/// </remarks>
internal delegate bool SipHeaderValueWriter(ReadOnlySpan<byte> state, Span<byte> destination, out int bytesWritten);
