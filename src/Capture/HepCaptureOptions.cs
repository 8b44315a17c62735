using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture;

/// <summary>Settings of a <see cref="HepCaptureListener"/>. Read once, when the listener is created.</summary>
/// <remarks>
/// Bindable from <c>IConfiguration</c> (<c>services.Configure&lt;HepCaptureOptions&gt;(section)</c>):
/// <see cref="Address"/>, <see cref="NodeEndPoints"/> and <see cref="NodeEndPointsByAgent"/> are strings
/// (the last a section per capture agent id), parsed and checked when the host starts; the enums bind by name (<see cref="Transports"/> as <c>"Udp, Tcp"</c> for both),
/// <see cref="CaptureAgentIdleTimeout"/> and <see cref="TcpIdleTimeout"/> as <c>hh:mm:ss</c>, and
/// <see cref="Tracer"/> as a subsection. <see cref="DirectionResolver"/> (and the tracer's callbacks) are
/// set in code.
/// </remarks>
public sealed class HepCaptureOptions
{
    /// <summary>The port Homer's capture servers listen on by default, and so what capture agents are usually configured to send to.</summary>
    public const int DefaultPort = 9060;

    // One listener rarely serves more nodes than this; each agent's call table gets an equal share of
    // MaxTrackedCalls, so more slots would mean smaller tables for the nodes that are real.
    private const int DefaultMaxCaptureAgents = 16;

    // What the kernel default (a few hundred KiB on Linux) holds is a fraction of a second of a busy
    // capture; a larger buffer rides out the consumer's pauses instead of dropping.
    private const int DefaultReceiveBufferSize = 4 * 1024 * 1024;

    // About one second of capture at 10k messages per second; each queued packet holds one pooled buffer
    // of its own size, so the worst case is this many maximum-size datagrams.
    private const int DefaultQueueCapacity = 10_000;

    // Far more agents than one listener serves (MaxCaptureAgents is 16), and each connection holds at
    // most one 64 KiB buffer: 4 MiB at this bound.
    private const int DefaultMaxTcpConnections = 64;

    private const int MaxConsumerCount = 64;

