using System.Net;
using System.Net.Sockets;
using SipTraceContext.Capture.Internal;

namespace SipTraceContext.Capture;

// HEP over TCP: the accept loop, one read loop per connection framing HEPv3 packets onto the shared
// queue, the connection limit, and the idle sweep (run by the housekeeping timer).
public sealed partial class HepCaptureListener
{
    // Connections waiting to be accepted; the limit that matters is MaxTcpConnections, checked on accept.
    private const int TcpBacklog = 128;

    // With port 0 the UDP socket picks a free port and TCP must bind the same one, which may be taken.
    private const int MaxBindAttempts = 8;

    // After a failed accept (out of descriptors, say): a pause, so that the loop does not spin.
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly HashSet<TcpConnection> _connections = [];
    private readonly object _connectionsLock = new();
    private Socket? _tcpListener;
    private long _tcpRejected;
    private bool _connectionsClosed;
    private volatile bool _stopping;

    /// <summary>
    /// How many HEP-over-TCP connections are open now (<see cref="HepCaptureOptions.Transports"/>); at most
    /// <see cref="HepCaptureOptions.MaxTcpConnections"/>. 0 without TCP.
    /// </summary>
    public int TcpConnections
    {
        get
        {
            lock (_connectionsLock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>
    /// TCP connections closed as soon as they were accepted because <see cref="HepCaptureOptions.MaxTcpConnections"/>
    /// were open (each is logged as <c>HepTcpConnectionRejected</c>, at most once a minute).
    /// </summary>
    public long TcpConnectionsRejected => Interlocked.Read(ref _tcpRejected);

    /// <summary>
    /// Binds UDP, then TCP on the port UDP got (with port 0, another free port when that one is taken for
    /// TCP), as <see cref="HepCaptureOptions.Transports"/> asks. Logs the failure and throws when either
    /// cannot be bound.
    /// </summary>
    private (Socket? Udp, Socket? Tcp) Bind()
    {
        for (int attempt = 1; ; attempt++)
        {
            Socket? udp = null;
            IPEndPoint endPoint = _bindEndPoint;
            if (_listenUdp)
            {
                try
                {
                    udp = new Socket(_bindEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    SetReceiveBuffer(udp);
                    udp.Bind(_bindEndPoint);
                    endPoint = (IPEndPoint)udp.LocalEndPoint!;
                }
                catch (Exception exception)
                {
                    udp?.Dispose();
                    CaptureLog.BindFailed(_logger, exception, _bindEndPoint + " (UDP)", (exception as SocketException)?.SocketErrorCode ?? SocketError.SocketError);
                    throw;
                }
            }

            if (!_listenTcp)
            {
                return (udp, null);
            }

            var tcp = new Socket(_bindEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(endPoint);
                tcp.Listen(TcpBacklog);
                return (udp, tcp);
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse
                && udp is not null && _bindEndPoint.Port == 0 && attempt < MaxBindAttempts)
            {
                // Any free port was asked for: the one UDP got is taken for TCP, so both try another.
                tcp.Dispose();
                udp.Dispose();
            }
            catch (Exception exception)
            {
                tcp.Dispose();
                udp?.Dispose();
                CaptureLog.BindFailed(_logger, exception, endPoint + " (TCP)", (exception as SocketException)?.SocketErrorCode ?? SocketError.SocketError);
                throw;
            }
        }
    }

    private async Task AcceptAsync(Socket listener, CancellationToken stoppingToken)
    {
#if !NET
        // StopAsync closes the socket before the token is cancelled; this covers a token cancelled otherwise.
        using CancellationTokenRegistration closeOnStop = stoppingToken.Register(static state => ((Socket)state!).Dispose(), listener);
#endif
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
#if NET
                    accepted = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
#else
                    accepted = await listener.AcceptAsync().ConfigureAwait(false);
#endif
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException) when (_stopping || stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException exception)
                {
                    // A connection reset before it was accepted, or no descriptor left: the listener is still good.
                    CaptureEventSource.Log.ReceiveFailed("accepting a TCP connection: " + exception.SocketErrorCode.ToString());
                    try
                    {
                        await Task.Delay(AcceptRetryDelay, stoppingToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    continue;
                }

                Open(accepted);
            }
        }
        finally
        {
            await CloseConnectionsAsync().ConfigureAwait(false);
        }
    }

    private void Open(Socket socket)
    {
        TcpConnection? connection = null;
        int open;
        lock (_connectionsLock)
        {
            open = _connections.Count;
            if (!_connectionsClosed && open < _maxTcpConnections)
            {
                connection = new TcpConnection(socket, _timeProvider.GetTimestamp());
                _connections.Add(connection);
            }
        }

        if (connection is null)
        {
            Reject(socket, open);
            return;
        }

        // A loop of its own: one connection's slow or partial stream never waits on another's.
        connection.Loop = Task.Run(() => ReadAsync(connection));
    }

    private void Reject(Socket socket, int open)
    {
        // Counted and logged before the close, which is what the sender sees.
        string peer = PeerText(socket);
        Interlocked.Increment(ref _tcpRejected);
        CaptureEventSource.Log.TcpConnectionRejected(peer, open);
        if (_tcpRejections.TryAcquire(out long suppressed))
        {
            try
            {
                CaptureLog.TcpConnectionRejected(_logger, peer, open, suppressed);
            }
#pragma warning disable CA1031 // A throwing logging provider must not end the accept loop.
            catch (Exception loggingFailure)
#pragma warning restore CA1031
            {
                if (CaptureEventSource.Log.IsEnabled())
                {
                    CaptureEventSource.Log.ProcessingFailed(loggingFailure.ToString());
                }
            }
        }

        socket.Dispose();
    }

    /// <summary>
    /// Reads one connection until it ends, frames its HEPv3 packets and queues a pooled copy of each, as
    /// the UDP loop queues datagrams. A stream that is not HEPv3 ends the connection: it cannot be
    /// resynchronised.
    /// </summary>
    private async Task ReadAsync(TcpConnection connection)
    {
        Socket socket = connection.Socket;
        IPAddress? peer = null;
        string reason = "closed by the sender";
        bool malformed = false;
        using var framer = new HepStreamFramer();
        try
        {
            peer = (socket.RemoteEndPoint as IPEndPoint)?.Address;
            while (true)
            {
                ArraySegment<byte> free = framer.GetFreeSpace();
                int read;
#if NET
                read = await socket.ReceiveAsync(free.AsMemory(), SocketFlags.None).ConfigureAwait(false);
#else
                read = await socket.ReceiveAsync(free, SocketFlags.None).ConfigureAwait(false);
#endif
                if (read == 0)
                {
                    break;
                }

                connection.Touch(_timeProvider.GetTimestamp());
                framer.Advance(read);
                if (!Frame(framer, peer))
                {
                    malformed = true;
                    reason = "not a HEPv3 stream";
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            reason = connection.CloseReason ?? "closed";
        }
        catch (SocketException exception)
        {
            reason = connection.CloseReason ?? exception.SocketErrorCode.ToString();
        }
#pragma warning disable CA1031 // A connection's failure must not go unobserved or take others with it.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            ProcessingFailed(exception);
            reason = "failed";
        }
        finally
        {
            // The bytes of a packet the stream ended inside of are lost: one packet, malformed.
            if (!malformed && framer.Buffered > 0)
            {
                Interlocked.Increment(ref _received);
                CaptureMetrics.Received();
                Drop(HepDropReason.Malformed);
            }

            lock (_connectionsLock)
            {
                _connections.Remove(connection);
            }

            socket.Dispose();
            if (CaptureEventSource.Log.IsEnabled())
            {
                CaptureEventSource.Log.TcpConnectionClosed(peer?.ToString() ?? "?", reason);
            }
        }
    }

    /// <summary>Queues every whole packet the framer holds; <see langword="false"/> when the stream is not HEPv3 (counted as one malformed packet).</summary>
    private bool Frame(HepStreamFramer framer, IPAddress? peer)
    {
        while (true)
        {
            switch (framer.TryRead(out ReadOnlySpan<byte> packet))
            {
                case HepStreamFramer.FrameStatus.Packet:
                    Enqueue(packet, peer);
                    break;
                case HepStreamFramer.FrameStatus.NeedMore:
                    return true;
                default:
                    Interlocked.Increment(ref _received);
                    CaptureMetrics.Received();
                    Drop(HepDropReason.Malformed);
                    return false;
            }
        }
    }

    /// <summary>Closes the connections that sent nothing for <see cref="HepCaptureOptions.TcpIdleTimeout"/>; from the housekeeping timer.</summary>
    private void CloseIdleConnections()
    {
        if (_tcpIdleTimeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        long now = _timeProvider.GetTimestamp();
        List<TcpConnection>? idle = null;
        lock (_connectionsLock)
        {
            foreach (TcpConnection connection in _connections)
            {
                if (_timeProvider.GetElapsedTime(connection.LastActivity, now) >= _tcpIdleTimeout)
                {
                    (idle ??= []).Add(connection);
                }
            }
        }

        // Outside the lock: a closed socket may end its read loop on this thread, which takes the lock.
        foreach (TcpConnection connection in idle ?? [])
        {
            connection.Close("idle");
        }
    }

    /// <summary>Closes every connection and waits for their read loops: after it nothing writes to the queue from TCP.</summary>
    private async Task CloseConnectionsAsync()
    {
        TcpConnection[] open;
        lock (_connectionsLock)
        {
            _connectionsClosed = true;
            open = [.. _connections];
        }

        foreach (TcpConnection connection in open)
        {
            connection.Close("the listener stopped");
        }

        foreach (TcpConnection connection in open)
        {
            if (connection.Loop is { } loop)
            {
                await loop.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Closes the TCP sockets at once, without waiting: from <see cref="StopAsync"/> and <see cref="Dispose"/>.</summary>
    private void CloseTcp()
    {
        _stopping = true;
        _tcpListener?.Dispose();
        TcpConnection[] open;
        lock (_connectionsLock)
        {
            open = [.. _connections];
        }

        foreach (TcpConnection connection in open)
        {
            connection.Close("the listener stopped");
        }
    }

    private static string PeerText(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString() ?? "?";
        }
        catch (SocketException)
        {
            return "?";
        }
        catch (ObjectDisposedException)
        {
            return "?";
        }
    }

    private sealed class TcpConnection(Socket socket, long opened)
    {
        private long _lastActivity = opened;
        private string? _closeReason;

        public Socket Socket { get; } = socket;

        public Task? Loop { get; set; }

        /// <summary>When it last sent a byte (or opened), a <see cref="TimeProvider"/> timestamp.</summary>
        public long LastActivity => Interlocked.Read(ref _lastActivity);

        /// <summary>Why the listener closed it; <see langword="null"/> while it did not.</summary>
        public string? CloseReason => Volatile.Read(ref _closeReason);

        public void Touch(long now) => Interlocked.Exchange(ref _lastActivity, now);

        public void Close(string reason)
        {
            _ = Interlocked.CompareExchange(ref _closeReason, reason, null);
            Socket.Dispose();
        }
    }
}
