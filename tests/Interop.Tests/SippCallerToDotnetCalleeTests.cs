using System.Diagnostics;
using System.Globalization;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Propagation;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// SIPp caller -> Kamailio (stateful, record-routing) -> a .NET callee on our wire reader and
/// <see cref="SipRawPropagator"/>: the callee extracts exactly the context the caller sent, and the
/// span it starts is that context's child, on every request of the call.
/// </summary>
public sealed class SippCallerToDotnetCalleeTests(ITestOutputHelper output) : InteropTest(output)
{
    [InteropFact]
    public Task Callee_extracts_the_callers_X_OTel_context_through_Kamailio() => RunAsync(async () =>
    {
        TraceContextSample sent = TraceContextSample.Create();
        await RunCallAsync(
            "uac-answered.xml",
            new Dictionary<string, string>
            {
                ["traceparent"] = sent.TraceParent,
                ["tracestate"] = sent.TraceState,
            },
            sent);
    });

    [InteropFact]
    public Task Callee_extracts_the_context_from_compact_forms_odd_case_and_a_split_tracestate() => RunAsync(async () =>
    {
        TraceContextSample sent = TraceContextSample.Create();
        string[] members = sent.TraceState.Split(',');
        await RunCallAsync(
            "uac-answered-compact.xml",
            new Dictionary<string, string>
            {
                ["traceparent"] = sent.TraceParent,
                ["tracestate1"] = members[0],
                ["tracestate2"] = string.Join(',', members[1..]),
            },
            sent);

        // What Kamailio relayed still reads in the compact form SIPp wrote: nothing was normalized
        // on the way, so our reader's compact-form and case-insensitive lookups were what mattered.
        UasRequest invite = Assert.Single(Uas.Requests, r => r.Method == "INVITE");
        List<(string Name, string Value)> headers = SipWire.AllHeaders(invite.Message);
        Assert.Contains(headers, h => h.Name == "f");
        Assert.Contains(headers, h => h.Name == "i");
        Assert.Contains(headers, h => h.Name == "x-otel-TRACEPARENT");
        Assert.Equal(2, headers.Count(h => h.Name.Equals("X-OTel-tracestate", StringComparison.OrdinalIgnoreCase)));
    });

    private DotnetUas Uas { get; set; } = null!;

    private async Task RunCallAsync(string scenario, Dictionary<string, string> variables, TraceContextSample sent)
    {
        SipUdpEndpoint calleeSocket = Endpoint("dotnet-uas");
        Uas = Own(new DotnetUas(calleeSocket, Source, new SipRawPropagator()));
        KamailioProcess kamailio = await StartKamailioAsync();

        variables["uas_port"] = calleeSocket.Port.ToString(CultureInfo.InvariantCulture);
        SippProcess caller = await StartSippAsync("caller", scenario, kamailio.Trusted, variables);

        Assert.Equal(0, await caller.WaitForExitCodeAsync());
        await Uas.ByeAnswered.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(Uas.Failures);

        // Every request of the call reached the callee with exactly the caller's context.
        string[] methods = [.. Uas.Requests.Select(r => r.Method).Distinct()];
        Assert.Equal(["INVITE", "ACK", "BYE"], methods);
        foreach (UasRequest request in Uas.Requests)
        {
            Assert.True(request.Extracted, $"no trace context extracted from the {request.Method}");
            sent.AssertExtracted(request.Context);
        }

        // The callee's span is the caller's child, exported by the real SDK.
        FlushSpans();
        Activity span = Assert.Single(ExportedSpans, s => s.DisplayName == "uas INVITE");
        Assert.Equal(sent.TraceId, span.TraceId);
        Assert.Equal(sent.SpanId, span.ParentSpanId);
        Assert.NotEqual(sent.SpanId, span.SpanId);
        Assert.Equal(sent.TraceState, span.TraceStateString);
        Assert.True(span.HasRemoteParent);
    }
}
