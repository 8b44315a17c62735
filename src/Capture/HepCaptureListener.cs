using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SipTraceContext.Capture.Internal;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture;

/// <summary>
/// A hosted UDP listener for HEPv3 (Homer) capture packets: it decodes each one and feeds the SIP message
/// in it to a <see cref="SipCallTracer"/> of the capture agent that sent it, with the capture timestamp,
/// so that the spans are the spans of the node that saw the messages, timed as it saw them.
/// </summary>
/// <remarks>
/// <para>
/// One socket task receives datagrams into a pooled buffer each and puts them on a bounded queue; one
/// consumer task decodes and records them in arrival order. When the queue is full a packet is dropped
/// (<see cref="HepCaptureOptions.QueueFullMode"/>) and counted, so memory stays bounded whatever the
/// capture rate. Every dropped packet counts in <see cref="PacketsDropped"/> and in the
/// <c>sip.capture.dropped</c> metric by reason; so do the datagrams the kernel dropped because the
/// socket's receive buffer was full (<see cref="HepDropReason.SocketBuffer"/>), on Linux, where the
/// kernel tells (read from /proc/net/udp every second and when the listener stops).
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
/// In this order: <see cref="HepCaptureOptions.DirectionResolver"/> when set; a source among
/// <see cref="HepCaptureOptions.NodeEndPoints"/> means sent, a destination among them means received;
/// otherwise, when exactly one of the SIP source and destination addresses is the address the HEP
/// datagram came from (agents run on their node), that side is the node; otherwise
/// <see cref="HepCaptureOptions.DefaultDirection"/>.
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
public sealed class HepCaptureListener : BackgroundService
{
    // The largest UDP payload: a datagram is received whole or not at all.
    private const int MaxDatagramLength = 65_535;
    private const int MaxSpanTags = 5;

    // How often kernel drops are read and idle agents looked for.
    private static readonly TimeSpan HousekeepingInterval = TimeSpan.FromSeconds(1);

    // How often, at most, a repeated failure is logged and drops are summed up in the log.
    internal static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private static readonly HepDropReason[] s_dropReasons = Enum.GetValues<HepDropReason>();

    private static ReadOnlySpan<byte> InviteStart => "INVITE "u8;
    private static ReadOnlySpan<byte> ByeStart => "BYE "u8;

    private readonly IPEndPoint _bindEndPoint;
    private readonly Channel<QueuedPacket> _queue;
    private readonly CaptureMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly SipInstrumentationOptions _tracerOptions;
    private readonly NodeEndPoint[] _nodeEndPoints;
    private readonly HepDirectionResolver? _directionResolver;
    private readonly SipDirection _defaultDirection;
    private readonly byte[]? _authKey;
    private readonly int _maxCaptureAgents;
    private readonly TimeSpan _agentIdleTimeout;
    private readonly int _requestedReceiveBufferSize;
    private readonly Dictionary<uint, CaptureNode> _nodes = [];
    private readonly object _nodesLock = new();

    // Held by the consumer while it records a packet and by the housekeeping timer while it releases
    // idle agents, so a tracer is never disposed under a packet being recorded into it.
    private readonly object _recordLock = new();
    private readonly object _kernelDropsLock = new();
    private readonly KeyValuePair<string, object?>[] _spanTags = new KeyValuePair<string, object?>[MaxSpanTags];
    private readonly long[] _dropped = new long[s_dropReasons.Length];
    private readonly ILogger _logger;
    private readonly LogRateLimiter _processingErrors;
    private readonly LogRateLimiter _resolverErrors;
    private readonly LogRateLimiter _housekeepingErrors;

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
    public HepCaptureListener(HepCaptureOptions options, TimeProvider? timeProvider = null, ILogger<HepCaptureListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<HepCaptureListener>.Instance;
        _processingErrors = new LogRateLimiter(_timeProvider, LogInterval);
        _resolverErrors = new LogRateLimiter(_timeProvider, LogInterval);
        _housekeepingErrors = new LogRateLimiter(_timeProvider, LogInterval);
        _bindEndPoint = new IPEndPoint(options.Address, options.Port);
        // Each agent's share of the listener's call budget; a lower per-tracer limit still applies.
        _tracerOptions = options.Tracer.Clone();
        _tracerOptions.MaxTrackedCalls = Math.Min(options.Tracer.MaxTrackedCalls, Math.Max(1, options.MaxTrackedCalls / options.MaxCaptureAgents));
        _agentIdleTimeout = options.CaptureAgentIdleTimeout;
        _requestedReceiveBufferSize = options.ReceiveBufferSize;
        _nodeEndPoints = [.. options.NodeEndPoints.Select(e => new NodeEndPoint(e.Address.GetAddressBytes(), e.Port))];
        _directionResolver = options.DirectionResolver;
        _defaultDirection = options.DefaultDirection;
        _authKey = options.AuthKey is null ? null : System.Text.Encoding.UTF8.GetBytes(options.AuthKey);
        _maxCaptureAgents = options.MaxCaptureAgents;
        _metrics = new CaptureMetrics();
        _queue = Channel.CreateBounded<QueuedPacket>(
            new BoundedChannelOptions(options.QueueCapacity)
            {
                FullMode = options.QueueFullMode == HepQueueFullMode.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.DropWrite,
                SingleReader = true,
                SingleWriter = true,
            },
            OnQueueFull);
    }

