namespace SipTraceContext.Capture;

/// <summary>What <see cref="SipCaptureFile.Replay(Stream, HepCaptureOptions, SipCaptureFileOptions?)"/> takes from a capture file.</summary>
public sealed class SipCaptureFileOptions
{
    /// <summary>The default of <see cref="MaxTcpFlows"/>.</summary>
    public const int DefaultMaxTcpFlows = 256;

    /// <summary>
    /// The SIP ports: a UDP datagram or TCP segment is read as SIP when its source or destination port is
    /// one of them. 5060 unless set (<see cref="SipPorts"/> is replaced, not added to, when set).
    /// </summary>
    public IList<int> SipPorts { get; set; } = [5060];

    /// <summary>
    /// The capture agent id the file's messages are recorded as, as if the node's capture agent had sent
    /// them: its tracer, its <see cref="HepCaptureOptions.NodeEndPointsByAgent"/> and the
    /// <c>sip.capture.agent_id</c> tag (none for 0, the default).
    /// </summary>
    public uint CaptureAgentId { get; set; }

    /// <summary>
    /// TCP flows (one direction of a connection) reassembled at a time, each holding at most one
    /// unfinished message of at most 64 KiB; past it the least recently used flow is forgotten. 256 unless set.
    /// </summary>
    public int MaxTcpFlows { get; set; } = DefaultMaxTcpFlows;
}
