using SipTraceContext.Capture.Internal;

namespace SipTraceContext.Capture;

/// <summary>
/// Turns a packet capture (pcap or pcapng, as tcpdump, tshark and Wireshark write them) into traces: the
/// SIP messages in it are replayed, with their capture timestamps, through the pipeline of a
/// <see cref="HepCaptureListener"/>, so that they produce the spans and metrics a live HEP feed of the same
/// messages would.
/// </summary>
/// <remarks>
/// <para>
/// A capture file is one node's: each SIP message in it (a UDP datagram, or a message cut from a TCP
/// stream by its Content-Length) goes to the call tracer of <see cref="SipCaptureFileOptions.CaptureAgentId"/>
/// as if that node's capture agent had mirrored it, through the listener's own rules: the direction
/// rules (a message from a <see cref="HepCaptureOptions.NodeEndPoints"/> entry was sent, one to it was
/// received; then the node's Via; then <see cref="HepCaptureOptions.DefaultDirection"/>; there is no HEP
/// sender address), the reorder window and the span tags. When node endpoints are configured, a message
/// with neither side among them is another hop's and skipped.
/// </para>
/// <para>
/// Links: Ethernet (with 802.1Q / 802.1ad tags), Linux cooked capture v1 and v2 (<c>tcpdump -i any</c>),
/// raw IP, BSD loopback. IPv4 and IPv6; fragments are counted and skipped. UDP and TCP on the
/// <see cref="SipCaptureFileOptions.SipPorts"/>.
/// </para>
/// <para>
/// Bounded and fail-closed: one frame buffer of at most 260 KiB (a longer record or block ends the
/// reading with <see cref="SipCaptureReplayResult.Error"/>), at most <see cref="SipCaptureFileOptions.MaxTcpFlows"/>
/// TCP flows of at most 64 KiB each, and the listener's own bounds. A frame that cannot be decoded is
/// counted and skipped; no exception escapes for one. The replay runs on the calling thread, on a clock
/// that stands at each message's capture time (timers do not fire); at the end, calls still open end as
/// at a listener's stop, at the last capture time.
/// </para>
/// </remarks>
public static class SipCaptureFile
{
    /// <summary>Replays a capture file.</summary>
    /// <param name="path">The pcap or pcapng file.</param>
    /// <param name="options">The listener's options: node endpoints, tracer options, reorder window (its address and port are not used).</param>
    /// <param name="fileOptions">The SIP ports and the capture agent id; the defaults when <see langword="null"/>.</param>
    /// <returns>What was read, recorded and skipped.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A port of <see cref="SipCaptureFileOptions.SipPorts"/> or <see cref="SipCaptureFileOptions.MaxTcpFlows"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A value in <paramref name="options"/> is invalid, as <see cref="HepCaptureListener"/>'s constructor says.</exception>
    /// <exception cref="InvalidDataException">The file is not a pcap or pcapng file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SipCaptureReplayResult Replay(string path, HepCaptureOptions options, SipCaptureFileOptions? fileOptions)
    {
        ArgumentNullException.ThrowIfNull(path);
        using FileStream stream = File.OpenRead(path);
        return Replay(stream, options, fileOptions);
    }

    /// <summary>Replays a capture read from a stream (from where it stands to its end).</summary>
    /// <param name="capture">The pcap or pcapng bytes.</param>
    /// <param name="options">The listener's options: node endpoints, tracer options, reorder window (its address and port are not used).</param>
    /// <param name="fileOptions">The SIP ports and the capture agent id; the defaults when <see langword="null"/>.</param>
    /// <returns>What was read, recorded and skipped.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="capture"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A port of <see cref="SipCaptureFileOptions.SipPorts"/> or <see cref="SipCaptureFileOptions.MaxTcpFlows"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A value in <paramref name="options"/> is invalid, as <see cref="HepCaptureListener"/>'s constructor says.</exception>
    /// <exception cref="InvalidDataException">The stream does not start as a pcap or pcapng file.</exception>
    /// <exception cref="IOException">The stream cannot be read.</exception>
    public static SipCaptureReplayResult Replay(Stream capture, HepCaptureOptions options, SipCaptureFileOptions? fileOptions)
    {
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentNullException.ThrowIfNull(options);
        fileOptions ??= new SipCaptureFileOptions();
        var ports = new HashSet<int>();
        foreach (int port in fileOptions.SipPorts ?? [])
        {
            if (port is < 1 or > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(fileOptions), port, "A SIP port is from 1 to 65535.");
            }

            ports.Add(port);
        }

