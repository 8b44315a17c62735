using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using OpenTelemetry.Context.Propagation;
using SipTraceContext.Propagation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation.Tests;

/// <summary>
/// Injecting into a <see cref="SipWireMessage"/> at the reader's header limit: the message stays one its
/// reader accepts, trace headers are replaced rather than added, the traceparent goes first, and a refusal
/// is reported as an inject failure that names the limit.
/// </summary>
public sealed class SipWireMessageLimitTests
{
    private const int Limit = SipReaderLimits.DefaultMaxHeaderCount;

    private static readonly ActivityContext Context = new(
        ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"),
        ActivitySpanId.CreateFromString("00f067aa0ba902b7"),
        ActivityTraceFlags.Recorded,
        "own=1");

    private static readonly string OwnTraceParent = TraceParent.FromActivityContext(Context).ToString();

    [Fact]
    public void At_the_header_limit_an_inject_replaces_the_trace_headers_and_does_not_grow()
    {
        SipWireMessage message = WithHeaders(Limit, $"P-OTel-Traceparent: {SipMessages.TraceParent}", "P-OTel-Tracestate: a=1");

        new SipTextMapPropagator().Inject(new PropagationContext(Context, default), message, SipHeaderCarrier.Setter);

        Assert.Equal(Limit, message.CreateReader().HeaderCount);
        Assert.Equal([OwnTraceParent], message.GetValues("X-OTel-traceparent"));
        Assert.Equal(["own=1"], message.GetValues("X-OTel-tracestate"));
        Assert.Empty(message.GetValues("P-OTel-Traceparent"));
    }

    [Fact]
    public void At_the_header_limit_without_trace_headers_the_message_is_kept_and_the_refusal_is_reported()
    {
        SipWireMessage message = WithHeaders(Limit);
        byte[] before = message.ToArray();
        using var events = new PropagationEvents();

        new SipTextMapPropagator().Inject(new PropagationContext(Context, default), message, SipHeaderCarrier.Setter);

        Assert.Equal(before, message.ToArray());
        Assert.Contains(events.InjectFailures, reason => reason.Contains("reader limits", StringComparison.Ordinal) && reason.Contains("X-OTel-traceparent was not written", StringComparison.Ordinal));
        Assert.DoesNotContain(events.AccessorFailures, failure => failure.Contains("X-OTel-traceparent", StringComparison.Ordinal));
        // The edit itself is refused with LimitExceeded: Sip.Abstractions.Tests, CarrierTests.
    }

    [Fact]
    public void One_header_below_the_limit_the_traceparent_is_written_without_the_tracestate()
    {
        SipWireMessage message = WithHeaders(Limit - 1);
        using var events = new PropagationEvents();

        new SipTextMapPropagator().Inject(new PropagationContext(Context, default), message, SipHeaderCarrier.Setter);

        Assert.Equal(Limit, message.CreateReader().HeaderCount);
        Assert.Equal([OwnTraceParent], message.GetValues("X-OTel-traceparent"));
        Assert.Empty(message.GetValues("X-OTel-tracestate"));
        Assert.Contains(events.InjectFailures, reason => reason.Contains("without the tracestate", StringComparison.Ordinal));
    }

    /// <summary>The test INVITE padded with filler headers to exactly <paramref name="headers"/> header fields.</summary>
    private static SipWireMessage WithHeaders(int headers, params string[] trace)
    {
        int existing = new SipMessageReader(SipMessages.Invite(trace)).HeaderCount;
        string[] padding = [.. Enumerable.Range(0, headers - existing).Select(i => $"X-Pad-{i}: x")];
        var message = new SipWireMessage(SipMessages.Invite([.. padding, .. trace]));
        Assert.Equal(headers, message.CreateReader().HeaderCount);
        return message;
    }

    private sealed class PropagationEvents : EventListener
    {
        public ConcurrentQueue<string> InjectFailures { get; } = new();

        public ConcurrentQueue<string> AccessorFailures { get; } = new();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource is SipPropagationEventSource)
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            string payload = eventData.Payload is { Count: > 0 } p ? p[0] as string ?? string.Empty : string.Empty;
            if (eventData.EventName == "InjectFailed")
            {
                InjectFailures.Enqueue(payload);
            }
            else if (eventData.EventName == "CarrierAccessorFailed")
            {
                AccessorFailures.Enqueue(payload);
            }
        }
    }
}
