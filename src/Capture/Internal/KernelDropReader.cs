using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// Reads how many datagrams the kernel dropped for one UDP socket. Only Linux tells, per socket, in the
/// last column ("drops") of /proc/net/udp or /proc/net/udp6; the socket is found by its local port and,
/// when its descriptor's link can be read, by its inode, which no other socket shares.
/// </summary>
internal sealed class KernelDropReader
{
    // Columns of a /proc/net/udp line: sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when,
    // retrnsmt, uid, timeout, inode, ref, pointer, drops.
    private const int LocalAddressColumn = 1;
    private const int InodeColumn = 9;
    private const int DropsColumn = 12;

    private readonly string _path;
    private readonly int _port;
    private readonly ulong? _inode;

    private KernelDropReader(string path, int port, ulong? inode)
    {
        _path = path;
        _port = port;
        _inode = inode;
    }

    /// <summary>A reader for the bound socket; <see langword="null"/> where the kernel does not expose drops.</summary>
    public static KernelDropReader? TryCreate(Socket socket, out string? unavailableReason)
    {
        unavailableReason = null;
        if (!OperatingSystem.IsLinux())
        {
            unavailableReason = "only Linux exposes per-socket drops";
            return null;
        }

        if (socket.LocalEndPoint is not IPEndPoint local)
        {
            unavailableReason = "the socket is not bound";
            return null;
        }

        string path = local.AddressFamily == AddressFamily.InterNetworkV6 ? "/proc/net/udp6" : "/proc/net/udp";
        if (!File.Exists(path))
        {
            unavailableReason = path + " does not exist";
            return null;
        }

        return new KernelDropReader(path, local.Port, TryGetInode(socket));
    }

    /// <summary>The socket's drop count now; <see langword="null"/> when it cannot be read or the socket is not listed.</summary>
    public long? Read()
    {
        try
        {
            using var reader = new StreamReader(_path);
            reader.ReadLine(); // the header
            while (reader.ReadLine() is { } line)
            {
                // Without the inode, the first socket on the port is taken for ours.
                if (TryParse(line, out int port, out ulong inode, out long drops) && port == _port && (_inode is null || _inode == inode))
                {
                    return drops;
                }
            }

            return null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static bool TryParse(ReadOnlySpan<char> line, out int port, out ulong inode, out long drops)
    {
        port = 0;
        inode = 0;
        drops = 0;
        bool havePort = false, haveInode = false, haveDrops = false;
        int column = 0;
        while (true)
        {
            line = line.TrimStart(' ');
            if (line.IsEmpty)
            {
                break;
            }

            int end = line.IndexOf(' ');
            ReadOnlySpan<char> field = end < 0 ? line : line[..end];
            line = end < 0 ? default : line[end..];
            switch (column++)
            {
                case LocalAddressColumn:
                    int colon = field.LastIndexOf(':');
                    havePort = colon >= 0 && int.TryParse(field[(colon + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out port);
                    break;
                case InodeColumn:
                    haveInode = ulong.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out inode);
                    break;
                case DropsColumn:
                    haveDrops = long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out drops);
                    break;
            }
        }

        return havePort && haveInode && haveDrops;
    }

    private static ulong? TryGetInode(Socket socket)
    {
        try
        {
            // /proc/self/fd/N links to "socket:[inode]".
#if NET
            long fd = socket.SafeHandle.DangerousGetHandle().ToInt64();
            string? target = new FileInfo("/proc/self/fd/" + fd.ToString(CultureInfo.InvariantCulture)).LinkTarget;
#else
            long fd = GetDescriptor(socket);
            string? target = GetLinkTarget("/proc/self/fd/" + fd.ToString(CultureInfo.InvariantCulture));
#endif
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']')
                && ulong.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            {
                return inode;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

#if !NET
    // netstandard2.0 has neither Socket.SafeHandle nor FileSystemInfo.LinkTarget; the .NET runtimes that run
    // this build (.NET Core 3.0+ and .NET 6+) have them, and are asked by reflection so the socket's handle is
    // not exposed (Socket.Handle would be, and changes how .NET closes it). Without them (.NET Framework,
    // Mono) there is no inode: the first socket on the port is taken for ours, as when the link is unreadable.
    private static readonly System.Reflection.PropertyInfo? s_safeHandle = typeof(Socket).GetProperty("SafeHandle");
    private static readonly System.Reflection.PropertyInfo? s_linkTarget = typeof(FileSystemInfo).GetProperty("LinkTarget");

    private static long GetDescriptor(Socket socket) =>
        s_safeHandle?.GetValue(socket) is System.Runtime.InteropServices.SafeHandle handle
            ? handle.DangerousGetHandle().ToInt64()
            : socket.Handle.ToInt64();

    private static string? GetLinkTarget(string path)
    {
        try
        {
            return s_linkTarget?.GetValue(new FileInfo(path)) as string;
        }
        catch (System.Reflection.TargetInvocationException exception) when (exception.InnerException is not null)
        {
            // The property's own exception (IOException, UnauthorizedAccessException), as the net10.0 build gets it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception.InnerException).Throw();
            throw;
        }
    }
#endif
}
