using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using SipTraceContext.Propagation;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>How a call the .NET caller placed ended.</summary>
internal sealed record UacResult(int InviteStatus, int ByeStatus);

/// <summary>
/// A small caller built on our wire reader and <see cref="SipRawPropagator"/>: INVITE (retransmitted
/// on T1 until a response), ACK, BYE through an outbound proxy, with the trace context injected into
/// every request it sends.
/// </summary>
internal sealed class DotnetUac(SipUdpEndpoint endpoint, SipRawPropagator propagator)
{
    private static readonly TimeSpan T1 = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan FinalResponseTimeout = TimeSpan.FromSeconds(10);

    // Between the ACK and the BYE. Kamailio hands datagrams to several worker processes, so two sent
    // back to back can leave it in either order, and a SIPp callee fails a BYE that overtakes the ACK.
    private static readonly TimeSpan HoldTime = TimeSpan.FromMilliseconds(100);

    public async Task<UacResult> CallAsync(IPEndPoint proxy, IPEndPoint callee, ActivityContext context)
    {
        string local = $"127.0.0.1:{endpoint.Port}";
        string tag = Guid.NewGuid().ToString("N")[..10];
        string callId = Guid.NewGuid().ToString("N") + "@127.0.0.1";
        string to = $"<sip:callee@{callee.Address}:{callee.Port}>";
        string branch = NewBranch();
        byte[] invite = Inject(
            $"INVITE sip:callee@{callee.Address}:{callee.Port} SIP/2.0\r\n" +
            $"Via: SIP/2.0/UDP {local};branch={branch};rport\r\n" +
            "Max-Forwards: 70\r\n" +
            $"From: <sip:dotnet-caller@{local}>;tag={tag}\r\n" +
            $"To: {to}\r\n" +
            $"Call-ID: {callId}\r\n" +
            "CSeq: 1 INVITE\r\n" +
            $"Contact: <sip:dotnet-caller@{local}>\r\n" +
            "Content-Length: 0\r\n\r\n",
            context);

        ReceivedDatagram final = await SendInviteAsync(invite, proxy, callId).ConfigureAwait(false);
        SipWire.IsResponse(final.Data, out int status, out _);
        string toWithTag = SipWire.Header(final.Data, "To") ?? to;
        if (status >= 300)
        {
            // ACK for a non-2xx: hop by hop, same branch as the INVITE (RFC 3261 §17.1.1.3).
            await endpoint.SendAsync(
                Inject(
                    $"ACK sip:callee@{callee.Address}:{callee.Port} SIP/2.0\r\n" +
                    $"Via: SIP/2.0/UDP {local};branch={branch};rport\r\n" +
                    "Max-Forwards: 70\r\n" +
                    $"From: <sip:dotnet-caller@{local}>;tag={tag}\r\n" +
                    $"To: {toWithTag}\r\n" +
                    $"Call-ID: {callId}\r\n" +
                    "CSeq: 1 ACK\r\n" +
                    "Content-Length: 0\r\n\r\n",
                    context),
                proxy).ConfigureAwait(false);
            return new UacResult(status, 0);
        }

        // In-dialog requests: Request-URI from Contact, route set from Record-Route reversed.
        string target = SipWire.Header(final.Data, "Contact") ?? to;
        string remoteTarget = target[(target.IndexOf('<', StringComparison.Ordinal) + 1)..target.IndexOf('>', StringComparison.Ordinal)];
        List<string> routes = SipWire.Headers(final.Data, "Record-Route").SelectMany(SplitList).Reverse().ToList();
        IPEndPoint nextHop = routes.Count > 0 ? SipWire.UriEndPoint(routes[0]) : SipWire.UriEndPoint(remoteTarget);
        string routeLines = string.Concat(routes.Select(r => $"Route: {r}\r\n"));

        string InDialog(string method, int cseq, string requestBranch) =>
            $"{method} {remoteTarget} SIP/2.0\r\n" +
            $"Via: SIP/2.0/UDP {local};branch={requestBranch};rport\r\n" +
            routeLines +
            "Max-Forwards: 70\r\n" +
            $"From: <sip:dotnet-caller@{local}>;tag={tag}\r\n" +
            $"To: {toWithTag}\r\n" +
            $"Call-ID: {callId}\r\n" +
            $"CSeq: {cseq} {method}\r\n" +
            "Content-Length: 0\r\n\r\n";

        await endpoint.SendAsync(Inject(InDialog("ACK", 1, NewBranch()), context), nextHop).ConfigureAwait(false);
        await Task.Delay(HoldTime).ConfigureAwait(false);
        byte[] bye = Inject(InDialog("BYE", 2, NewBranch()), context);
        ReceivedDatagram byeResponse = await SendUntilFinalAsync(bye, nextHop, callId, "BYE").ConfigureAwait(false);
        SipWire.IsResponse(byeResponse.Data, out int byeStatus, out _);
        return new UacResult(status, byeStatus);
    }

