using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// The call tracer reads a carrier once: it renders the carrier's start line, the headers it uses and
/// every trace header extraction reads into a message, and extracts the context from that message. These
/// properties hold that reading to what <see cref="SipTextMapPropagator"/> extracts from the carrier itself,
/// the way the tracer used to, for generated trace headers (valid, malformed, repeated, several styles and
/// spellings, whitespace) under each propagation style.
/// </summary>
public sealed class CarrierExtractionProperties
{
    private const string Tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string OtherTp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

    /// <summary>One trace header of a carrier: a name (any accepted prefix, or one extraction ignores) and a value.</summary>
    public sealed record TraceHeader(string Name, string Value);

    private static Gen<TraceHeader> TraceHeaders =>
        from prefix in Gen.Elements("X-OTel-", "P-OTel-", "x-otel-", "OTel-", "X-B3-", string.Empty)
        from suffix in Gen.Elements("traceparent", "Traceparent", "tracestate", "Tracestate")
        from value in Gen.Elements(Tp, Tp, OtherTp, " " + Tp + " ", "\t" + Tp, "00-bad", Tp + "," + OtherTp, "a=1", "b=2,c=3", "vendor=x;y", "=bad", string.Empty, "é=1")
        select new TraceHeader(prefix + suffix, value);

    private static Gen<SipPropagationOptions> Options =>
        from style in Gen.Elements(SipHeaderStyle.XOTel, SipHeaderStyle.POTel)
        from otherStyle in Gen.Elements(true, false)
        from fallbacks in Gen.Elements(true, false)
        select new SipPropagationOptions { Style = style, ExtractOtherStyle = otherStyle, AcceptFallbackHeaders = fallbacks };

    [Property(MaxTest = 500)]
    public Property Extraction_from_the_rendered_message_equals_extraction_from_the_carrier() =>
        Prop.ForAll(
            Options.ToArbitrary(),
            (from count in Gen.Choose(0, 5) from headers in TraceHeaders.ArrayOf(count) select headers).ToArbitrary(),
            Gen.Elements(true, false).ToArbitrary(),
            (options, headers, request) =>
            {
                SipHeaderCollection carrier = Carrier(headers, request);
                ActivityContext fromCarrier = new SipTextMapPropagator(options).Extract(default, carrier, SipHeaderCarrier.Getter).ActivityContext;
                ActivityContext fromRendered = ExtractAsTheTracerDoes(carrier, options);
                return (fromCarrier == fromRendered && fromCarrier.TraceState == fromRendered.TraceState)
                    .Label($"carrier: {fromCarrier.TraceId}/{fromCarrier.SpanId} '{fromCarrier.TraceState}', rendered: {fromRendered.TraceId}/{fromRendered.SpanId} '{fromRendered.TraceState}'\n"
                        + string.Join("\n", headers.Select(h => $"{h.Name}: {h.Value}")));
            });

    [Fact]
    public void A_carrier_whose_traceparent_breaks_a_line_is_refused_as_a_whole()
    {
        var carrier = new OptionsTests.NaiveCarrier(Carrier([], request: true), "X-OTel-traceparent", Tp + "\r\nVia: SIP/2.0/UDP attacker");
        using var spans = new CallSpans(new SipCallTracerOptions());
        Assert.Null(CarrierMessage.Render(carrier, spans.ExtractedHeaderNames, out _));
    }

    [Fact]
    public void Every_value_of_a_trace_header_is_rendered_so_a_repeated_traceparent_stays_repeated()
    {
        SipHeaderCollection carrier = Carrier([new TraceHeader("X-OTel-traceparent", Tp), new TraceHeader("X-OTel-traceparent", OtherTp)], request: true);
        Assert.Equal(default, ExtractAsTheTracerDoes(carrier, new SipPropagationOptions()));
        Assert.Equal(default, new SipTextMapPropagator().Extract(default, carrier, SipHeaderCarrier.Getter).ActivityContext);
    }

    // The names the tracer renders come from its span writer; the extraction is the raw propagator's over the reader.
    private static ActivityContext ExtractAsTheTracerDoes(ISipMessageCarrier carrier, SipPropagationOptions options)
    {
        using var spans = new CallSpans(new SipCallTracerOptions { Propagation = options });
        var propagator = new SipRawPropagator(options);
        byte[]? buffer = CarrierMessage.Render(carrier, spans.ExtractedHeaderNames, out int length);
        Assert.NotNull(buffer);
        try
        {
            var reader = new SipMessageReader(buffer.AsSpan(0, length));
            Assert.True(reader.IsComplete);
            return propagator.TryExtract(in reader, out ActivityContext context) ? context : default;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static SipHeaderCollection Carrier(TraceHeader[] traceHeaders, bool request)
    {
        var carrier = new SipHeaderCollection
        {
            { "Via", "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds" },
            { "From", "<sip:alice@atlanta.example.com>;tag=1928301774" },
            { "To", "<sip:bob@biloxi.example.com>" },
            { "Call-ID", "a84b4c76e66710@pc33.atlanta.example.com" },
            { "CSeq", "1 INVITE" },
        };
        foreach (TraceHeader header in traceHeaders)
        {
            carrier.Add(header.Name, header.Value);
        }

        if (request)
        {
            carrier.Method = "INVITE";
            carrier.RequestUri = "sip:bob@biloxi.example.com";
        }
        else
        {
            carrier.StatusCode = 180;
            carrier.ReasonPhrase = "Ringing";
        }

        return carrier;
    }
}
