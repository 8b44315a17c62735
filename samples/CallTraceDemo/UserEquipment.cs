using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;

namespace CallTraceDemo;

/// <summary>
/// The calling handset (UE-A): for each subscriber it registers through the P-CSCF, then places a VoLTE call
/// (INVITE with an AMR-WB offer), acknowledges the answer and hangs up, following the dialog's route set.
/// Handsets are not instrumented: the traces start at the P-CSCF.
/// </summary>
public sealed class OriginatingUserEquipment : IAsyncDisposable
{
    public const string AccessNetworkInfo = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001A2D0510";
    public const string Domain = "ims.demo.invalid";

    private readonly UdpNode _node = new(ImsRoles.UserEquipmentA);
    private readonly ConcurrentDictionary<string, Channel<byte[]>> _transactions = new(StringComparer.Ordinal);

    public OriginatingUserEquipment()
    {
        _node.Start((data, _) =>
        {
            if (_transactions.TryGetValue(SipText.Header(data, "Call-ID") ?? string.Empty, out Channel<byte[]>? inbox))
            {
                inbox.Writer.TryWrite(data);
            }
        });
    }

    public ConcurrentErrors Errors => _node.Errors;

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    /// <summary>The public identity of subscriber <paramref name="index"/>.</summary>
    public static string Impu(int index) => $"sip:+1555010{index + 1:0000}@{Domain}";

    /// <summary>Registers subscriber <paramref name="index"/>; returns the REGISTER's Call-ID.</summary>
    public async Task<string> RegisterAsync(int index, IPEndPoint pcscf)
    {
        string callId = $"reg-{index + 1}-{Guid.NewGuid():N}@127.0.0.1";
        Channel<byte[]> inbox = Open(callId);
        try
        {
            string impu = Impu(index);
            _node.Send(Message(
                $"REGISTER sip:{Domain} SIP/2.0",
                [
                    $"Via: SIP/2.0/UDP {_node.HostPort};branch={NewBranch()}",
                    "Max-Forwards: 70",
                    $"From: <{impu}>;tag={NewTag()}",
                    $"To: <{impu}>",
                    $"Call-ID: {callId}",
                    "CSeq: 1 REGISTER",
                    $"Contact: <sip:ue-a-{index + 1}@{_node.HostPort}>;expires=600000",
                    $"P-Access-Network-Info: {AccessNetworkInfo}",
                ],
                body: null), pcscf);

            byte[] final = await FinalAsync(inbox, "REGISTER");
            if (SipText.Status(final) != 200)
            {
                throw new InvalidOperationException($"registration of {impu} failed: {SipText.Status(final)}");
            }

            return callId;
        }
        finally
        {
            _transactions.TryRemove(callId, out _);
        }
    }

    /// <summary>Calls <paramref name="called"/> from subscriber <paramref name="index"/>, talks briefly and hangs up; returns the INVITE's Call-ID.</summary>
    public async Task<string> CallAsync(int index, string called, IPEndPoint pcscf)
    {
        string callId = $"call-{index + 1}-{Guid.NewGuid():N}@127.0.0.1";
        Channel<byte[]> inbox = Open(callId);
        try
        {
            string impu = Impu(index);
            string fromTag = NewTag();
            string outbound = $"<sip:{pcscf.Address}:{pcscf.Port};lr>";
            string sdp =
                "v=0\r\n" +
                $"o=- {index + 1} 1 IN IP4 127.0.0.1\r\n" +
                "s=-\r\n" +
                "c=IN IP4 127.0.0.1\r\n" +
                "b=AS:49\r\n" +
                "t=0 0\r\n" +
                $"m=audio {40000 + (2 * index)} RTP/AVP 97 98\r\n" +
                "a=rtpmap:97 AMR-WB/16000/1\r\n" +
                "a=rtpmap:98 telephone-event/16000\r\n";
            _node.Send(Message(
                $"INVITE {called} SIP/2.0",
                [
                    $"Via: SIP/2.0/UDP {_node.HostPort};branch={NewBranch()}",
                    $"Route: {outbound}",
                    "Max-Forwards: 70",
                    $"From: <{impu}>;tag={fromTag}",
                    $"To: <{called}>",
                    $"Call-ID: {callId}",
                    "CSeq: 1 INVITE",
                    $"Contact: <sip:ue-a-{index + 1}@{_node.HostPort}>",
                    $"P-Preferred-Identity: <{impu}>",
                    $"P-Access-Network-Info: {AccessNetworkInfo}",
                ],
                sdp), pcscf);

            byte[] answer = await FinalAsync(inbox, "INVITE");
            int status = SipText.Status(answer);
            if (status is < 200 or >= 300)
            {
                throw new InvalidOperationException($"call from {impu} failed: {status}");
            }

            // The dialog's route set is the Record-Route of the answer, reversed (RFC 3261 §12.1.2).
            List<string> routeSet = [.. SipText.Headers(answer, "Record-Route")
                .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .Reverse()];
            string target = (SipText.Header(answer, "Contact") ?? string.Empty).Trim('<', '>', ' ');
            string to = SipText.Header(answer, "To") ?? $"<{called}>";
            IPEndPoint next = routeSet.Count > 0 ? SipText.UriEndPoint(routeSet[0]) : SipText.UriEndPoint(target);
            byte[] InDialog(string method, int cseq) => Message(
                $"{method} {target} SIP/2.0",
                [
                    $"Via: SIP/2.0/UDP {_node.HostPort};branch={NewBranch()}",
                    .. routeSet.Count > 0 ? new[] { "Route: " + string.Join(", ", routeSet) } : [],
                    "Max-Forwards: 70",
                    $"From: <{impu}>;tag={fromTag}",
                    $"To: {to}",
                    $"Call-ID: {callId}",
                    string.Create(CultureInfo.InvariantCulture, $"CSeq: {cseq} {method}"),
                ],
                body: null);

            _node.Send(InDialog("ACK", 1), next);
            await Task.Delay(ImsTimings.Talk);
            _node.Send(InDialog("BYE", 2), next);
            byte[] byeAnswer = await FinalAsync(inbox, "BYE");
            if (SipText.Status(byeAnswer) != 200)
            {
                throw new InvalidOperationException($"BYE from {impu} failed: {SipText.Status(byeAnswer)}");
            }

            return callId;
        }
        finally
        {
            _transactions.TryRemove(callId, out _);
        }
    }

