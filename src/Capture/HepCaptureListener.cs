using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SipTraceContext.Capture.Internal;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture;

/// <summary>
/// A hosted UDP (and optionally TCP) listener for HEP (Homer) capture packets: it decodes each one and feeds the SIP message
/// in it to a <see cref="SipCallTracer"/> of the capture agent that sent it, with the capture timestamp,
/// so that the spans are the spans of the node that saw the messages, timed as it saw them.
/// </summary>
/// <remarks>
/// <para>
/// One socket task receives datagrams into a pooled buffer each and puts them on a bounded queue; a
/// consumer task decodes and records them in arrival order. With <see cref="HepCaptureOptions.ConsumerCount"/>
/// above 1 there are that many queues and consumers, and every packet of a capture agent goes to the same
/// one (by its agent id), so each agent's packets are still recorded in arrival order, one at a time,
/// while different agents' are recorded in parallel. When a queue is full a packet is dropped
/// (<see cref="HepCaptureOptions.QueueFullMode"/>) and counted, so memory stays bounded whatever the
/// capture rate. Every dropped packet counts in <see cref="PacketsDropped"/> and in the
/// <c>sip.capture.packet.dropped</c> metric by reason; so do the datagrams the kernel dropped because the
/// socket's receive buffer was full (<see cref="HepDropReason.SocketBuffer"/>), on Linux, where the
/// kernel tells (read from /proc/net/udp every second and when the listener stops).
/// </para>
/// <para>
/// With <see cref="HepTransports.Tcp"/> in <see cref="HepCaptureOptions.Transports"/> it also accepts TCP
/// connections on the same address and port. Each connection has a read loop of its own that cuts the
/// stream into HEPv3 packets by their length field, in one buffer of at most 64 KiB, and puts a pooled
/// copy of each on the same queue, as from UDP (a full queue drops them the same way): a slow sender or
/// a half-sent packet holds up only its own connection. A stream that does not start each packet with
/// <c>HEP3</c> and a length of at least 6 is closed and counts one <see cref="HepDropReason.Malformed"/>
/// packet, as do the bytes of a packet a connection ends inside of. At most
/// <see cref="HepCaptureOptions.MaxTcpConnections"/> are open (more are closed on accept and counted in
/// <see cref="TcpConnectionsRejected"/>); one that sends nothing for
/// <see cref="HepCaptureOptions.TcpIdleTimeout"/> is closed; stopping closes them all.
/// </para>
/// <para>
/// Memory is bounded for the whole listener, not per agent: at most
/// <see cref="HepCaptureOptions.MaxCaptureAgents"/> tracers, each tracking its share of
/// <see cref="HepCaptureOptions.MaxTrackedCalls"/>; an agent that sends nothing for
/// <see cref="HepCaptureOptions.CaptureAgentIdleTimeout"/> is released (its live calls evicted) and its
/// slot freed.
/// </para>
/// <para>
/// Direction: a capture agent mirrors what its node received and what it sent, and HEP does not say which.
/// In this order, for each agent on its own: <see cref="HepCaptureOptions.DirectionResolver"/> when set;
/// a source among the agent's <see cref="HepCaptureOptions.NodeEndPointsByAgent"/>, then among
/// <see cref="HepCaptureOptions.NodeEndPoints"/>, means sent, a destination among them means received
/// (when exactly one side matches); the node's own Via: of two copies of a message one Via apart, the
/// one with the node's Via on top is a request it sent or a response it received, and the node's sent-by
/// learnt from such pairs decides later copies; when exactly one of the SIP source and destination
/// addresses is the address the HEP datagram came from (agents run on their node), that side is the
/// node; otherwise <see cref="HepCaptureOptions.DefaultDirection"/>.
/// </para>
/// <para>
/// The span a message starts (an INVITE's setup span, a BYE's teardown span) gets the capture agent id
/// (<c>sip.capture.agent_id</c>), the other hop's address and port (<c>network.peer.address</c>,
/// <c>network.peer.port</c>) and the node's own (<c>network.local.address</c>, <c>network.local.port</c>).
/// </para>
/// <para>
/// Logs (the <see cref="ILogger{TCategoryName}"/> given, none without one): the address it listens on; a
/// failure to bind, with the address, before <see cref="StartAsync"/> throws (a host then fails to start:
/// a capture server that captures nothing must not look healthy); a packet whose processing threw, with
/// the exception, the first at once and then at most one a minute with the count held back (each such
/// packet is dropped as <see cref="HepDropReason.ProcessingError"/>); and once a minute, when packets
/// were dropped since the last time, how many by reason (and the rest when it stops).
/// </para>
/// </remarks>
public sealed partial class HepCaptureListener : BackgroundService
{
    // The largest UDP payload: a datagram is received whole or not at all.
    private const int MaxDatagramLength = HepStreamFramer.MaxPacketLength;
    private const int MaxSpanTags = 5;