    private static readonly TimeSpan DefaultTcpIdleTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DefaultReorderWindow = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxReorderWindow = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The IP address to listen on, as text (<c>127.0.0.1</c>, <c>0.0.0.0</c> for every IPv4 interface,
    /// <c>::</c> for IPv6); a string so that configuration binds it, checked when the listener is created.
    /// <c>127.0.0.1</c> by default: listening beyond the host is a decision to make, not a default.
    /// </summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// The port to listen on, UDP and TCP alike (see <see cref="Transports"/>); <see cref="DefaultPort"/>
    /// (9060) by default, 0 for any free port (see <see cref="HepCaptureListener.LocalEndPoint"/>).
    /// </summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>
    /// What to listen on at <see cref="Address"/> and <see cref="Port"/>: UDP (<see cref="HepTransports.Udp"/>,
    /// the default, what capture agents send unless told otherwise), TCP (<see cref="HepTransports.Tcp"/>,
    /// HEPv3 only), or both (<c>Udp | Tcp</c>; <c>"Udp, Tcp"</c> in configuration). Packets from either go
    /// to the same queue and tracers. Not <see cref="HepTransports.None"/>.
    /// </summary>
    public HepTransports Transports { get; set; } = HepTransports.Udp;

    /// <summary>
    /// With <see cref="HepTransports.Tcp"/>, how many TCP connections are open at a time; a connection
    /// past it is closed as soon as it is accepted and counted
    /// (<see cref="HepCaptureListener.TcpConnectionsRejected"/>, logged at most once a minute). Each open
    /// connection holds one buffer of at most 64 KiB. 64 by default.
    /// </summary>
    public int MaxTcpConnections { get; set; } = DefaultMaxTcpConnections;

    /// <summary>
    /// With <see cref="HepTransports.Tcp"/>, how long a connection may send nothing (not a byte) before
    /// the listener closes it; checked every second. Capture agents reconnect when they next send.
    /// 5 minutes by default; <see cref="Timeout.InfiniteTimeSpan"/> keeps quiet connections open.
    /// </summary>
    public TimeSpan TcpIdleTimeout { get; set; } = DefaultTcpIdleTimeout;

    /// <summary>
    /// How many received packets may wait for a consumer, in each consumer's queue (see
    /// <see cref="ConsumerCount"/>: at most this many times that many wait in all); past it packets are
    /// dropped and counted. 10,000 by default.
    /// </summary>
    public int QueueCapacity { get; set; } = DefaultQueueCapacity;

    /// <summary>
    /// How many consumers decode and record packets in parallel, each with a queue of its own. Every
    /// packet of a capture agent goes to the same consumer (the agent id modulo this count, so
    /// consecutive agent ids spread evenly), which keeps each agent's packets in arrival order and its
    /// reorder window and direction state on one thread; several agents are needed for several consumers
    /// to help. 1 by default (every packet in arrival order on one thread); 1 to 64. With more than 1, a
    /// <see cref="DirectionResolver"/> is called from several threads at once. The collector tool sets
    /// the number of processors, at most 4, when its configuration names none.
    /// </summary>
    public int ConsumerCount { get; set; } = 1;

    /// <summary>Which packet goes when the queue is full: the one just received (<see cref="HepQueueFullMode.DropNewest"/>, the default) or the oldest waiting.</summary>
    public HepQueueFullMode QueueFullMode { get; set; } = HepQueueFullMode.DropNewest;

    /// <summary>
    /// How many capture agents (HEP capture ids) get a call tracer of their own at a time; packets from
    /// further agents are dropped and counted (<c>too_many_agents</c>) until an agent's slot is freed by
    /// <see cref="CaptureAgentIdleTimeout"/>. Each agent's tracer tracks at most
    /// <see cref="MaxTrackedCalls"/> / <see cref="MaxCaptureAgents"/> calls. 16 by default.
    /// </summary>
    public int MaxCaptureAgents { get; set; } = DefaultMaxCaptureAgents;

    /// <summary>
    /// How many calls the listener tracks in all, across its capture agents: the bound of its call
    /// tables' memory. Each agent's tracer gets an equal share, <see cref="MaxTrackedCalls"/> /
    /// <see cref="MaxCaptureAgents"/> (at least 1), or <see cref="SipCallTracerOptions.MaxTrackedCalls"/>
    /// of <see cref="Tracer"/> when that is lower; past its share a tracer evicts its oldest call
    /// (<c>sip.call.evictions{capacity}</c>). <see cref="SipCallTracerOptions.DefaultMaxTrackedCalls"/>
    /// (what one tracer tracks by default) by default.
    /// </summary>
    public int MaxTrackedCalls { get; set; } = SipCallTracerOptions.DefaultMaxTrackedCalls;

    /// <summary>
    /// How long a capture agent may send nothing before the listener releases its tracer and frees its
    /// slot: its open spans end and its live calls count as evicted (<c>sip.call.evictions{agent_idle}</c>);
    /// its next packet gets a new tracer. 15 minutes by default; <see cref="Timeout.InfiniteTimeSpan"/>
    /// keeps agents until the listener stops. Set it above the longest silence of a real node.
    /// </summary>
    public TimeSpan CaptureAgentIdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The socket receive buffer to ask the OS for, in bytes: what absorbs a burst while the listener is
    /// busy, before the kernel drops datagrams. 4 MiB by default; 0 keeps the OS default. The OS may
    /// grant less (Linux caps it at <c>net.core.rmem_max</c> unless the process is privileged): see
    /// <see cref="HepCaptureListener.ReceiveBufferSize"/> for what it granted.
    /// </summary>
    public int ReceiveBufferSize { get; set; } = DefaultReceiveBufferSize;

    /// <summary>
    /// The SIP addresses of the traced nodes, as text: <c>192.0.2.5:5060</c>, <c>[2001:db8::5]:5060</c>,
    /// or an address alone (<c>192.0.2.5</c>, <c>2001:db8::5</c>) for any port of it (as is port 0;
    /// <see cref="IPEndPoint.ToString"/> gives this form). A packet whose source is one of them is a
    /// message the node sent (<see cref="SipDirection.Out"/>), one whose destination is, a message it
    /// received (<see cref="SipDirection.In"/>); a packet with one of them at both ends (a message between
    /// two listed nodes) is left to the next rules. With several nodes on one listener, prefer
    /// <see cref="NodeEndPointsByAgent"/>. Strings so that configuration binds them (a list);
    /// checked when the listener is created. Empty by default: see <see cref="HepCaptureListener"/> for
    /// the rules then.
    /// </summary>
    public IList<string> NodeEndPoints { get; } = [];

    /// <summary>
    /// The SIP addresses of each capture agent's own node, keyed by capture agent id (HEP chunk 12,
    /// Kamailio's <c>hep_capture_id</c>), in the forms of <see cref="NodeEndPoints"/>. For the packets of
    /// an agent listed here, its node's endpoints are checked before <see cref="NodeEndPoints"/>: a source
    /// among them means sent, a destination among them received. What one collector for many nodes needs
    /// when the nodes talk to each other: a message between two nodes has a node at both ends, which one
    /// shared list cannot tell apart. Binds from configuration as a section per capture id
    /// (<c>"NodeEndPointsByAgent": { "2001": [ "192.0.2.5:5060" ] }</c>); checked when the listener is
    /// created. Empty by default.
    /// </summary>
    public IDictionary<uint, IList<string>> NodeEndPointsByAgent { get; } = new Dictionary<uint, IList<string>>();

    /// <summary>
    /// Decides the direction of every packet instead of <see cref="NodeEndPointsByAgent"/>, <see cref="NodeEndPoints"/> and the built-in
    /// rules. A resolver that throws makes the listener use <see cref="DefaultDirection"/>. It is called
    /// from each consumer's thread (see <see cref="ConsumerCount"/>), for one agent from one at a time.
    /// </summary>
    public HepDirectionResolver? DirectionResolver { get; set; }

    /// <summary>The direction of a packet no rule decides; <see cref="SipDirection.In"/> by default.</summary>
    public SipDirection DefaultDirection { get; set; } = SipDirection.In;

    /// <summary>
    /// When set, only packets whose authentication key chunk (14) holds exactly these UTF-8 bytes are
    /// recorded; others are dropped and counted (<c>unauthorized</c>). Unset by default. Set it whenever
    /// anything but trusted capture agents can reach the listener: without it, any sender can open
    /// capture agents and calls (within the bounds) or write into a real node's calls.
    /// </summary>
    public string? AuthKey { get; set; }

    /// <summary>
    /// How long each packet waits before it is recorded, so that the messages of a node's call are
    /// recorded in SIP order although capture order differs (an agent stamps and sends a copy after the
    /// node sent it): a response after its request, a node's relayed copy after the copy it received,
    /// a CANCEL after its INVITE, an ACK after the final response, a BYE after the INVITE's answer.
    /// Spans keep the capture times. 50 ms by default; at most 5 s; <see cref="TimeSpan.Zero"/> records
    /// each packet as it arrives. At most <see cref="QueueCapacity"/> packets wait: past it the oldest is
    /// recorded early, never dropped.
    /// </summary>
    public TimeSpan ReorderWindow { get; set; } = DefaultReorderWindow;

    /// <summary>The options of the call tracer each capture agent gets (they share them).</summary>
    public SipCallTracerOptions Tracer { get; set; } = new();

    internal void Validate()
    {
        _ = ParseAddress();
        _ = ParseNodeEndPoints();
        _ = ParseNodeEndPointsByAgent();
        ValidateLimits();
    }

    /// <summary>Checks every setting but <see cref="Address"/>, <see cref="NodeEndPoints"/> and <see cref="NodeEndPointsByAgent"/>.</summary>
    internal void ValidateLimits()
    {
        ArgumentNullException.ThrowIfNull(Tracer, nameof(Tracer));
        ArgumentOutOfRangeException.ThrowIfNegative(Port, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, IPEndPoint.MaxPort, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConsumerCount, 1, nameof(ConsumerCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ConsumerCount, MaxConsumerCount, nameof(ConsumerCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCaptureAgents, 1, nameof(MaxCaptureAgents));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTrackedCalls, 1, nameof(MaxTrackedCalls));
        ArgumentOutOfRangeException.ThrowIfNegative(ReceiveBufferSize, nameof(ReceiveBufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTcpConnections, 1, nameof(MaxTcpConnections));
        if (Transports == HepTransports.None || (Transports & ~(HepTransports.Udp | HepTransports.Tcp)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Transports), Transports, "Listen on Udp, Tcp, or both (\"Udp, Tcp\").");
        }

        if (TcpIdleTimeout <= TimeSpan.Zero && TcpIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(TcpIdleTimeout), TcpIdleTimeout, "The TCP idle timeout must be positive, or infinite.");
        }

        if (CaptureAgentIdleTimeout <= TimeSpan.Zero && CaptureAgentIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(CaptureAgentIdleTimeout), CaptureAgentIdleTimeout, "The idle timeout must be positive, or infinite.");
        }

        if (!Enum.IsDefined(QueueFullMode))
        {
            throw new ArgumentOutOfRangeException(nameof(QueueFullMode), QueueFullMode, "Unknown queue-full mode.");
        }

        if (!Enum.IsDefined(DefaultDirection))
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultDirection), DefaultDirection, "Unknown direction.");
        }

        if (ReorderWindow < TimeSpan.Zero || ReorderWindow > MaxReorderWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(ReorderWindow), ReorderWindow, "The reorder window must be between zero and 5 seconds.");
        }
    }

    /// <summary><see cref="Address"/> parsed.</summary>
    /// <exception cref="ArgumentException">It is not an IP address.</exception>
    internal IPAddress ParseAddress()
    {
        ArgumentNullException.ThrowIfNull(Address, nameof(Address));
        return IPAddress.TryParse(Address.Trim(), out IPAddress? address)
            ? address
            : throw new ArgumentException($"'{Address}' is not an IP address (such as 127.0.0.1, 0.0.0.0 or ::).", nameof(Address));
    }

    /// <summary><see cref="NodeEndPoints"/> parsed (port 0: any port).</summary>
    /// <exception cref="ArgumentException">An entry is not an IP address with an optional port.</exception>
    internal IPEndPoint[] ParseNodeEndPoints()
    {
        ArgumentNullException.ThrowIfNull(NodeEndPoints, nameof(NodeEndPoints));
        var endPoints = new IPEndPoint[NodeEndPoints.Count];
        for (int i = 0; i < endPoints.Length; i++)
        {
            string? text = NodeEndPoints[i];
            endPoints[i] = TryParseEndPoint(text, out IPEndPoint? endPoint)
                ? endPoint
                : throw new ArgumentException(
                    $"[{i}] '{text}' is not an IP address with an optional port (192.0.2.5:5060, [2001:db8::5]:5060, or 192.0.2.5 for any port).",
                    nameof(NodeEndPoints));
        }

        return endPoints;
    }

    /// <summary><see cref="NodeEndPointsByAgent"/> parsed (port 0: any port).</summary>
    /// <exception cref="ArgumentException">An entry is not an IP address with an optional port, or an agent's list is missing.</exception>
    internal Dictionary<uint, IPEndPoint[]> ParseNodeEndPointsByAgent()
    {
        ArgumentNullException.ThrowIfNull(NodeEndPointsByAgent, nameof(NodeEndPointsByAgent));
        var byAgent = new Dictionary<uint, IPEndPoint[]>(NodeEndPointsByAgent.Count);
        foreach (KeyValuePair<uint, IList<string>> agent in NodeEndPointsByAgent.OrderBy(a => a.Key))
        {
            if (agent.Value is null)
            {
                throw new ArgumentException($"[{agent.Key}] has no endpoint list.", nameof(NodeEndPointsByAgent));
            }

            var endPoints = new IPEndPoint[agent.Value.Count];
            for (int i = 0; i < endPoints.Length; i++)
            {
                string? text = agent.Value[i];
                endPoints[i] = TryParseEndPoint(text, out IPEndPoint? endPoint)
                    ? endPoint
                    : throw new ArgumentException(
                        $"[{agent.Key}][{i}] '{text}' is not an IP address with an optional port (192.0.2.5:5060, [2001:db8::5]:5060, or 192.0.2.5 for any port).",
                        nameof(NodeEndPointsByAgent));
            }

            byAgent.Add(agent.Key, endPoints);
        }

        return byAgent;
    }

    /// <summary>
    /// Parses <c>address</c>, <c>address:port</c> (IPv4) or <c>[address]:port</c> (IPv6); an IPv6 address
    /// without brackets is an address alone. No port means port 0 (any).
    /// </summary>
    internal static bool TryParseEndPoint(string? text, [NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string value = text!.Trim();
        string host = value;
        string? port = null;
        bool bracketed = value[0] == '[';
        if (bracketed)
        {
            int close = value.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = value.Substring(1, close - 1);
            string rest = value.Substring(close + 1);
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                port = rest.Substring(1);
            }
        }
        else
        {
            int colon = value.IndexOf(':');
            if (colon >= 0 && colon == value.LastIndexOf(':'))
            {
                host = value.Substring(0, colon);
                port = value.Substring(colon + 1);
            }
        }

        int portNumber = 0;
        if (port is not null
            && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber > IPEndPoint.MaxPort))
        {
            return false;
        }

        if (!IPAddress.TryParse(host, out IPAddress? address)
            || (bracketed && address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6))
        {
            return false;
        }

        endPoint = new IPEndPoint(address, portNumber);
        return true;
    }
}