    /// <summary>The address and port the socket is bound to once started (the actual port when 0 was configured); <see langword="null"/> before.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>
    /// The socket's receive buffer size in bytes as the OS reports it once started (after asking for
    /// <see cref="HepCaptureOptions.ReceiveBufferSize"/>); <see langword="null"/> before. Linux reports twice
    /// what it grants (the other half is its bookkeeping) and grants at most <c>net.core.rmem_max</c>.
    /// </summary>
    public int? ReceiveBufferSize { get; private set; }

    /// <summary>Datagrams the listener read from its socket, dropped ones included (not those the kernel dropped before, see <see cref="HepDropReason.SocketBuffer"/>).</summary>
    public long PacketsReceived => Interlocked.Read(ref _received);

    /// <summary>SIP messages handed to a call tracer.</summary>
    public long PacketsRecorded => Interlocked.Read(ref _recorded);

    /// <summary>
    /// Datagrams dropped for any reason (see <see cref="GetPacketsDropped"/>): the sum of
    /// <c>sip.capture.dropped</c>, so one number says whether captures are lost. Kernel drops
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

    /// <summary>Datagrams dropped for one reason.</summary>
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

    /// <summary>Binds the socket, then starts receiving.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The start.</returns>
    /// <exception cref="SocketException">
    /// The address and port cannot be bound (in use, not an address of this host, not permitted). The
    /// failure is logged with the address first. Thrown rather than swallowed so that a host fails to start
    /// instead of running without capturing anything.
    /// </exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(_bindEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            SetReceiveBuffer(socket);
            socket.Bind(_bindEndPoint);
        }
        catch (Exception exception)
        {
            socket.Dispose();
            CaptureLog.BindFailed(_logger, exception, _bindEndPoint.ToString(), (exception as SocketException)?.SocketErrorCode ?? SocketError.SocketError);
            throw;
        }

        _socket = socket;
        LocalEndPoint = (IPEndPoint?)socket.LocalEndPoint;
        string listening = LocalEndPoint?.ToString() ?? _bindEndPoint.ToString();
        CaptureEventSource.Log.Listening(listening);
        CaptureLog.Listening(_logger, listening);
        lock (_dropSummaryLock)
        {
            _lastDropSummary = _timeProvider.GetTimestamp();
        }

        _kernelDrops = KernelDropReader.TryCreate(socket, out string? unavailable);
        if (unavailable is not null)
        {
            CaptureEventSource.Log.KernelDropsUnavailable(unavailable);
        }

        _housekeeping = _timeProvider.CreateTimer(static state => ((HepCaptureListener)state!).Housekeep(), this, HousekeepingInterval, HousekeepingInterval);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Stops receiving, records what is already queued, ends the tracers' open spans, logs the drops not logged yet.</summary>
    /// <param name="cancellationToken">Stops waiting for the queue to drain.</param>
    /// <returns>The stop.</returns>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _housekeeping?.Dispose();

        // The last kernel drops are read while the socket still exists.
        PollKernelDrops();

        // Closing the socket ends a receive in progress at once, on every platform.
        _socket?.Dispose();
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
        _socket?.Dispose();
        CloseNodes();
        _metrics.Dispose();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Socket socket = _socket ?? throw new InvalidOperationException("StartAsync binds the socket first.");
        Task consumer = Task.Run(ConsumeAsync, CancellationToken.None);
        try
        {
            await ReceiveAsync(socket, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            _queue.Writer.TryComplete();
            await consumer.ConfigureAwait(false);
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

                Interlocked.Increment(ref _received);
                _metrics.Received();

                // Each queued packet holds a pooled buffer of its own size; the receive buffer is reused.
                int length = result.ReceivedBytes;
                byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                receiveBuffer.AsSpan(0, length).CopyTo(copy);
                var packet = new QueuedPacket(copy, length, (result.RemoteEndPoint as IPEndPoint)?.Address);
                if (!_queue.Writer.TryWrite(packet))
                {
                    // Only after the writer completed: the bounded channel drops through OnQueueFull otherwise.
                    ArrayPool<byte>.Shared.Return(copy);
                    Drop(HepDropReason.QueueFull);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(receiveBuffer);
        }
    }

    private void OnQueueFull(QueuedPacket packet)
    {
        ArrayPool<byte>.Shared.Return(packet.Buffer);
        Drop(HepDropReason.QueueFull);
    }

    private async Task ConsumeAsync()
    {
        ChannelReader<QueuedPacket> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out QueuedPacket packet))
            {
                try
                {
                    lock (_recordLock)
                    {
                        Process(packet.Buffer.AsSpan(0, packet.Length), packet.Sender);
                    }
                }
#pragma warning disable CA1031 // One bad packet (or a throwing listener of the SDK) must not stop the capture.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    ProcessingFailed(exception);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(packet.Buffer);
                }
            }
        }
    }

    private void Process(ReadOnlySpan<byte> datagram, IPAddress? sender)
    {
        if (HepPacket.Decode(datagram, out HepPacket hep) != HepDecodeStatus.Ok)
        {
            Drop(HepDropReason.Malformed);
            return;
        }

        if (_authKey is not null && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(hep.AuthKey, _authKey))
        {
            Drop(HepDropReason.Unauthorized);
            return;
        }

        // Agents always send the protocol type; a packet without one is taken for SIP, the HEP default.
        if ((hep.Fields & HepFields.ProtocolType) != 0 && hep.ProtocolType != HepPacket.ProtocolTypeSip)
        {
            Drop(HepDropReason.NotSip);
            return;
        }

        if (hep.IsPayloadCompressed)
        {
            Drop(HepDropReason.Compressed);
            return;
        }

        CaptureNode? node = GetNode(hep.CaptureAgentId);
        if (node is null)
        {
            Drop(HepDropReason.TooManyAgents);
            return;
        }

        node.LastPacket = _timeProvider.GetTimestamp();

        SipDirection direction = ResolveDirection(in hep, sender);
        DateTimeOffset timestamp = (hep.Fields & HepFields.TimestampSeconds) != 0 ? hep.Timestamp : _timeProvider.GetUtcNow();
        ReadOnlySpan<byte> payload = hep.Payload;
        if (payload.StartsWith(InviteStart) || payload.StartsWith(ByeStart))
        {
            // Only a message that can start a span pays for its tags.
            int count = FillSpanTags(in hep, node, direction);
            node.Tracer.Record(payload, direction, timestamp, _spanTags.AsSpan(0, count));
        }
        else
        {
            node.Tracer.Record(payload, direction, timestamp);
        }

        Interlocked.Increment(ref _recorded);
    }

    private int FillSpanTags(in HepPacket hep, CaptureNode node, SipDirection direction)
    {
        int count = 0;
        if (node.AgentTag is not null)
        {
            _spanTags[count++] = new(SipAttributes.CaptureAgentId, node.AgentTag);
        }

        bool sent = direction == SipDirection.Out;
        ReadOnlySpan<byte> local = sent ? hep.SourceAddress : hep.DestinationAddress;
        ReadOnlySpan<byte> peer = sent ? hep.DestinationAddress : hep.SourceAddress;
        bool hasPorts = (hep.Fields & (HepFields.SourcePort | HepFields.DestinationPort)) == (HepFields.SourcePort | HepFields.DestinationPort);
        int localPort = sent ? hep.SourcePort : hep.DestinationPort;
        int peerPort = sent ? hep.DestinationPort : hep.SourcePort;
        if (!peer.IsEmpty)
        {
            _spanTags[count++] = new(OtelAttributes.NetworkPeerAddress, ToAddress(peer).ToString());
        }

        if (hasPorts)
        {
            _spanTags[count++] = new(OtelAttributes.NetworkPeerPort, peerPort);
        }

        if (!local.IsEmpty)
        {
            _spanTags[count++] = new(OtelAttributes.NetworkLocalAddress, ToAddress(local).ToString());
        }

        if (hasPorts)
        {
            _spanTags[count++] = new(OtelAttributes.NetworkLocalPort, localPort);
        }

        return count;
    }

