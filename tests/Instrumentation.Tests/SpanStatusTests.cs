using System.Diagnostics;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;
using SipTraceContext.Instrumentation.Tests.Ims;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;
using O = SipTraceContext.Conventions.OtelAttributes;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// One test per row of the span status mapping in docs/semantic-conventions.md ("Span status"): a Server
/// span (received request) is Error only for a 5xx or a timeout; a Client span (sent request) for any 4xx,
/// 5xx, 6xx or timeout except a 401/407 challenge and a 487 after CANCEL; a 3xx is Unset on both.
/// <c>error.type</c> and <c>sip.call.failed</c> record every outcome whatever the status.
/// </summary>
public sealed class SpanStatusTests
{
    private const string CallId = "status-mapping@pc33.atlanta.example.com";

    [Theory]
    [InlineData(true, 302, "Moved Temporarily", false)]
    [InlineData(false, 302, "Moved Temporarily", false)]
    [InlineData(true, 380, "Alternative Service", false)]
    [InlineData(false, 380, "Alternative Service", false)]
    [InlineData(true, 401, "Unauthorized", false)]
    [InlineData(false, 401, "Unauthorized", false)]
    [InlineData(true, 407, "Proxy Authentication Required", false)]
    [InlineData(false, 407, "Proxy Authentication Required", false)]
    [InlineData(true, 403, "Forbidden", false)]
    [InlineData(false, 403, "Forbidden", true)]
    [InlineData(true, 404, "Not Found", false)]
    [InlineData(false, 404, "Not Found", true)]
    [InlineData(true, 408, "Request Timeout", false)]
    [InlineData(false, 408, "Request Timeout", true)]
    [InlineData(true, 486, "Busy Here", false)]
    [InlineData(false, 486, "Busy Here", true)]
    [InlineData(true, 487, "Request Terminated", false)]
    [InlineData(false, 487, "Request Terminated", true)]
    [InlineData(true, 500, "Server Internal Error", true)]
    [InlineData(false, 500, "Server Internal Error", true)]
    [InlineData(true, 503, "Service Unavailable", true)]
    [InlineData(false, 503, "Service Unavailable", true)]
    [InlineData(true, 600, "Busy Everywhere", false)]
    [InlineData(false, 600, "Busy Everywhere", true)]
    [InlineData(true, 603, "Decline", false)]
    [InlineData(false, 603, "Decline", true)]
    public void A_final_response_sets_the_status_by_span_kind_and_always_records_error_type(bool server, int status, string reason, bool error)
    {
        using var h = new TracerHarness();
        Request(h, server, Sip.Invite(CallId));
        h.Advance(120);
        Response(h, server, Sip.Response(status, reason, CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(server ? ActivityKind.Server : ActivityKind.Client, setup.Kind);
        Assert.Equal(error ? ActivityStatusCode.Error : ActivityStatusCode.Unset, setup.Status);
        Assert.Equal(error ? reason : null, setup.StatusDescription);
        string code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(code, setup.GetTagItem(O.ErrorType));
        Assert.Equal(status, setup.GetTagItem(A.StatusCode));
        Assert.Equal(1, h.Collect().Value(M.CallFailed.Name, (O.ErrorType, code)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_487_after_cancel_is_unset_on_both_sides_and_counts_as_cancelled(bool server)
    {
        using var h = new TracerHarness();
        Request(h, server, Sip.Invite(CallId));
        h.Advance(200);
        Response(h, server, Sip.Response(180, "Ringing", CallId));
        h.Advance(1800);
        Request(h, server, Sip.Cancel(CallId));
        Response(h, server, Sip.Response(200, "OK", CallId, method: "CANCEL", toTag: null));
        h.Advance(10);
        Response(h, server, Sip.Response(487, "Request Terminated", CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(server ? ActivityKind.Server : ActivityKind.Client, setup.Kind);
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
        Assert.Equal(OtelAttributes.ErrorTypeValues.Cancelled, setup.GetTagItem(O.ErrorType));
        Assert.Equal(1, h.Collect().Value(M.CallFailed.Name, (O.ErrorType, OtelAttributes.ErrorTypeValues.Cancelled)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_invite_without_any_response_is_error_at_timer_b_on_both_sides(bool server)
    {
        using var h = new TracerHarness();
        Request(h, server, Sip.Invite(CallId));
        h.Advance(33_000);

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(server ? ActivityKind.Server : ActivityKind.Client, setup.Kind);
        Assert.Equal(ActivityStatusCode.Error, setup.Status);
        Assert.Equal("Timer B fired", setup.StatusDescription);
        Assert.Equal(OtelAttributes.ErrorTypeValues.Timeout, setup.GetTagItem(O.ErrorType));
        Assert.Equal(1, h.Collect().Value(M.CallFailed.Name, (O.ErrorType, OtelAttributes.ErrorTypeValues.Timeout)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_invite_with_only_provisionals_is_error_at_timer_c_on_both_sides(bool server)
    {
        using var h = new TracerHarness();
        Request(h, server, Sip.Invite(CallId));
        h.Advance(100);
        Response(h, server, Sip.Response(183, "Session Progress", CallId));
        h.Advance(181_000);

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(ActivityStatusCode.Error, setup.Status);
        Assert.Equal("Timer C fired", setup.StatusDescription);
        Assert.Equal(OtelAttributes.ErrorTypeValues.Timeout, setup.GetTagItem(O.ErrorType));
        Assert.Equal(1, h.Collect().Value(M.CallFailed.Name, (O.ErrorType, OtelAttributes.ErrorTypeValues.Timeout)));
    }

    [Theory]
    [InlineData(true, 481, "Call/Transaction Does Not Exist", false)]
    [InlineData(false, 481, "Call/Transaction Does Not Exist", true)]
    [InlineData(true, 500, "Server Internal Error", true)]
    [InlineData(false, 500, "Server Internal Error", true)]
    public void A_failed_bye_follows_the_same_mapping(bool server, int status, string reason, bool error)
    {
        using var h = new TracerHarness();
        Request(h, server, Sip.Invite(CallId));
        Response(h, server, Sip.Response(200, "OK", CallId));
        h.Advance(5_000);
        Request(h, server, Sip.Bye(CallId));
        h.Advance(20);
        Response(h, server, Sip.Response(status, reason, CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        Activity teardown = h.Single(SipSpanNames.CallTeardown);
        Assert.Equal(server ? ActivityKind.Server : ActivityKind.Client, teardown.Kind);
        Assert.Equal(error ? ActivityStatusCode.Error : ActivityStatusCode.Unset, teardown.Status);
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), teardown.GetTagItem(O.ErrorType));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_bye_without_final_response_is_error_at_timer_f_on_both_sides(bool server)
    {
        using var h = new TracerHarness();
        Request(h, server, Sip.Invite(CallId));
        Response(h, server, Sip.Response(200, "OK", CallId));
        Request(h, server, Sip.Bye(CallId));
        h.Advance(33_000);

        Activity teardown = h.Single(SipSpanNames.CallTeardown);
        Assert.Equal(ActivityStatusCode.Error, teardown.Status);
        Assert.Equal("Timer F fired", teardown.StatusDescription);
        Assert.Equal(OtelAttributes.ErrorTypeValues.Timeout, teardown.GetTagItem(O.ErrorType));
    }

    [Theory]
    [InlineData(486, false, true)]
    [InlineData(503, true, true)]
    [InlineData(603, false, true)]
    [InlineData(302, false, false)]
    public void Ims_spans_apply_the_same_mapping_server_cscf_and_client_as_invoke(int status, bool serverError, bool clientError)
    {
        using var h = new TracerHarness();
        var scscf = new ScscfInstrumentation();
        ImsSpan invite = scscf.StartInvite(Ims.ImsMessages.Invite("ims-status@192.0.2.10"));
        ImsSpan asInvoke = scscf.StartAsInvoke(invite, "sip:as.ims.example.com;lr", "mmtel");
        asInvoke.EndWith(status);
        invite.EndWith(status);

        Activity server = h.Single(ImsSpanNames.ScscfInvite);
        Activity client = h.Single(ImsSpanNames.ScscfAsInvoke);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal(serverError ? ActivityStatusCode.Error : ActivityStatusCode.Unset, server.Status);
        Assert.Equal(clientError ? ActivityStatusCode.Error : ActivityStatusCode.Unset, client.Status);
        string code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(code, server.GetTagItem(O.ErrorType));
        Assert.Equal(code, client.GetTagItem(O.ErrorType));
    }

    [Fact]
    public void An_ims_span_the_node_fails_itself_is_error_whatever_its_kind()
    {
        using var h = new TracerHarness();
        var scscf = new ScscfInstrumentation();
        ImsSpan invite = scscf.StartInvite(Ims.ImsMessages.Invite("ims-timeout@192.0.2.10"));
        invite.SetErrorType(OtelAttributes.ErrorTypeValues.Timeout);
        invite.EndWith(408);

        Activity server = h.Single(ImsSpanNames.ScscfInvite);
        Assert.Equal(ActivityStatusCode.Error, server.Status);
        Assert.Equal(OtelAttributes.ErrorTypeValues.Timeout, server.GetTagItem(O.ErrorType));
    }

    private static void Request(TracerHarness h, bool server, byte[] message)
    {
        if (server)
        {
            h.In(message);
        }
        else
        {
            h.Out(message);
        }
    }

    private static void Response(TracerHarness h, bool server, byte[] message)
    {
        if (server)
        {
            h.Out(message);
        }
        else
        {
            h.In(message);
        }
    }
}