/// <summary>The transports a <see cref="HepCaptureListener"/> listens on (<see cref="HepCaptureOptions.Transports"/>).</summary>
[Flags]
public enum HepTransports
{
    /// <summary>None: not a valid setting, the listener would capture nothing.</summary>
    None = 0,

    /// <summary>UDP: one HEP packet (v1, v2 or v3) per datagram.</summary>
    Udp = 1,

    /// <summary>
    /// TCP: a stream of HEPv3 packets, each framed by its own length field (HEPv1 and v2 have none). A
    /// stream that does not start each packet with <c>HEP3</c> and a length of at least 6 is closed.
    /// </summary>
    Tcp = 2,
}

/// <summary>What a <see cref="HepCaptureListener"/> drops when its queue is full.</summary>
public enum HepQueueFullMode
{
    /// <summary>The packet just received: what is queued is recorded in order, the newest is lost.</summary>
    DropNewest = 0,

    /// <summary>The oldest queued packet: the newest traffic is kept.</summary>
    DropOldest,
}

/// <summary>Why a <see cref="HepCaptureListener"/> dropped a packet instead of recording it.</summary>
public enum HepDropReason
{
    /// <summary>The queue between the socket and the call tracer was full.</summary>
    QueueFull = 0,

    /// <summary>Not a well-formed HEPv3 packet (<see cref="HepPacket.Decode"/> rejected it).</summary>
    Malformed,

