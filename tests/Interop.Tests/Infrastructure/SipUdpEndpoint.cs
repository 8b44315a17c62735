using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>A datagram as it arrived, with the peer that sent it.</summary>
internal sealed record ReceivedDatagram(byte[] Data, IPEndPoint From);

/// <summary>
/// A UDP socket on 127.0.0.1 for the test's own SIP elements: a receive loop feeding a channel,
/// every datagram in and out recorded in the <see cref="SipTranscript"/>.
/// </summary>
internal sealed class SipUdpEndpoint : IDisposable
{
    private const int MaxDatagram = 65_535;

    private readonly Socket _socket;
    private readonly Channel<ReceivedDatagram> _received = Channel.CreateUnbounded<ReceivedDatagram>();
    private readonly CancellationTokenSource _stop = new();
    private readonly SipTranscript _transcript;
    private readonly Task _loop;

    public SipUdpEndpoint(string name, SipTranscript transcript)
    {
        Name = name;
        _transcript = transcript;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public string Name { get; }

    public IPEndPoint LocalEndPoint { get; }

    public int Port => LocalEndPoint.Port;

    public async Task SendAsync(ReadOnlyMemory<byte> message, IPEndPoint to)
    {
        _transcript.Record(Name, received: false, to, message.Span);
        await _socket.SendToAsync(message, SocketFlags.None, to).ConfigureAwait(false);
    }

    /// <summary>
    /// The next datagram that <paramref name="match"/> accepts (others are skipped; the transcript has
    /// them), or an exception naming <paramref name="what"/> when none arrives in time.
    /// </summary>
    public async Task<ReceivedDatagram> ReceiveAsync(string what, TimeSpan timeout, Func<ReceivedDatagram, bool>? match = null)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                ReceivedDatagram datagram = await _received.Reader.ReadAsync(cancellation.Token).ConfigureAwait(false);
                if (match is null || match(datagram))
                {
                    return datagram;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: no {what} within {timeout.TotalSeconds:F1} s.");
        }
    }

    /// <summary>The next datagram, or null when none arrives in time.</summary>
    public async Task<ReceivedDatagram?> TryReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancellation.CancelAfter(timeout);
        try
        {
            return await _received.Reader.ReadAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // The loop ends with the socket; its exception is not the test's concern.
        }

        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[MaxDatagram];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // ICMP port unreachable from an earlier send to a peer that had gone: not our message.
                continue;
            }

            byte[] data = buffer.AsSpan(0, result.ReceivedBytes).ToArray();
            var from = (IPEndPoint)result.RemoteEndPoint;
            _transcript.Record(Name, received: true, from, data);
            await _received.Writer.WriteAsync(new ReceivedDatagram(data, from)).ConfigureAwait(false);
        }

        _received.Writer.TryComplete();
    }
}
