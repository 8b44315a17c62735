namespace SipTraceContext.Capture;

/// <summary>What a replay of a capture file read, recorded and skipped.</summary>
public sealed class SipCaptureReplayResult
{
    internal SipCaptureReplayResult()
    {
    }

    /// <summary>Frames (packets) read from the file, skipped ones included.</summary>
    public long Frames { get; internal set; }

    /// <summary>SIP messages found on the SIP ports (UDP datagrams, messages cut from TCP streams) and to or from the node.</summary>
    public long Messages { get; internal set; }

    /// <summary>Messages handed to a call tracer (as <see cref="HepCaptureListener.PacketsRecorded"/> counts them).</summary>
    public long Recorded { get; internal set; }

    /// <summary>
    /// Messages the listener's pipeline dropped (as <see cref="HepCaptureListener.PacketsDropped"/> counts
    /// them): <see cref="HepDropReason.ProcessingError"/> when recording one threw,
    /// <see cref="HepDropReason.TooManyAgents"/>. 0 when every message found was recorded.
    /// </summary>
    public long Dropped { get; internal set; }

    /// <summary>IPv4 and IPv6 fragments, skipped: fragments are not reassembled.</summary>
    public long Fragments { get; internal set; }

    /// <summary>
    /// Frames skipped for another reason: a link type or protocol other than Ethernet (802.1Q), Linux
    /// cooked (SLL, SLL2), raw IP or loopback, IPv4, IPv6, UDP and TCP; neither port a SIP port; a frame
    /// captured shorter than its packet; no timestamp; a datagram that is not a SIP message; a message
    /// between two endpoints neither of which is the node's (when node endpoints are configured).
    /// </summary>
    public long Skipped { get; internal set; }

    /// <summary>TCP bytes thrown away: after a segment that was not captured, in a message longer than 64 KiB, in data that is not SIP.</summary>
    public long TcpBytesDiscarded { get; internal set; }

    /// <summary>
    /// Why the reading stopped before the end of the file (it ends inside a frame, or a length in it is
    /// impossible or beyond the bounds); <see langword="null"/> when the whole file was read. What was read
    /// before is replayed.
    /// </summary>
    public string? Error { get; internal set; }
}