    /// <summary>The payload is another protocol than SIP.</summary>
    NotSip,

    /// <summary>
    /// The payload is compressed (chunk 16) and does not inflate (zlib or gzip) to a whole message of at
    /// most 64 KiB: corrupt, or a zip bomb, inflated no further than that bound.
    /// </summary>
    Compressed,

    /// <summary>The capture agent is beyond <see cref="HepCaptureOptions.MaxCaptureAgents"/>.</summary>
    TooManyAgents,

    /// <summary>The authentication key is not <see cref="HepCaptureOptions.AuthKey"/>.</summary>
    Unauthorized,

    /// <summary>
    /// The socket's receive buffer was full: the kernel dropped the datagram before the listener read it
    /// (<see cref="HepCaptureOptions.ReceiveBufferSize"/>). Counted on Linux only, where the kernel tells;
    /// these datagrams are not in <see cref="HepCaptureListener.PacketsReceived"/>.
    /// </summary>
    SocketBuffer,

    /// <summary>
    /// Decoding or recording the packet threw (a bug, or a dependency of another version than the one
    /// the package was built against, such as a <see cref="MissingMethodException"/>). The listener logs
    /// the exception (rate-limited) and records the next packet as usual.
    /// </summary>
    ProcessingError,
}

/// <summary>Decides whether the node that captured a packet received or sent the SIP message in it.</summary>
/// <param name="packet">The decoded packet (valid only during the call).</param>
/// <returns>The direction as the capturing node saw it.</returns>
public delegate SipDirection HepDirectionResolver(in HepPacket packet);
