using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OpenTelemetry.Context.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation.Tests;

/// <summary>FsCheck properties of both propagators over generated contexts and hostile input.</summary>
public sealed class SipPropagationProperties
{
    private static Gen<ActivityContext> Contexts =>
        from traceId in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16).Where(b => b.Any(x => x != 0))
        from spanId in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 8).Where(b => b.Any(x => x != 0))
        from flags in Gen.Choose(0, 3)
        from traceState in Gen.Elements<string?>(null, "a=1", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "t@s=v v")
        select new TraceParent(traceId, spanId, (byte)flags).ToActivityContext(traceState, isRemote: false);

    private static Gen<SipHeaderStyle> Styles => Gen.Elements(SipHeaderStyle.XOTel, SipHeaderStyle.POTel);

    // Values an upstream could send to get a header of its own into our output.
    private static Gen<string> HostileTraceStates =>
        from parts in Gen.ArrayOf(Gen.Elements("a=1", ",", "\r\n", "\r", "\n", "\0", "Via: evil", "\r\nVia: SIP/2.0/UDP evil", " ", "k=\u00e9", "=", "x=" + new string('v', 300)))
        select string.Concat(parts);

    [Property(MaxTest = 300)]
    public Property Raw_inject_then_extract_round_trips_for_both_styles() =>
        Prop.ForAll(Contexts.ToArbitrary(), Styles.ToArbitrary(), (context, style) =>
        {
            var propagator = new SipRawPropagator(new SipPropagationOptions { Style = style });
            byte[] source = SipMessages.Invite();
            var destination = new byte[source.Length + propagator.MaxAddedBytes];
            return propagator.TryInject(source, context, destination, out int written)
                && propagator.TryExtract(destination.AsSpan(0, written), out ActivityContext back)
                && back.TraceId == context.TraceId && back.SpanId == context.SpanId
                && back.TraceFlags == context.TraceFlags
                && back.TraceState == TraceState.Normalize(context.TraceState, TraceState.DefaultMaxLength);
        });

    [Property(MaxTest = 300)]
    public Property Carrier_inject_then_extract_round_trips_for_both_styles_and_carriers() =>
        Prop.ForAll(Contexts.ToArbitrary(), Styles.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (context, style, wire) =>
        {
            var propagator = new SipTextMapPropagator(new SipPropagationOptions { Style = style });
            ISipHeaderCarrier carrier = wire ? new SipWireMessage(SipMessages.Invite()) : new SipHeaderCollection();
            propagator.Inject(new PropagationContext(context, default), carrier, SipHeaderCarrier.Setter);
            ActivityContext back = propagator.Extract(default, carrier, SipHeaderCarrier.Getter).ActivityContext;
            return back.TraceId == context.TraceId && back.SpanId == context.SpanId && back.TraceFlags == context.TraceFlags
                && back.TraceState == TraceState.Normalize(context.TraceState, TraceState.DefaultMaxLength);
        });

    [Property(MaxTest = 300)]
    public Property Raw_and_carrier_paths_agree_on_what_they_extract() =>
        Prop.ForAll(Contexts.ToArbitrary(), Styles.ToArbitrary(), (context, style) =>
        {
            var options = new SipPropagationOptions { Style = style };
            var raw = new SipRawPropagator(options);
            byte[] source = SipMessages.Invite();
            var destination = new byte[source.Length + raw.MaxAddedBytes];
            raw.TryInject(source, context, destination, out int written);
            var wire = new SipWireMessage(destination.AsSpan(0, written));
            raw.TryExtract(wire.Span, out ActivityContext fromRaw);
            var carrier = new SipTextMapPropagator(options);
            // Three independent readings: the wire fast path, the generic getter path over the same
            // wire message (a wrapping getter is not ours, so it is not short-cut), and a header list.
            ActivityContext fromWire = carrier.Extract(default, wire, SipHeaderCarrier.Getter).ActivityContext;
            ActivityContext fromGetter = carrier.Extract(default, wire, static (c, n) => SipHeaderCarrier.Getter(c, n)).ActivityContext;
            var list = new SipHeaderCollection();
            foreach (SipHeaderField field in wire.CreateReader().Headers)
            {
                list.Add(Encoding.ASCII.GetString(field.Name), Encoding.ASCII.GetString(field.Value));
            }

            ActivityContext fromCarrier = carrier.Extract(default, list, SipHeaderCarrier.Getter).ActivityContext;
            return fromRaw == fromWire && fromRaw == fromGetter && fromRaw == fromCarrier;
        });

    [Property(MaxTest = 500)]
    public Property A_hostile_tracestate_never_adds_a_header_line_or_oversizes_the_message() =>
        Prop.ForAll(HostileTraceStates.ToArbitrary(), Styles.ToArbitrary(), (traceState, style) =>
        {
            var propagator = new SipRawPropagator(new SipPropagationOptions { Style = style });
            byte[] source = SipMessages.Invite();
            ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext(traceState, isRemote: false);
            var destination = new byte[source.Length + propagator.MaxAddedBytes];
            if (!propagator.TryInject(source, context, destination, out int written))
            {
                return false;
            }

            var before = new SipMessageReader(source);
            var after = new SipMessageReader(destination.AsSpan(0, written));
            int added = after.HeaderCount - before.HeaderCount;
            string text = Encoding.Latin1.GetString(destination, 0, written);
            return after.IsComplete
                && added is 1 or 2
                && after.CountHeaders("Via"u8) == before.CountHeaders("Via"u8)
                && written - source.Length <= propagator.MaxAddedBytes
                && !text.Contains('\0', StringComparison.Ordinal)
                && after.Body.SequenceEqual(before.Body);
        });

    [Property(MaxTest = 300)]
    public Property Extraction_is_deterministic_and_never_mutates_the_carrier() =>
        Prop.ForAll(Contexts.ToArbitrary(), context =>
        {
            var propagator = new SipTextMapPropagator();
            var carrier = new SipWireMessage(SipMessages.Invite($"X-OTel-traceparent: {TraceParent.FromActivityContext(context)}"));
            byte[] before = carrier.ToArray();
            PropagationContext first = propagator.Extract(default, carrier, SipHeaderCarrier.Getter);
            PropagationContext second = propagator.Extract(default, carrier, SipHeaderCarrier.Getter);
            return first == second && before.AsSpan().SequenceEqual(carrier.Span);
        });

    [Property(MaxTest = 1000)]
    public Property Raw_extraction_never_throws_on_arbitrary_bytes() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Choose(0, 1200).ToArbitrary(), (noise, cut) =>
        {
            var propagator = new SipRawPropagator();
            byte[] message = SipMessages.Invite($"X-OTel-traceparent: {SipMessages.TraceParent}", "X-OTel-tracestate: a=1");
            byte[] truncated = message.AsSpan(0, Math.Min(cut, message.Length)).ToArray();
            propagator.TryExtract(noise, out ActivityContext _);
            propagator.TryExtract(truncated, out ActivityContext _);
            propagator.TryStrip(noise, SipTraceHeaderScope.All, new byte[noise.Length], out _);
            return true;
        });

    // Messages with every arrangement of incoming trace headers a proxy meets: none, one style, both,
    // repeated, split tracestate, another's, and cut short.
    private static Gen<byte[]> IncomingMessages =>
        from headers in Gen.ArrayOf(Gen.Elements(
            $"X-OTel-traceparent: {SipMessages.TraceParent}",
            $"P-OTel-Traceparent: {SipMessages.OtherTraceParent}",
            "X-OTel-tracestate: a=1",
            "X-OTel-tracestate: b=2",
            "P-OTel-Tracestate: p=1",
            $"traceparent: {SipMessages.TraceParent}",
            "X-OTel-traceparent: 00-not-valid",
            "Subject: trace me"))
        from cut in Gen.Elements(0, 0, 0, 40, 400)
        let message = SipMessages.Invite(headers)
        select message.AsSpan(0, message.Length - cut).ToArray();

    [Property(MaxTest = 500)]
    public Property A_scan_extracts_and_injects_exactly_what_the_propagator_does() =>
        Prop.ForAll(IncomingMessages.ToArbitrary(), Contexts.ToArbitrary(), Styles.ToArbitrary(), (message, context, style) =>
        {
            var propagator = new SipRawPropagator(new SipPropagationOptions { Style = style });
            SipRawScan scan = propagator.Scan(message);

            bool tpOk = propagator.TryExtract(message, out TraceParent traceParent);
            bool acOk = propagator.TryExtract(message, out ActivityContext extracted);
            var expected = new byte[message.Length + propagator.MaxAddedBytes];
            bool injected = propagator.TryInject(message, context, expected, out int expectedLength);

            var actual = new byte[expected.Length];
            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            return scan.IsComplete == propagator.TryStrip(message, SipTraceHeaderScope.None, new byte[message.Length], out _)
                && scan.TryExtract(out TraceParent scannedTraceParent) == tpOk && scannedTraceParent == traceParent
                && scan.TryExtract(out ActivityContext scannedContext) == acOk && scannedContext == extracted
                && scannedContext.TraceState == extracted.TraceState && scannedContext.IsRemote == extracted.IsRemote
                && scan.TryInject(context, actual, out int actualLength) == injected && actualLength == expectedLength
                && actual.AsSpan(0, actualLength).SequenceEqual(expected.AsSpan(0, expectedLength))
                && scan.TryInject(context, writer, out int writtenLength) == injected && writtenLength == expectedLength
                && writer.WrittenSpan.SequenceEqual(expected.AsSpan(0, expectedLength))
                && scan.Message == message;
        });
}
