using System.Net;
using System.Net.Sockets;

namespace CallTraceDemo;

/// <summary>One UDP socket on 127.0.0.1 (ephemeral port) with a receive loop handing datagrams to a callback.</summary>
public sealed class UdpNode : IAsyncDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public UdpNode(string name) => Name = name;

    public string Name { get; }

    public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    public string HostPort => $"127.0.0.1:{EndPoint.Port}";

    public ConcurrentErrors Errors { get; } = new();

    public void Start(Action<byte[], IPEndPoint> onDatagram)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                UdpReceiveResult received;
                try
                {
                    received = await _udp.ReceiveAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue; // ICMP port unreachable after a peer closed: keep serving
                }

                try
                {
                    onDatagram(received.Buffer, received.RemoteEndPoint);
                }
                catch (Exception e)
                {
                    Errors.Add($"{Name}: {e.Message}");
                }
            }
        });
    }

    public void Send(byte[] message, IPEndPoint to) => _udp.Send(message, message.Length, to);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _udp.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Errors a node met while serving (the demo fails if any).</summary>
public sealed class ConcurrentErrors
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _items = new();

    public void Add(string error) => _items.Enqueue(error);

    public IReadOnlyCollection<string> Items => _items;
}
