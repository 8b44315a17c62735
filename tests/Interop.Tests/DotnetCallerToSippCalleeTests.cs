using System.Diagnostics;
using System.Net;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Propagation;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// A .NET caller injecting P-OTel headers with <see cref="SipRawPropagator"/> -> Kamailio -> a SIPp
/// callee whose scenario checks <c>P-OTel-Traceparent</c> and <c>P-OTel-Tracestate</c> with regular
/// expressions (<c>ereg check_it="true"</c>) and fails the call otherwise.
/// </summary>
public sealed class DotnetCallerToSippCalleeTests(ITestOutputHelper output) : InteropTest(output)
{
    private static readonly SipRawPropagator POTel = new(new SipPropagationOptions { Style = SipHeaderStyle.POTel });

    [InteropFact]
    public Task Sipp_callee_accepts_the_P_OTel_headers_our_caller_injects() => RunAsync(async () =>
    {
        using Activity call = StartCallerSpan();
        (SippProcess callee, UacResult result) = await CallAsync(call.Context, expected: call.Context, useUntrustedSocket: false);

        Assert.Equal(200, result.InviteStatus);
        Assert.Equal(200, result.ByeStatus);
        Assert.Equal(0, await callee.WaitForExitCodeAsync());

        // What SIPp itself matched and logged: our traceparent and tracestate, as sent.
        Assert.Contains(TraceParent.FromActivityContext(call.Context).ToString(), callee.Logs, StringComparison.Ordinal);
        Assert.Contains(call.TraceStateString!, callee.Logs, StringComparison.Ordinal);
    });

    [InteropFact]
    public Task Sipp_callee_fails_the_call_when_the_traceparent_is_not_the_expected_one() => RunAsync(async () =>
    {
        using Activity call = StartCallerSpan();
        using Activity other = StartCallerSpan();
        (SippProcess callee, _) = await CallAsync(other.Context, expected: call.Context, useUntrustedSocket: false);

        Assert.NotEqual(0, await callee.WaitForExitCodeAsync());
        Assert.Contains("Failed regexp match", callee.Errors, StringComparison.Ordinal);
    });

    [InteropFact]
    public Task Kamailio_strips_P_OTel_on_its_untrusted_socket_so_the_Sipp_check_fails() => RunAsync(async () =>
    {
        using Activity call = StartCallerSpan();
        (SippProcess callee, UacResult result) = await CallAsync(call.Context, expected: call.Context, useUntrustedSocket: true);

        Assert.Equal(200, result.InviteStatus);
        Assert.NotEqual(0, await callee.WaitForExitCodeAsync());
        Assert.DoesNotContain("P-OTel-", callee.Messages, StringComparison.OrdinalIgnoreCase);
    });

    private Activity StartCallerSpan()
    {
        Activity activity = Source.StartActivity("uac INVITE", ActivityKind.Client)
            ?? throw new InvalidOperationException("The SDK did not sample the caller span.");
        activity.TraceStateString = "interop=" + ActivitySpanId.CreateRandom().ToHexString() + ",congo=t61rcWkgMzE";
        return activity;
    }

    private async Task<(SippProcess Callee, UacResult Result)> CallAsync(ActivityContext sent, ActivityContext expected, bool useUntrustedSocket)
    {
        KamailioProcess kamailio = await StartKamailioAsync();
        string traceparent = TraceParent.FromActivityContext(expected).ToString();
        SippProcess callee = await StartSippAsync(
            "callee",
            "uas-answer-checked.xml",
            replacements: new Dictionary<string, string>
            {
                ["TRACE_HEADER"] = "P-OTel-Traceparent",
                ["TRACEPARENT_REGEX"] = traceparent,
                ["TRACESTATE_HEADER"] = "P-OTel-Tracestate",
                ["TRACESTATE_REGEX"] = expected.TraceState!,
            });

        var caller = new DotnetUac(Endpoint("dotnet-uac"), POTel);
        IPEndPoint proxy = useUntrustedSocket ? kamailio.Untrusted : kamailio.Trusted;
        UacResult result = await caller.CallAsync(proxy, callee.EndPoint, sent);
        return (callee, result);
    }
}
