namespace SipTraceContext.Sip.Sdp;

/// <summary>One line of an SDP body as <see cref="SdpReader"/> found it: <c>&lt;type&gt;=&lt;value&gt;</c>.</summary>
internal readonly ref struct SdpLine
{
    internal SdpLine(ReadOnlySpan<byte> raw, int offset, SdpLineError error, bool isTerminated)
    {
        Raw = raw;
        Offset = offset;
        Error = error;
        IsTerminated = isTerminated;
    }

    /// <summary>The whole line without its line break.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>The offset of the line's first byte in the body.</summary>
    public int Offset { get; }

    /// <summary>Why the line is malformed; <see cref="SdpLineError.None"/> when it is well formed.</summary>
    public SdpLineError Error { get; }

    /// <summary>Whether the line is well formed, so that <see cref="Type"/> and <see cref="Value"/> mean something.</summary>
    public bool IsValid => Error == SdpLineError.None;

    /// <summary>
    /// Whether a line break ends the line. <see langword="false"/> only for the last line of a body
    /// that stops without one (a truncated body, or a sender that omits the final CRLF).
    /// </summary>
    public bool IsTerminated { get; }

    /// <summary>The type letter (<c>v</c>, <c>o</c>, <c>m</c>, <c>a</c>, ...); <c>'\0'</c> for a malformed line.</summary>
    public char Type => IsValid ? (char)Raw[0] : '\0';

    /// <summary>The bytes after the <c>=</c>, as written (not trimmed); empty for a malformed line.</summary>
    public ReadOnlySpan<byte> Value => IsValid ? Raw[2..] : default;
}
