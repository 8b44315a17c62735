namespace SipTraceContext.Sip;

/// <summary>
/// A SIP message's headers and start line: what the call tracer needs to tell requests from
/// responses and to name spans.
/// </summary>
public interface ISipMessageCarrier : ISipHeaderCarrier
{
    /// <summary>Whether the message is a request (<see langword="false"/> for a response).</summary>
    bool IsRequest { get; }

    /// <summary>The request method, for example <c>INVITE</c>; <see langword="null"/> for a response.</summary>
    string? Method { get; }

    /// <summary>The Request-URI; <see langword="null"/> for a response.</summary>
    string? RequestUri { get; }

    /// <summary>The status code of a response; 0 for a request.</summary>
    int StatusCode { get; }

    /// <summary>The reason phrase of a response; <see langword="null"/> for a request.</summary>
    string? ReasonPhrase { get; }
}
