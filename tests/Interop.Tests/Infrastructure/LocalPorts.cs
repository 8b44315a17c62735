using System.Net;
using System.Net.Sockets;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>UDP ports on 127.0.0.1 for processes that must be told their port before they start.</summary>
internal static class LocalPorts
{
    private static readonly HashSet<int> Handed = [];
    private static readonly Lock Gate = new();

    /// <summary>
    /// A port the kernel just handed out for 127.0.0.1 and that this process has not handed out before.
    /// The socket is closed again, so another process could take it in between; the kernel cycles
    /// through its ephemeral range, which makes that unlikely in a test run.
    /// </summary>
    public static int NextUdpPort()
    {
        lock (Gate)
        {
            for (int attempt = 0; attempt < 100; attempt++)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                if (Handed.Add(port))
                {
                    return port;
                }
            }

            throw new InvalidOperationException("No free UDP port on 127.0.0.1.");
        }
    }

    /// <summary>Whether some process has bound the UDP port on 127.0.0.1 (used to wait for SIPp).</summary>
    public static bool IsBound(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
