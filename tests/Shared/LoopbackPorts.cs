using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SipTraceContext.Tests.Shared;

/// <summary>
/// Ports on 127.0.0.1 for processes and listeners that must be told their port before they start
/// (Kamailio, SIPp, the collector's HTTP endpoints).
/// </summary>
/// <remarks>
/// A port the kernel hands out for port 0 comes from the ephemeral range, the same range every
/// outgoing connection on the machine takes its local port from. Between closing the probe and the
/// real bind, a connection made by another test process (an OTLP export, a scrape) can take that port,
/// and the bind fails with "address in use". These ports are chosen at random below the ephemeral
/// range, where no outgoing connection lands, checked free by binding them, and never handed out
/// twice by one process.
/// </remarks>
internal static class LoopbackPorts
{
    private const int LowestPort = 10_000;

    private static readonly HashSet<int> Handed = [];
    private static readonly Lock Gate = new();
    private static readonly int EphemeralStart = ReadEphemeralStart();

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before.</summary>
    public static int NextTcp() => Next(SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before.</summary>
    public static int NextUdp() => Next(SocketType.Dgram, ProtocolType.Udp);

    /// <summary>Whether some process has bound the UDP port on 127.0.0.1 (used to wait for a peer to start).</summary>
    public static bool IsUdpBound(int port) => !IsFree(port, SocketType.Dgram, ProtocolType.Udp);

    private static int Next(SocketType socketType, ProtocolType protocol)
    {
        lock (Gate)
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                int port = Random.Shared.Next(LowestPort, EphemeralStart);
                if (Handed.Contains(port) || !IsFree(port, socketType, protocol))
                {
                    continue;
                }

                Handed.Add(port);
                return port;
            }

            throw new InvalidOperationException($"No free port on 127.0.0.1 between {LowestPort} and {EphemeralStart}.");
        }
    }

    private static bool IsFree(int port, SocketType socketType, ProtocolType protocol)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, socketType, protocol);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux's default 32768 where it cannot be read).</summary>
    private static int ReadEphemeralStart()
    {
        const int LinuxDefault = 32_768;
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            int start = int.Parse(range[0], CultureInfo.InvariantCulture);
            return start > LowestPort + 1_000 ? start : LinuxDefault;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return LinuxDefault;
        }
    }
}