    private Channel<byte[]> Open(string callId)
    {
        var inbox = Channel.CreateUnbounded<byte[]>();
        _transactions[callId] = inbox;
        return inbox;
    }

    /// <summary>Waits for the final response to <paramref name="method"/>, skipping provisional ones.</summary>
    private static async Task<byte[]> FinalAsync(Channel<byte[]> inbox, string method)
    {
        using var timeout = new CancellationTokenSource(DemoTimings.ResponseTimeout);
        try
        {
            while (true)
            {
                byte[] response = await inbox.Reader.ReadAsync(timeout.Token);
                if (SipText.CSeqMethod(response) == method && SipText.Status(response) >= 200)
                {
                    return response;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no final response to {method} within {DemoTimings.ResponseTimeout}");
        }
    }

    private static string NewBranch() => "z9hG4bK" + Guid.NewGuid().ToString("N")[..16];

    private static string NewTag() => Guid.NewGuid().ToString("N")[..8];

    internal static byte[] Message(string startLine, IEnumerable<string> headers, string? body)
    {
        var text = new StringBuilder().Append(startLine).Append("\r\n");
        foreach (string header in headers)
        {
            text.Append(header).Append("\r\n");
        }

        if (body is not null)
        {
            text.Append("Content-Type: application/sdp\r\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Content-Length: {Encoding.ASCII.GetByteCount(body ?? string.Empty)}\r\n\r\n").Append(body);
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}

/// <summary>
/// The called handset (UE-B): rings, then answers every INVITE, and answers BYE. It checks the trust edge: no
/// trace header may reach a handset.
/// </summary>
public sealed class TerminatingUserEquipment : IAsyncDisposable
{
    private readonly UdpNode _node = new(ImsRoles.UserEquipmentB);

    public TerminatingUserEquipment() => _node.Start(OnDatagram);

    /// <summary>The contact UE-B registered (the I-CSCF routes calls for it here, through the P-CSCF).</summary>
    public string Contact => $"sip:ue-b@{_node.HostPort}";

    public IPEndPoint EndPoint => _node.EndPoint;

    public ConcurrentErrors Errors => _node.Errors;

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    private void OnDatagram(byte[] data, IPEndPoint from)
    {
        string method = SipText.Method(data);
        if (method.Length == 0)
        {
            return;
        }

        if (Encoding.ASCII.GetString(data).Contains("OTel-", StringComparison.OrdinalIgnoreCase))
        {
            Errors.Add($"{_node.Name}: a {method} reached the handset with trace headers");
        }

        switch (method)
        {
            case "INVITE":
                string toTag = Guid.NewGuid().ToString("N")[..8];
                Reply(SipText.Response(data, 100, "Trying", toTag, EndPoint));
                _ = Task.Run(async () =>
                {
                    Reply(SipText.Response(data, 180, "Ringing", toTag, EndPoint));
                    await Task.Delay(ImsTimings.Ringing);
                    Reply(SipText.Response(data, 200, "OK", toTag, EndPoint));
                });
                break;
            case "BYE":
                Reply(SipText.Response(data, 200, "OK", string.Empty, EndPoint));
                break;
            default:
                break; // ACK
        }
    }

    private void Reply(byte[] response) => _node.Send(response, SipText.ViaEndPoint(SipText.Header(response, "Via") ?? string.Empty));
}
