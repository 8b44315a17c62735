using System.Net;
using System.Net.Sockets;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>UDP ports on 127.0.0.1 for processes that must be told their port before they start.</summary>
internal static class LocalPorts
{
    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before (see <see cref="LoopbackPorts"/>).</summary>
    public static int NextUdpPort() => LoopbackPorts.NextUdp();

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
