using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SipTraceContext.Capture;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// Stands between the capture agents and a <see cref="HepCaptureListener"/>: forwards every datagram
/// unchanged, one at a time in the order it came, and keeps what a test needs of each (capture agent,
/// SIP ports, capture time, start line, CSeq, To tag, Vias). A test can then count one message's
/// copies per node and direction from the nodes' known sockets without setting a
/// <see cref="HepCaptureOptions.DirectionResolver"/>, which would replace the direction rules under
/// test; and the transcript of a failing test shows the order the packets reached the listener in.
/// </summary>
internal sealed class HepRelay : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IPEndPoint _target;
    private readonly SipTranscript _transcript;
    private readonly ConcurrentQueue<HepCopy> _copies = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private HepRelay(Socket socket, IPEndPoint target, SipTranscript transcript)
    {
        _socket = socket;
        _target = target;
        _transcript = transcript;
        _loop = Task.Run(RelayAsync);
    }

    /// <summary>Every packet relayed so far, in arrival order.</summary>
    public IReadOnlyList<HepCopy> Copies => [.. _copies];

    /// <summary>Binds <paramref name="listen"/> (where the agents send) and relays to <paramref name="target"/> (the listener).</summary>
    public static HepRelay Start(IPEndPoint listen, IPEndPoint target, SipTranscript transcript)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = 4 * 1024 * 1024;
            socket.Bind(listen);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new HepRelay(socket, target, transcript);
    }

    private async Task RelayAsync()
    {
        byte[] buffer = new byte[65_535];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        int index = 0;
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            HepCopy? copy = HepCopy.Read(++index, buffer.AsSpan(0, result.ReceivedBytes));
            if (copy is not null)
            {
                _copies.Enqueue(copy);
                _transcript.Note($"HEP {copy}");
            }

            try
            {
                await _socket.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, _target, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>One captured copy as the relay saw it.</summary>
/// <param name="Index">Its place in arrival order (1 = first).</param>
/// <param name="AgentId">The capture agent id (HEP chunk 12).</param>
/// <param name="CaptureTime">The capture time the agent stamped.</param>
/// <param name="SourcePort">The SIP message's source port.</param>
/// <param name="DestinationPort">Its destination port.</param>
/// <param name="StartLine">The SIP start line.</param>
/// <param name="Method">The request's method, or <see langword="null"/> for a response.</param>
/// <param name="Status">The response's status code, or 0 for a request.</param>
/// <param name="CSeq">The CSeq value (<c>1 INVITE</c>).</param>
/// <param name="ToTag">The To tag, empty when none.</param>
/// <param name="Vias">Each Via without its protocol, top first, joined by <c> | </c> (<c>127.0.0.1:5060;branch=z9hG4bK...</c>).</param>
internal sealed record HepCopy(int Index, uint AgentId, DateTimeOffset CaptureTime, int SourcePort, int DestinationPort, string StartLine, string? Method, int Status, string CSeq, string ToTag, string Vias)
{
    /// <summary>The HEP datagram as it came, to send again.</summary>
    public byte[] Datagram { get; init; } = [];

    /// <summary>The method of the CSeq (<c>INVITE</c> of <c>1 INVITE</c>).</summary>
    public string CSeqMethod => CSeq.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? string.Empty;

    public static HepCopy? Read(int index, ReadOnlySpan<byte> datagram)
    {
        if (HepPacket.Decode(datagram, out HepPacket hep) != HepDecodeStatus.Ok)
        {
            return null;
        }

        string text = Encoding.UTF8.GetString(hep.Payload);
        string[] lines = text.Split("\r\n");
        string startLine = lines[0];
        string? method = null;
        int status = 0;
        if (startLine.StartsWith("SIP/2.0 ", StringComparison.Ordinal))
        {
            _ = int.TryParse(startLine.AsSpan(8, Math.Min(3, startLine.Length - 8)), NumberStyles.None, CultureInfo.InvariantCulture, out status);
        }
        else
        {
            method = startLine.Split(' ')[0];
        }

        string cseq = string.Empty;
        string toTag = string.Empty;
        var vias = new List<string>();
        foreach (string line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                break;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Via", StringComparison.OrdinalIgnoreCase) || name.Equals("v", StringComparison.OrdinalIgnoreCase))
            {
                // "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK..;rport" -> "127.0.0.1:5060;branch=z9hG4bK..;rport":
                // the parameters whole, as the Via rule compares them.
                foreach (string via in value.Split(','))
                {
                    string[] parts = via.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
                    vias.Add(parts.Length > 1 ? parts[1].Trim() : parts[0]);
                }
            }
            else if (name.Equals("CSeq", StringComparison.OrdinalIgnoreCase))
            {
                cseq = value;
            }
            else if (name.Equals("To", StringComparison.OrdinalIgnoreCase) || name.Equals("t", StringComparison.OrdinalIgnoreCase))
            {
                int tag = value.IndexOf(";tag=", StringComparison.OrdinalIgnoreCase);
                if (tag >= 0)
                {
                    string rest = value[(tag + 5)..];
                    int end = rest.IndexOfAny([';', ' ', '>']);
                    toTag = end < 0 ? rest : rest[..end];
                }
            }
        }

        return new HepCopy(index, hep.CaptureAgentId, hep.Timestamp, hep.SourcePort, hep.DestinationPort, startLine, method, status, cseq, toTag, string.Join(" | ", vias))
        {
            Datagram = datagram.ToArray(),
        };
    }

    public override string ToString() =>
        $"#{Index} agent {AgentId} at {CaptureTime:HH:mm:ss.ffffff} :{SourcePort} -> :{DestinationPort} {StartLine} (CSeq {CSeq}{(ToTag.Length > 0 ? ", To tag " + ToTag : string.Empty)}) Via {Vias}";
}