    private static string NewBranch() => "z9hG4bK-dotnet-" + Guid.NewGuid().ToString("N")[..12];

    private static IEnumerable<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool IsFinalFor(ReceivedDatagram datagram, string callId, string method) =>
        SipWire.IsResponse(datagram.Data, out int status, out string cseqMethod) &&
        status >= 200 && cseqMethod == method && SipWire.Header(datagram.Data, "Call-ID") == callId;

    private byte[] Inject(string message, ActivityContext context)
    {
        byte[] source = Encoding.ASCII.GetBytes(message);
        byte[] destination = new byte[source.Length + propagator.MaxAddedBytes];
        if (!propagator.TryInject(source, context, destination, out int written))
        {
            throw new InvalidOperationException("SipRawPropagator.TryInject failed on a message the test built:\n" + message);
        }

        return destination[..written];
    }

    private async Task<ReceivedDatagram> SendInviteAsync(byte[] invite, IPEndPoint proxy, string callId)
    {
        // Timer A: retransmit on T1, doubling, until any response; then wait for the final one.
        TimeSpan interval = T1;
        DateTime deadline = DateTime.UtcNow + FinalResponseTimeout;
        bool provisional = false;
        await endpoint.SendAsync(invite, proxy).ConfigureAwait(false);
        while (DateTime.UtcNow < deadline)
        {
            ReceivedDatagram? datagram = await endpoint.TryReceiveAsync(provisional ? deadline - DateTime.UtcNow : interval).ConfigureAwait(false);
            if (datagram is null)
            {
                if (!provisional)
                {
                    await endpoint.SendAsync(invite, proxy).ConfigureAwait(false);
                    interval *= 2;
                }

                continue;
            }

            if (SipWire.IsResponse(datagram.Data, out int status, out string method) && method == "INVITE" && SipWire.Header(datagram.Data, "Call-ID") == callId)
            {
                if (status >= 200)
                {
                    return datagram;
                }

                provisional = true;
            }
        }

        throw new TimeoutException($"No final response to the INVITE within {FinalResponseTimeout.TotalSeconds} s.");
    }

    private async Task<ReceivedDatagram> SendUntilFinalAsync(byte[] request, IPEndPoint to, string callId, string method)
    {
        // Timer E for a non-INVITE: retransmit on T1, doubling, until the final response.
        TimeSpan interval = T1;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            await endpoint.SendAsync(request, to).ConfigureAwait(false);
            DateTime deadline = DateTime.UtcNow + interval;
            while (DateTime.UtcNow < deadline)
            {
                ReceivedDatagram? datagram = await endpoint.TryReceiveAsync(deadline - DateTime.UtcNow).ConfigureAwait(false);
                if (datagram is not null && IsFinalFor(datagram, callId, method))
                {
                    return datagram;
                }
            }

            interval *= 2;
        }

        throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"No final response to the {method}."));
    }
}
