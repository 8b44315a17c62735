namespace SipTraceContext.Sip;

/// <summary>
/// A SIP message seen as its header fields: what the propagator reads trace context from and writes
/// it to. Adapt a SIP stack's message type by implementing these five members, or use
/// <see cref="SipHeaderCollection"/> (headers as a list) or <see cref="SipWireMessage"/> (raw bytes).
/// </summary>
/// <remarks>
/// Every name parameter is matched as RFC 3261 §7.3 says: case-insensitively, and a compact form
/// names the same header as its long form (<see cref="SipHeaderNames.Matches(ReadOnlySpan{char}, ReadOnlySpan{char})"/>).
/// </remarks>
public interface ISipHeaderCarrier
{
    /// <summary>All values of the header, in message order; an empty list (not a new one) when there are none.</summary>
    /// <param name="name">The header name, long or compact form, any case.</param>
    /// <returns>
    /// The values as the message holds them (a wire message returns each trimmed and unfolded);
    /// never <see langword="null"/>.
    /// </returns>
    IReadOnlyList<string> GetValues(string name);

    /// <summary>The value of the first instance of the header.</summary>
    /// <param name="name">The header name, long or compact form, any case.</param>
    /// <param name="value">The value, or <see langword="null"/> when the header is absent.</param>
    /// <returns><see langword="true"/> when the header is present.</returns>
    bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value);

    /// <summary>
    /// Replaces every instance of the header with one holding <paramref name="value"/>, in place of the
    /// first instance, or at the end when there is none.
    /// </summary>
    /// <param name="name">The header name, written as given: pass the canonical spelling.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a token, or <paramref name="value"/> holds CR, LF, NUL or another control character but HTAB.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Set is what OpenTelemetry calls its carrier setter and what SIP stacks call this operation; VB implementers can write [Set].")]
    void Set(string name, string value);

    /// <summary>Adds an instance of the header at the end of the header section.</summary>
    /// <param name="name">The header name, written as given.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a token, or <paramref name="value"/> holds CR, LF, NUL or another control character but HTAB.</exception>
    void Add(string name, string value);

    /// <summary>Removes every instance of the header.</summary>
    /// <param name="name">The header name, long or compact form, any case.</param>
    /// <returns><see langword="true"/> when an instance was removed.</returns>
    bool Remove(string name);
}
