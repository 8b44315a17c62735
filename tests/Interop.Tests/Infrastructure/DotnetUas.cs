using System.Collections.Concurrent;
using System.Diagnostics;
using SipTraceContext.Propagation;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>A request the .NET callee received, with the trace context our propagator extracted from it.</summary>
internal sealed record UasRequest(string Method, byte[] Message, bool Extracted, ActivityContext Context);

/// <summary>
/// A small callee built on our wire reader and <see cref="SipRawPropagator"/>: answers every INVITE
/// with 180 and 200, every BYE with 200, resends its last response to a retransmitted request, and
/// starts one server span per INVITE under the context the INVITE carried.
/// </summary>
internal sealed class DotnetUas : IAsyncDisposable
{
    private static readonly TimeSpan RingTime = TimeSpan.FromMilliseconds(50);

    private readonly SipUdpEndpoint _endpoint;
    private readonly ActivitySource _source;
    private readonly SipRawPropagator _propagator;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<UasRequest> _requests = new();
    private readonly Dictionary<string, byte[]> _lastResponseByBranch = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _byeAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    public DotnetUas(SipUdpEndpoint endpoint, ActivitySource source, SipRawPropagator propagator)
    {
        _endpoint = endpoint;
        _source = source;
        _propagator = propagator;
        _loop = Task.Run(RunAsync);
    }

    public IReadOnlyCollection<UasRequest> Requests => _requests;

    /// <summary>Messages the callee failed on (tests assert there are none).</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Completes when the callee has answered a BYE.</summary>
    public Task ByeAnswered => _byeAnswered.Task;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            ReceivedDatagram? datagram = await _endpoint.TryReceiveAsync(TimeSpan.FromSeconds(30), _stop.Token).ConfigureAwait(false);
            if (datagram is null)
            {
                continue;
            }

            try
            {
                await HandleAsync(datagram).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Recorded in Failures, which the tests assert empty; the callee keeps serving.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Failures.Enqueue("failed on a message: " + e);
            }
        }
    }

    private async Task HandleAsync(ReceivedDatagram datagram)
    {
        string method = SipWire.Method(datagram.Data);
        if (method.Length == 0)
        {
            return; // a response (none expected) or something unreadable: the transcript has it
        }

        bool extracted = _propagator.TryExtract(datagram.Data, out ActivityContext context);
        _requests.Enqueue(new UasRequest(method, datagram.Data, extracted, context));

        string branch = SipWire.GetParameter(SipWire.Header(datagram.Data, "Via") ?? string.Empty, "branch") ?? string.Empty;
        string key = branch + " " + method;
        if (_lastResponseByBranch.TryGetValue(key, out byte[]? last))
        {
            await ReplyAsync(datagram.Data, last).ConfigureAwait(false);
            return;
        }

        switch (method)
        {
            case "INVITE":
                using (Activity? span = _source.StartActivity("uas INVITE", ActivityKind.Server, extracted ? context : default))
                {
                    string tag = "uas" + Guid.NewGuid().ToString("N")[..8];
                    await ReplyAsync(datagram.Data, SipWire.Response(datagram.Data, 180, "Ringing", tag, _endpoint.LocalEndPoint)).ConfigureAwait(false);

                    // Ring a little: Kamailio's workers could relay a 180 and a 200 sent back to back
                    // in either order, and a SIPp caller fails a 180 after the 200.
                    await Task.Delay(RingTime, _stop.Token).ConfigureAwait(false);
                    byte[] ok = SipWire.Response(datagram.Data, 200, "OK", tag, _endpoint.LocalEndPoint);
                    _lastResponseByBranch[key] = ok;
                    await ReplyAsync(datagram.Data, ok).ConfigureAwait(false);
                }

                break;
            case "BYE":
                byte[] byeOk = SipWire.Response(datagram.Data, 200, "OK", toTag: null, contact: null);
                _lastResponseByBranch[key] = byeOk;
                await ReplyAsync(datagram.Data, byeOk).ConfigureAwait(false);
                _byeAnswered.TrySetResult();
                break;
            case "ACK":
                break;
            default:
                await ReplyAsync(datagram.Data, SipWire.Response(datagram.Data, 200, "OK", "uas", contact: null)).ConfigureAwait(false);
                break;
        }
    }

    private Task ReplyAsync(byte[] request, byte[] response) =>
        _endpoint.SendAsync(response, SipWire.ViaEndPoint(SipWire.Header(request, "Via") ?? string.Empty));
}