    // How often kernel drops are read and idle agents looked for.
    private static readonly TimeSpan HousekeepingInterval = TimeSpan.FromSeconds(1);

    // How often, at most, a repeated failure is logged and drops are summed up in the log.
    internal static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private static readonly HepDropReason[] s_dropReasons = Enum.GetValues<HepDropReason>();

    private static ReadOnlySpan<byte> InviteStart => "INVITE "u8;
    private static ReadOnlySpan<byte> ByeStart => "BYE "u8;

    private readonly IPEndPoint _bindEndPoint;
    private readonly ConsumerShard[] _shards;
    private readonly TimeProvider _timeProvider;
    private readonly SipCallTracerOptions _tracerOptions;
    private readonly NodeEndPoint[] _nodeEndPoints;
    private readonly Dictionary<uint, NodeEndPoint[]> _nodeEndPointsByAgent;
    private readonly HepDirectionResolver? _directionResolver;
    private readonly SipDirection _defaultDirection;
    private readonly byte[]? _authKey;
    private readonly int _maxCaptureAgents;
    private readonly TimeSpan _agentIdleTimeout;
    private readonly int _requestedReceiveBufferSize;
    private readonly TimeSpan _reorderWindow;
    private readonly int _queueCapacity;
    private readonly bool _listenUdp;
    private readonly bool _listenTcp;
    private readonly int _maxTcpConnections;
    private readonly TimeSpan _tcpIdleTimeout;
    private readonly Dictionary<uint, CaptureNode> _nodes = [];
    private readonly object _nodesLock = new();
    private readonly object _kernelDropsLock = new();
    private readonly long[] _dropped = new long[s_dropReasons.Length];
    private readonly ILogger _logger;
    private readonly LogRateLimiter _processingErrors;
    private readonly LogRateLimiter _resolverErrors;
    private readonly LogRateLimiter _housekeepingErrors;
    private readonly LogRateLimiter _tcpRejections;

    // The drop counts as of the last drop summary in the log, and when it was; under the lock.
    private readonly long[] _droppedLogged = new long[s_dropReasons.Length];
    private readonly object _dropSummaryLock = new();
    private long _lastDropSummary;
    private Socket? _socket;
    private ITimer? _housekeeping;
    private KernelDropReader? _kernelDrops;
    private long _kernelDropsSeen;
    private int _housekeepingRunning;
    private long _received;
    private long _recorded;
    private bool _nodesClosed;