#if NET
    private static IPAddress ToAddress(ReadOnlySpan<byte> bytes) => new(bytes);
#else
    private static IPAddress ToAddress(ReadOnlySpan<byte> bytes) => new(bytes.ToArray());
#endif

    private SipDirection ResolveDirection(in HepPacket hep, IPAddress? sender)
    {
        if (_directionResolver is not null)
        {
            try
            {
                return _directionResolver(in hep);
            }
#pragma warning disable CA1031 // User callbacks never throw into the capture loop.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                if (CaptureEventSource.Log.IsEnabled())
                {
                    CaptureEventSource.Log.CallbackFailed(nameof(HepCaptureOptions.DirectionResolver), exception.ToString());
                }

                if (_resolverErrors.TryAcquire(out long suppressed))
                {
                    CaptureLog.DirectionResolverFailed(_logger, exception, _defaultDirection, suppressed);
                }

                return _defaultDirection;
            }
        }

        bool sourceIsNode = IsNode(hep.SourceAddress, hep.SourcePort);
        bool destinationIsNode = IsNode(hep.DestinationAddress, hep.DestinationPort);
        if (sourceIsNode != destinationIsNode)
        {
            return sourceIsNode ? SipDirection.Out : SipDirection.In;
        }

        if (sender is not null && !hep.SourceAddress.IsEmpty && !hep.DestinationAddress.IsEmpty)
        {
#if NET
            Span<byte> senderBytes = stackalloc byte[16];
            if (sender.TryWriteBytes(senderBytes, out int written))
            {
                senderBytes = senderBytes[..written];
#else
            {
                ReadOnlySpan<byte> senderBytes = sender.GetAddressBytes();
#endif
                bool fromSource = hep.SourceAddress.SequenceEqual(senderBytes);
                bool fromDestination = hep.DestinationAddress.SequenceEqual(senderBytes);
                if (fromSource != fromDestination)
                {
                    return fromSource ? SipDirection.Out : SipDirection.In;
                }
            }
        }

        return _defaultDirection;
    }

    private bool IsNode(ReadOnlySpan<byte> address, int port)
    {
        if (address.IsEmpty)
        {
            return false;
        }

        foreach (NodeEndPoint node in _nodeEndPoints)
        {
            if ((node.Port == 0 || node.Port == port) && address.SequenceEqual(node.Address))
            {
                return true;
            }
        }

        return false;
    }

    private CaptureNode? GetNode(uint agentId)
    {
        lock (_nodesLock)
        {
            if (_nodes.TryGetValue(agentId, out CaptureNode? node))
            {
                return node;
            }

            if (_nodesClosed)
            {
                return null;
            }

            if (_nodes.Count >= _maxCaptureAgents)
            {
                // A slot may be held by an agent gone quiet since the last sweep: free it now.
                ReleaseIdleNodes();
                if (_nodes.Count >= _maxCaptureAgents)
                {
                    return null;
                }
            }

            // agent id 0 means the packet named none: no tag then. Otherwise the agent id also goes on
            // every measurement of this node's tracer, so each node's metrics stay their own series.
            SipInstrumentationOptions options = _tracerOptions;
            if (agentId != 0)
            {
                options = _tracerOptions.Clone();
                options.MetricTags = [.. _tracerOptions.MetricTags, new(SipAttributes.CaptureAgentId, (long)agentId)];
            }

            node = new CaptureNode(new SipCallTracer(options, _timeProvider), agentId, agentId == 0 ? null : (long)agentId)
            {
                LastPacket = _timeProvider.GetTimestamp(),
            };
            _nodes.Add(agentId, node);
            CaptureEventSource.Log.CaptureAgentAdded(agentId);
            return node;
        }
    }

    private void CloseNodes()
    {
        CaptureNode[] nodes;
        lock (_nodesLock)
        {
            _nodesClosed = true;
            nodes = [.. _nodes.Values];
            _nodes.Clear();
        }

        foreach (CaptureNode node in nodes)
        {
            node.Tracer.Dispose();
        }
    }

    private void SetReceiveBuffer(Socket socket)
    {
        if (_requestedReceiveBufferSize > 0)
        {
            try
            {
                socket.ReceiveBufferSize = _requestedReceiveBufferSize;
            }
            catch (SocketException exception)
            {
                // Some OSes refuse a size above their limit instead of capping it: keep their default.
                CaptureEventSource.Log.ReceiveFailed("setting the receive buffer size: " + exception.SocketErrorCode.ToString());
            }
        }

        int reported = socket.ReceiveBufferSize;
        ReceiveBufferSize = reported;
        if (reported < _requestedReceiveBufferSize)
        {
            CaptureEventSource.Log.ReceiveBufferCapped(_requestedReceiveBufferSize, reported);
            CaptureLog.ReceiveBufferCapped(_logger, _requestedReceiveBufferSize, reported);
        }
        else
        {
            CaptureEventSource.Log.ReceiveBuffer(_requestedReceiveBufferSize, reported);
        }
    }

    private void Housekeep()
    {
        // A timer tick that comes while the previous one still runs has nothing to add.
        if (Interlocked.Exchange(ref _housekeepingRunning, 1) == 1)
        {
            return;
        }

        try
        {
            PollKernelDrops();
            LogDrops(force: false);

            // Under a flood the consumer holds the lock nearly always; an idle sweep can wait a tick.
            if (_agentIdleTimeout != Timeout.InfiniteTimeSpan && Monitor.TryEnter(_recordLock, TimeSpan.FromTicks(HousekeepingInterval.Ticks / 10)))
            {
                try
                {
                    lock (_nodesLock)
                    {
                        ReleaseIdleNodes();
                    }
                }
                finally
                {
                    Monitor.Exit(_recordLock);
                }
            }
        }
#pragma warning disable CA1031 // A timer callback that throws would take the process down.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            if (CaptureEventSource.Log.IsEnabled())
            {
                CaptureEventSource.Log.ProcessingFailed(exception.ToString());
            }

            if (_housekeepingErrors.TryAcquire(out long suppressed))
            {
                LogSafely(static (logger, e, n) => CaptureLog.HousekeepingFailed(logger, e, n), exception, suppressed);
            }
        }
        finally
        {
            Volatile.Write(ref _housekeepingRunning, 0);
        }
    }

    /// <summary>Releases the agents idle for the timeout; called under both the record lock and the nodes lock.</summary>
    private void ReleaseIdleNodes()
    {
        if (_agentIdleTimeout == Timeout.InfiniteTimeSpan || _nodesClosed)
        {
            return;
        }

        List<CaptureNode>? idle = null;
        foreach (CaptureNode node in _nodes.Values)
        {
            if (_timeProvider.GetElapsedTime(node.LastPacket) >= _agentIdleTimeout)
            {
                (idle ??= []).Add(node);
            }
        }

        if (idle is null)
        {
            return;
        }

        foreach (CaptureNode node in idle)
        {
            _nodes.Remove(node.AgentId);

            // Its open spans end as evictions and its live calls count in sip.call.evictions, rather
            // than ending silently as they would at a stop.
            node.Tracer.EvictAll(SipAttributes.EvictionReasonValues.AgentIdle);
            node.Tracer.Dispose();
            CaptureEventSource.Log.CaptureAgentRemoved(node.AgentId);
        }
    }

    private void PollKernelDrops()
    {
        if (_kernelDrops is null)
        {
            return;
        }

        lock (_kernelDropsLock)
        {
            // The socket's count starts at 0 when it is created; only the growth since the last read is new.
            long? drops = _kernelDrops.Read();
            if (drops is not { } total || total <= _kernelDropsSeen)
            {
                return;
            }

            long added = total - _kernelDropsSeen;
            _kernelDropsSeen = total;
            Interlocked.Add(ref _dropped[(int)HepDropReason.SocketBuffer], added);
            _metrics.Dropped(HepDropReason.SocketBuffer, added);
        }
    }

    private void Drop(HepDropReason reason)
    {
        Interlocked.Increment(ref _dropped[(int)reason]);
        _metrics.Dropped(reason);
    }

    private void ProcessingFailed(Exception exception)
    {
        Drop(HepDropReason.ProcessingError);
        if (CaptureEventSource.Log.IsEnabled())
        {
            CaptureEventSource.Log.ProcessingFailed(exception.ToString());
        }

        if (_processingErrors.TryAcquire(out long suppressed))
        {
            LogSafely(static (logger, e, n) => CaptureLog.ProcessingFailed(logger, e, n), exception, suppressed);
        }
    }

    /// <summary>
    /// Logs from a catch block of the consumer loop or the timer callback. A logging provider that throws
    /// (Microsoft.Extensions.Logging rethrows its providers' exceptions) must not end the consumer, which
    /// would stop the capture, nor escape a timer callback, which would end the process.
    /// </summary>
    private void LogSafely(Action<ILogger, Exception, long> log, Exception exception, long suppressed)
    {
        try
        {
            log(_logger, exception, suppressed);
        }
#pragma warning disable CA1031 // See the summary: nothing is left to report a logging failure to but the event source.
        catch (Exception loggingFailure)
#pragma warning restore CA1031
        {
            if (CaptureEventSource.Log.IsEnabled())
            {
                CaptureEventSource.Log.ProcessingFailed(loggingFailure.ToString());
            }
        }
    }

    /// <summary>
    /// Logs the drops since the last summary, by reason, once <see cref="LogInterval"/> has passed since
    /// then (or now, when forced at the stop); nothing when there were none.
    /// </summary>
    private void LogDrops(bool force)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        lock (_dropSummaryLock)
        {
            long now = _timeProvider.GetTimestamp();
            TimeSpan period = _timeProvider.GetElapsedTime(_lastDropSummary, now);
            if (!force && period < LogInterval)
            {
                return;
            }

            _lastDropSummary = now;
            long total = 0;
            StringBuilder? reasons = null;
            foreach (HepDropReason reason in s_dropReasons)
            {
                long count = Interlocked.Read(ref _dropped[(int)reason]);
                long added = count - _droppedLogged[(int)reason];
                if (added <= 0)
                {
                    continue;
                }

                _droppedLogged[(int)reason] = count;
                total += added;
                reasons = reasons is null ? new StringBuilder() : reasons.Append(", ");
                reasons.Append(CaptureMetrics.ReasonName(reason)).Append(' ').Append(added);
            }

            if (reasons is not null)
            {
                try
                {
                    CaptureLog.PacketsDropped(_logger, total, period, reasons.ToString());
                }
#pragma warning disable CA1031 // As in LogSafely: a throwing logging provider must not fail the timer or the stop.
                catch (Exception loggingFailure)
#pragma warning restore CA1031
                {
                    if (CaptureEventSource.Log.IsEnabled())
                    {
                        CaptureEventSource.Log.ProcessingFailed(loggingFailure.ToString());
                    }
                }
            }
        }
    }

    private readonly record struct QueuedPacket(byte[] Buffer, int Length, IPAddress? Sender);

    private readonly record struct NodeEndPoint(byte[] Address, int Port);

    /// <summary>A capture agent's call tracer, its id (boxed once for the span tag) and when it last sent.</summary>
    private sealed class CaptureNode(SipCallTracer tracer, uint agentId, object? agentTag)
    {
        public SipCallTracer Tracer { get; } = tracer;

        public uint AgentId { get; } = agentId;

        public object? AgentTag { get; } = agentTag;

        /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of its last packet; written and read under the record lock.</summary>
        public long LastPacket { get; set; }
    }
}
