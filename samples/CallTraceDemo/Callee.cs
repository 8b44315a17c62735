using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using SipTraceContext.Instrumentation;
using SipTraceContext.Propagation;

namespace CallTraceDemo;

/// <summary>
/// The called party (UAS). What it does depends on the Request-URI's user part: <c>answer</c> rings
/// then answers, <c>busy</c> answers 486, <c>ring</c> rings until cancelled, <c>slow</c> answers only
/// after a pause long enough for the caller to retransmit its INVITE. Its span continues the trace
/// the INVITE carries.
/// </summary>
public sealed class Callee : IAsyncDisposable
{
    private readonly UdpNode _node = new("callee");
    private readonly SipRawPropagator _propagator;
    private readonly ActivitySource _source;
    private readonly ConcurrentDictionary<string, Dialog> _dialogs = new(StringComparer.Ordinal);

    // Without trace headers the callee's spans come from its own call tracer, as any node's.
    private readonly SipCallTracer? _tracer;

    public Callee(SipPropagationOptions propagation, ActivitySource source, bool traceHeaders = true)
    {
        _propagator = new SipRawPropagator(propagation);
        _source = source;
        _tracer = traceHeaders ? null : DemoRunner.NodeTracer("callee", propagation);
        _node.Start(OnDatagram);
    }

    public IPEndPoint EndPoint => _node.EndPoint;

    public ConcurrentErrors Errors => _node.Errors;

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        _tracer?.Dispose();
    }

    private void OnDatagram(byte[] data, IPEndPoint from)
    {
        _tracer?.Record(data, SipDirection.In);
        string method = SipText.Method(data);
        string callId = SipText.Header(data, "Call-ID") ?? string.Empty;
        switch (method)
        {
            case "INVITE":
                var fresh = new Dialog(data, Guid.NewGuid().ToString("N")[..8]);
                Dialog dialog = _dialogs.GetOrAdd(callId, fresh);
                if (!ReferenceEquals(dialog, fresh))
                {
                    // A retransmission: repeat the last response, if any (RFC 3261 §17.2.1).
                    byte[]? last = dialog.LastResponse;
                    if (last is not null)
                    {
                        Reply(last);
                    }

                    return;
                }

                _ = Task.Run(() => HandleInviteAsync(dialog));
                break;
            case "CANCEL":
                Reply(SipText.Response(data, 200, "OK", string.Empty, EndPoint));
                if (_dialogs.TryGetValue(callId, out Dialog? cancelled))
                {
                    Final(cancelled, 487, "Request Terminated");
                }

                break;
            case "BYE":
                Reply(SipText.Response(data, 200, "OK", string.Empty, EndPoint));
                _dialogs.TryRemove(callId, out _);
                break;
            case "ACK":
                if (_dialogs.TryGetValue(callId, out Dialog? acked) && acked.FinalCode >= 300)
                {
                    _dialogs.TryRemove(callId, out _);
                }

                break;
            default:
                if (method.Length > 0)
                {
                    Reply(SipText.Response(data, 501, "Not Implemented", "x", EndPoint));
                }

                break;
        }
    }

    private async Task HandleInviteAsync(Dialog dialog)
    {
        byte[] invite = dialog.Invite;
        _propagator.TryExtract(invite, out ActivityContext parent);
        string uri = SipText.Header(invite, "To") ?? string.Empty;
        string behaviour = uri[(uri.IndexOf("sip:", StringComparison.Ordinal) + 4)..uri.IndexOf('@', StringComparison.Ordinal)];
        dialog.Activity = _tracer is not null ? null : _source.StartActivity("callee INVITE", ActivityKind.Server, parent);
        dialog.Activity?.SetTag(DemoRunner.NodeTag, "callee");

        if (behaviour == "slow")
        {
            await Task.Delay(DemoTimings.SlowAnswer);
        }

        Send(dialog, 100, "Trying");
        await Task.Delay(DemoTimings.Processing);
        if (behaviour == "busy")
        {
            Final(dialog, 486, "Busy Here");
            return;
        }

        Send(dialog, 180, "Ringing");
        if (behaviour == "ring")
        {
            return; // rings until the CANCEL comes
        }

        await Task.Delay(DemoTimings.Ringing);
        Final(dialog, 200, "OK");
    }

    private void Send(Dialog dialog, int code, string reason)
    {
        lock (dialog)
        {
            if (dialog.FinalCode != 0)
            {
                return;
            }

            dialog.LastResponse = SipText.Response(dialog.Invite, code, reason, dialog.ToTag, EndPoint);
            dialog.Activity?.AddEvent(new ActivityEvent($"sent {code} {reason}"));
            Reply(dialog.LastResponse);
        }
    }

    private void Final(Dialog dialog, int code, string reason)
    {
        lock (dialog)
        {
            if (dialog.FinalCode != 0)
            {
                return;
            }

            Send(dialog, code, reason);
            dialog.FinalCode = code;
            if (dialog.Activity is { } activity)
            {
                activity.SetTag("sip.status_code", code);
                // A Server span, mapped as the call tracer maps it (docs/semantic-conventions.md, "Span
                // status"): a 4xx or 6xx it answers (486, 487 after CANCEL) is not its fault; a 5xx is.
                if (code is >= 500 and < 600)
                {
                    activity.SetStatus(ActivityStatusCode.Error, reason);
                }

                activity.Stop();
            }
        }
    }

    private void Reply(byte[] response)
    {
        string via = SipText.Header(response, "Via") ?? string.Empty;
        _tracer?.Record(response, SipDirection.Out);
        _node.Send(response, SipText.ViaEndPoint(via));
    }

    private sealed class Dialog(byte[] invite, string toTag)
    {
        public byte[] Invite { get; } = invite;

        public string ToTag { get; } = toTag;

        public Activity? Activity { get; set; }

        public byte[]? LastResponse { get; set; }

        public int FinalCode { get; set; }
    }
}

/// <summary>How long the demo's parties wait (short, so a run takes a few seconds).</summary>
public static class DemoTimings
{
    public static readonly TimeSpan Processing = TimeSpan.FromMilliseconds(15);
    public static readonly TimeSpan Ringing = TimeSpan.FromMilliseconds(60);
    public static readonly TimeSpan SlowAnswer = TimeSpan.FromMilliseconds(300);
    public static readonly TimeSpan Retransmit = TimeSpan.FromMilliseconds(60);
    public static readonly TimeSpan Talk = TimeSpan.FromMilliseconds(40);
    public static readonly TimeSpan RingBeforeCancel = TimeSpan.FromMilliseconds(40);
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);
}