    /// <summary>Creates a listener; it binds its socket when the host starts it.</summary>
    /// <param name="options">The options; read once, here.</param>
    /// <param name="timeProvider">The clock of the call tracers (timers), of packets without a timestamp and of the log's rate limits; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where the listener logs its address, a bind failure, processing failures and drop summaries; nothing is logged when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or one of its required values is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value in <paramref name="options"/> is out of range.</exception>
    /// <exception cref="ArgumentException">
    /// <see cref="HepCaptureOptions.Address"/> is not an IP address, or an entry of
    /// <see cref="HepCaptureOptions.NodeEndPoints"/> is not one with an optional port.
    /// </exception>
    public HepCaptureListener(HepCaptureOptions options, TimeProvider? timeProvider = null, ILogger<HepCaptureListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<HepCaptureListener>.Instance;
        _processingErrors = new LogRateLimiter(_timeProvider, LogInterval);
        _resolverErrors = new LogRateLimiter(_timeProvider, LogInterval);
        _housekeepingErrors = new LogRateLimiter(_timeProvider, LogInterval);
        _tcpRejections = new LogRateLimiter(_timeProvider, LogInterval);
        _bindEndPoint = new IPEndPoint(options.ParseAddress(), options.Port);
        // Each agent's share of the listener's call budget; a lower per-tracer limit still applies.
        _tracerOptions = options.Tracer.Clone();
        _tracerOptions.MaxTrackedCalls = Math.Min(options.Tracer.MaxTrackedCalls, Math.Max(1, options.MaxTrackedCalls / options.MaxCaptureAgents));
        _agentIdleTimeout = options.CaptureAgentIdleTimeout;
        _requestedReceiveBufferSize = options.ReceiveBufferSize;
        _nodeEndPoints = ToNodeEndPoints(options.ParseNodeEndPoints());
        _nodeEndPointsByAgent = options.ParseNodeEndPointsByAgent().ToDictionary(a => a.Key, a => ToNodeEndPoints(a.Value));
        _directionResolver = options.DirectionResolver;
        _defaultDirection = options.DefaultDirection;
        _authKey = options.AuthKey is null ? null : System.Text.Encoding.UTF8.GetBytes(options.AuthKey);
        _maxCaptureAgents = options.MaxCaptureAgents;
        _reorderWindow = options.ReorderWindow;
        _reorderWindowTimestamp = (long)(_reorderWindow.Ticks * (double)_timeProvider.TimestampFrequency / TimeSpan.TicksPerSecond);
        _queueCapacity = options.QueueCapacity;
        _listenUdp = (options.Transports & HepTransports.Udp) != 0;
        _listenTcp = (options.Transports & HepTransports.Tcp) != 0;
        _maxTcpConnections = options.MaxTcpConnections;
        _tcpIdleTimeout = options.TcpIdleTimeout;
        _shards = new ConsumerShard[options.ConsumerCount];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new ConsumerShard(CreateQueue(options.QueueCapacity, options.QueueFullMode));
        }
    }

    /// <summary>
    /// The address and port the listener is bound to once started (the actual port when 0 was configured:
    /// UDP and TCP share it); <see langword="null"/> before.
    /// </summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>
    /// The UDP socket's receive buffer size in bytes as the OS reports it once started (after asking for
    /// <see cref="HepCaptureOptions.ReceiveBufferSize"/>); <see langword="null"/> before, and without UDP. Linux reports twice
    /// what it grants (the other half is its bookkeeping) and grants at most <c>net.core.rmem_max</c>.
    /// </summary>
    public int? ReceiveBufferSize { get; private set; }

    /// <summary>
    /// HEP packets the listener read: UDP datagrams and packets framed from TCP streams, dropped ones
    /// included (not those the kernel dropped before, see <see cref="HepDropReason.SocketBuffer"/>; a TCP
    /// stream cut short or not HEPv3 counts one packet).
    /// </summary>
    public long PacketsReceived => Interlocked.Read(ref _received);

    /// <summary>SIP messages handed to a call tracer.</summary>
    public long PacketsRecorded => Interlocked.Read(ref _recorded);

    /// <summary>
    /// Packets dropped for any reason (see <see cref="GetPacketsDropped"/>): the sum of
    /// <c>sip.capture.packet.dropped</c>, so one number says whether captures are lost. Kernel drops
    /// (<see cref="HepDropReason.SocketBuffer"/>) are in it but not in <see cref="PacketsReceived"/>.
    /// </summary>
    public long PacketsDropped
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _dropped.Length; i++)
            {
                total += Interlocked.Read(ref _dropped[i]);
            }

            return total;
        }
    }

    /// <summary>How many capture agents have a call tracer now (idle ones are released, see <see cref="HepCaptureOptions.CaptureAgentIdleTimeout"/>).</summary>
    public int CaptureAgents
    {
        get
        {
            lock (_nodesLock)
            {
                return _nodes.Count;
            }
        }
    }

    /// <summary>Packets dropped for one reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The count since the listener was created.</returns>
    public long GetPacketsDropped(HepDropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    /// <summary>The call tracer of a capture agent, once a packet of it was recorded; else <see langword="null"/>.</summary>
    /// <param name="captureAgentId">The capture agent id (0 for packets without one).</param>
    /// <returns>The tracer, owned by the listener (disposed when it stops or the agent is released as idle).</returns>
    public SipCallTracer? GetTracer(uint captureAgentId)
    {
        lock (_nodesLock)
        {
            return _nodes.TryGetValue(captureAgentId, out CaptureNode? node) ? node.Tracer : null;
        }
    }

    /// <summary>Binds the UDP socket, then the TCP one on the same port (as <see cref="HepCaptureOptions.Transports"/> asks), then starts receiving.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The start.</returns>
    /// <exception cref="SocketException">
    /// The address and port cannot be bound (in use, not an address of this host, not permitted), for UDP
    /// or for TCP (with port 0, TCP binds the port UDP got, or both try another free port). The failure is
    /// logged with the address and transport first. Thrown rather than swallowed so that a host fails to
    /// start instead of running without capturing anything.
    /// </exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        (Socket? socket, Socket? tcpListener) = Bind();
        _socket = socket;
        _tcpListener = tcpListener;
        LocalEndPoint = (IPEndPoint?)(socket ?? tcpListener)?.LocalEndPoint;
        string listening = (LocalEndPoint?.ToString() ?? _bindEndPoint.ToString()) + " over " + (_listenUdp ? (_listenTcp ? "UDP and TCP" : "UDP") : "TCP");
        CaptureEventSource.Log.Listening(listening);
        CaptureLog.Listening(_logger, listening);
        CaptureMetrics.RecordZeros();
        lock (_dropSummaryLock)
        {
            _lastDropSummary = _timeProvider.GetTimestamp();
        }

        if (socket is not null)
        {
            _kernelDrops = KernelDropReader.TryCreate(socket, out string? unavailable);
            if (unavailable is not null)
            {
                CaptureEventSource.Log.KernelDropsUnavailable(unavailable);
            }
        }

        _housekeeping = _timeProvider.CreateTimer(static state => ((HepCaptureListener)state!).Housekeep(), this, HousekeepingInterval, HousekeepingInterval);
        StartReorderTimer();
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Stops receiving (closing the TCP connections), records what is already queued, ends the tracers' open spans, logs the drops not logged yet.</summary>
    /// <param name="cancellationToken">Stops waiting for the queue to drain.</param>
    /// <returns>The stop.</returns>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _housekeeping?.Dispose();

        // The last kernel drops are read while the socket still exists.
        PollKernelDrops();

        // Closing the socket ends a receive in progress at once, on every platform.
        _socket?.Dispose();
        CloseTcp();
        try
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // After the queue drained: its packets may have been dropped too.
            LogDrops(force: true);
        }
    }

    /// <summary>Releases the socket, the tracers and the metrics.</summary>
    public override void Dispose()
    {
        base.Dispose();
        _housekeeping?.Dispose();
        _reorderTimer?.Dispose();
        _socket?.Dispose();
        CloseTcp();
        CloseNodes();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_socket is null && _tcpListener is null)
        {
            throw new InvalidOperationException("StartAsync binds the socket first.");
        }

        Task[] consumers = [.. _shards.Select(shard => Task.Run(() => ConsumeAsync(shard), CancellationToken.None))];
        try
        {
            // The accept loop returns once every connection's read loop has: nothing writes after.
            Task udp = _socket is null ? Task.CompletedTask : ReceiveAsync(_socket, stoppingToken);
            Task tcp = _tcpListener is null ? Task.CompletedTask : AcceptAsync(_tcpListener, stoppingToken);
            await Task.WhenAll(udp, tcp).ConfigureAwait(false);
        }
        finally
        {
            foreach (ConsumerShard shard in _shards)
            {
                shard.Queue.Writer.TryComplete();
            }

            await Task.WhenAll(consumers).ConfigureAwait(false);
            _reorderTimer?.Dispose();

            // What still waits in the reorder windows is recorded before the tracers end their spans.
            ReleaseHeld(all: true);

            CloseNodes();
        }
    }

    private async Task ReceiveAsync(Socket socket, CancellationToken stoppingToken)
    {
        byte[] receiveBuffer = ArrayPool<byte>.Shared.Rent(MaxDatagramLength);
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
#if !NET
        // StopAsync closes the socket before the token is cancelled; this covers a token cancelled otherwise.
        using CancellationTokenRegistration closeOnStop = stoppingToken.Register(static state => ((Socket)state!).Dispose(), socket);
#endif
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                SocketReceiveFromResult result;
                try
                {
#if NET
                    result = await socket.ReceiveFromAsync(receiveBuffer.AsMemory(0, MaxDatagramLength), SocketFlags.None, any, stoppingToken).ConfigureAwait(false);
#else
                    // No cancellable receive on netstandard2.0: closing the socket ends it (closeOnStop).
                    result = await socket.ReceiveFromAsync(new ArraySegment<byte>(receiveBuffer, 0, MaxDatagramLength), SocketFlags.None, any).ConfigureAwait(false);
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
                catch (SocketException exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // An ICMP error for an earlier send, or a transient failure: the socket is still good.
                    CaptureEventSource.Log.ReceiveFailed(exception.SocketErrorCode.ToString());
                    continue;
                }
                catch (SocketException)
                {
                    return;
                }

                Enqueue(receiveBuffer.AsSpan(0, result.ReceivedBytes), (result.RemoteEndPoint as IPEndPoint)?.Address);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(receiveBuffer);
        }
    }

    /// <summary>Counts a packet read (a datagram, or one framed from a TCP stream) and queues a pooled copy of it.</summary>
    private void Enqueue(ReadOnlySpan<byte> data, IPAddress? sender)
    {
        Interlocked.Increment(ref _received);
        CaptureMetrics.Received();

        // Each queued packet holds a pooled buffer of its own size; the receive buffer is reused.
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 1));
        data.CopyTo(copy);
        ConsumerShard shard = _shards.Length == 1 ? _shards[0] : ShardOf(PeekCaptureAgentId(data));
        if (!shard.Queue.Writer.TryWrite(new QueuedPacket(copy, data.Length, sender)))
        {
            // Only after the writer completed: the bounded channel drops through OnQueueFull otherwise.
            ArrayPool<byte>.Shared.Return(copy);
            Drop(HepDropReason.QueueFull);
        }
    }

    private void OnQueueFull(QueuedPacket packet)
    {
        ArrayPool<byte>.Shared.Return(packet.Buffer);
        Drop(HepDropReason.QueueFull);
    }

    internal readonly record struct QueuedPacket(byte[] Buffer, int Length, IPAddress? Sender);
}