        if (fileOptions.MaxTcpFlows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fileOptions), fileOptions.MaxTcpFlows, "MaxTcpFlows is at least 1.");
        }

        CaptureFileReader reader = CaptureFileReader.Open(capture);
        var clock = new ReplayClock(DateTimeOffset.UnixEpoch);
        var replay = new Replayer(ports, fileOptions.CaptureAgentId, fileOptions.MaxTcpFlows, clock);
        using (var listener = new HepCaptureListener(options, clock))
        {
            replay.Listener = listener;
            while (reader.TryRead())
            {
                replay.Frame(reader.LinkType, reader.Frame, reader.Timestamp);
            }

            listener.FinishReplay();
            replay.Result.Recorded = listener.PacketsRecorded;
            replay.Result.Dropped = listener.PacketsDropped;
        }

        replay.Result.Frames += reader.FramesSkipped;
        replay.Result.Skipped += reader.FramesSkipped;
        replay.Result.TcpBytesDiscarded = replay.Tcp.BytesDiscarded;
        replay.Result.Error = reader.Error;
        return replay.Result;
    }

    private sealed class Replayer(HashSet<int> ports, uint agentId, int maxTcpFlows, ReplayClock clock)
    {
        private static readonly SipStreamReassembler.MessageHandler<Replayer> s_onTcpMessage = static (replay, message) => replay.Message(message);

        // The segment a TCP message was completed by: its addresses, ports and time.
        private byte[] _source = [];
        private byte[] _destination = [];
        private ushort _sourcePort;
        private ushort _destinationPort;
        private DateTimeOffset _time;

        public HepCaptureListener Listener { get; set; } = null!;

        public SipCaptureReplayResult Result { get; } = new();

        public SipStreamReassembler Tcp { get; } = new(maxTcpFlows);

        public void Frame(int linkType, ReadOnlySpan<byte> frame, DateTimeOffset timestamp)
        {
            Result.Frames++;
            FrameSkip skip = CapturedPacket.Decode(linkType, frame, out CapturedPacket packet);
            if (skip == FrameSkip.None && !ports.Contains(packet.SourcePort) && !ports.Contains(packet.DestinationPort))
            {
                skip = FrameSkip.OtherPort;
            }

            if (skip != FrameSkip.None)
            {
                if (skip == FrameSkip.Fragment)
                {
                    Result.Fragments++;
                }
                else
                {
                    Result.Skipped++;
                }

                return;
            }

            clock.AdvanceTo(timestamp);
            _time = timestamp;
            _sourcePort = packet.SourcePort;
            _destinationPort = packet.DestinationPort;
            Keep(ref _source, packet.SourceAddress);
            Keep(ref _destination, packet.DestinationAddress);
            if (packet.Protocol == CapturedPacket.ProtocolUdp)
            {
                Message(packet.Payload, udp: true);
            }
            else
            {
                Tcp.Add(in packet, this, s_onTcpMessage);
            }
        }

        private void Message(ReadOnlySpan<byte> message, bool udp = false)
        {
            // A UDP datagram is one message; keep-alives and what is not SIP are skipped.
            int firstLine = message.IndexOf((byte)'\n');
            if (firstLine < 0 || message.Slice(0, firstLine).IndexOf("SIP/2.0"u8) < 0
                || !Listener.IsNodeTraffic(agentId, _source, _sourcePort, _destination, _destinationPort))
            {
                Result.Skipped++;
                return;
            }

            Result.Messages++;
            byte protocol = udp ? CapturedPacket.ProtocolUdp : CapturedPacket.ProtocolTcp;
            if (!Listener.IngestCaptured(message, _source, _sourcePort, _destination, _destinationPort, protocol, _time, agentId))
            {
                Result.Skipped++;
            }
        }

        private static void Keep(ref byte[] target, ReadOnlySpan<byte> address)
        {
            if (target.Length != address.Length)
            {
                target = new byte[address.Length];
            }

            address.CopyTo(target);
        }
    }
}
