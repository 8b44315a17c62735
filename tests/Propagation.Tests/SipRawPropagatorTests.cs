using System.Buffers;
using System.Diagnostics;
using System.Text;
using SipTraceContext.Propagation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation.Tests;

public sealed class SipRawPropagatorTests
{
    private static readonly SipRawPropagator s_xotel = new();
    private static readonly SipRawPropagator s_potel = new(new SipPropagationOptions { Style = SipHeaderStyle.POTel });

    [Theory]
    [InlineData("X-OTel-traceparent")]
    [InlineData("x-otel-traceparent")]
    [InlineData("X-OTEL-TRACEPARENT")]
    [InlineData("P-OTel-Traceparent")]
    [InlineData("p-otel-traceparent")]
    [InlineData("OTel-Traceparent")]
    [InlineData("X-Traceparent")]
    [InlineData("traceparent")]
    public void Extracts_any_case_of_every_accepted_spelling(string name)
    {
        byte[] message = SipMessages.Invite($"{name}: {SipMessages.TraceParent}");

        Assert.True(s_xotel.TryExtract(message, out ActivityContext context));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.SpanId.ToHexString());
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void Whitespace_before_the_colon_and_around_the_value_is_allowed()
    {
        byte[] message = SipMessages.Invite($"X-OTel-traceparent \t:   {SipMessages.TraceParent}  ");

        Assert.True(s_xotel.TryExtract(message, out TraceParent traceParent));
        Assert.Equal(SipMessages.TraceParent, traceParent.ToString());
    }

    [Fact]
    public void Fallbacks_can_be_turned_off()
    {
        var strict = new SipRawPropagator(new SipPropagationOptions { AcceptFallbackHeaders = false });

        Assert.False(strict.TryExtract(SipMessages.Invite($"Traceparent: {SipMessages.TraceParent}"), out TraceParent _));
    }

    [Fact]
    public void The_primary_style_wins_when_both_are_present()
    {
        byte[] message = SipMessages.Invite(
            $"P-OTel-Traceparent: {SipMessages.OtherTraceParent}",
            $"X-OTel-traceparent: {SipMessages.TraceParent}");

        Assert.True(s_xotel.TryExtract(message, out TraceParent fromX));
        Assert.True(s_potel.TryExtract(message, out TraceParent fromP));
        Assert.Equal(SipMessages.TraceParent, fromX.ToString());
        Assert.Equal(SipMessages.OtherTraceParent, fromP.ToString());
    }

    [Fact]
    public void A_repeated_traceparent_is_treated_as_absent()
    {
        byte[] repeated = SipMessages.Invite(
            $"X-OTel-traceparent: {SipMessages.TraceParent}",
            $"x-otel-traceparent: {SipMessages.TraceParent}");
        byte[] repeatedWithFallback = SipMessages.Invite(
            $"X-OTel-traceparent: {SipMessages.TraceParent}",
            $"X-OTel-traceparent: {SipMessages.TraceParent}",
            $"P-OTel-Traceparent: {SipMessages.OtherTraceParent}");

        Assert.False(s_xotel.TryExtract(repeated, out TraceParent _));
        Assert.True(s_xotel.TryExtract(repeatedWithFallback, out TraceParent next));
        Assert.Equal(SipMessages.OtherTraceParent, next.ToString());
    }

    [Fact]
    public void Tracestate_from_several_headers_is_combined_in_order()
    {
        byte[] message = SipMessages.Invite(
            "X-OTel-tracestate: rojo=1, congo=2",
            $"X-OTel-traceparent: {SipMessages.TraceParent}",
            "x-otel-tracestate: blue=3");

        Assert.True(s_xotel.TryExtract(message, out ActivityContext context));
        Assert.Equal("rojo=1,congo=2,blue=3", context.TraceState);
    }

    [Fact]
    public void Tracestate_of_another_style_is_not_mixed_in()
    {
        byte[] message = SipMessages.Invite(
            $"X-OTel-traceparent: {SipMessages.TraceParent}",
            "X-OTel-tracestate: mine=1",
            "P-OTel-Tracestate: theirs=2");

        Assert.True(s_xotel.TryExtract(message, out ActivityContext context));
        Assert.Equal("mine=1", context.TraceState);
    }

    [Fact]
    public void An_invalid_tracestate_is_dropped_but_the_traceparent_counts()
    {
        byte[] message = SipMessages.Invite($"X-OTel-traceparent: {SipMessages.TraceParent}", "X-OTel-tracestate: BAD KEY=1");

        Assert.True(s_xotel.TryExtract(message, out ActivityContext context));
        Assert.Null(context.TraceState);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
    }

    [Fact]
    public void A_folded_header_is_unfolded()
    {
        byte[] message = SipMessages.Invite("X-OTel-traceparent:", $"  {SipMessages.TraceParent}", "X-OTel-tracestate: a=1,", "\tb=2");

        Assert.True(s_xotel.TryExtract(message, out ActivityContext context));
        Assert.Equal("a=1,b=2", context.TraceState);
    }

    [Fact]
    public void Headers_in_the_body_are_not_read()
    {
        string text = SipMessages.InviteText() + $"X-OTel-traceparent: {SipMessages.TraceParent}\r\n";

        Assert.False(s_xotel.TryExtract(Encoding.UTF8.GetBytes(text), out TraceParent _));
    }

    [Fact]
    public void Bare_lf_line_endings_are_accepted()
    {
        string text = SipMessages.InviteText($"X-OTel-traceparent: {SipMessages.TraceParent}").Replace("\r\n", "\n", StringComparison.Ordinal);

        Assert.True(s_xotel.TryExtract(Encoding.UTF8.GetBytes(text), out TraceParent traceParent));
        Assert.Equal(SipMessages.TraceParent, traceParent.ToString());
    }

    [Fact]
    public void A_message_without_an_end_of_headers_gives_nothing()
    {
        string text = $"INVITE sip:b@example.com SIP/2.0\r\nX-OTel-traceparent: {SipMessages.TraceParent}\r\n";

        Assert.False(s_xotel.TryExtract(Encoding.UTF8.GetBytes(text), out TraceParent _));
    }

    [Theory]
    [InlineData(SipHeaderStyle.XOTel, "X-OTel-traceparent", "X-OTel-tracestate")]
    [InlineData(SipHeaderStyle.POTel, "P-OTel-Traceparent", "P-OTel-Tracestate")]
    public void Inject_replaces_every_trace_header_and_writes_the_canonical_names(SipHeaderStyle style, string traceParentName, string traceStateName)
    {
        var propagator = new SipRawPropagator(new SipPropagationOptions { Style = style });
        byte[] source = SipMessages.Invite(
            $"x-otel-TRACEPARENT: {SipMessages.OtherTraceParent}",
            "X-OTel-tracestate: old=1",
            $"P-OTel-Traceparent: {SipMessages.OtherTraceParent}",
            $"Traceparent: {SipMessages.OtherTraceParent}");
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext("new=2", isRemote: false);
        var destination = new byte[source.Length + propagator.MaxAddedBytes];

        Assert.True(propagator.TryInject(source, context, destination, out int written));

        var reader = new SipMessageReader(destination.AsSpan(0, written));
        Assert.True(reader.IsComplete);
        Assert.True(reader.TryGetHeader(Encoding.ASCII.GetBytes(traceParentName), out SipHeaderField field));
        Assert.Equal(traceParentName, Encoding.ASCII.GetString(field.Name));
        Assert.Equal(SipMessages.TraceParent, Encoding.ASCII.GetString(field.Value));
        Assert.Equal(1, reader.CountHeaders(Encoding.ASCII.GetBytes(traceParentName)));
        Assert.True(reader.TryGetHeader(Encoding.ASCII.GetBytes(traceStateName), out ReadOnlySpan<byte> traceState));
        Assert.Equal("new=2", Encoding.ASCII.GetString(traceState));
        Assert.Equal(0, reader.CountHeaders("Traceparent"u8));
        // Exactly one context leaves the proxy, whatever spellings came in.
        int traceParents = reader.CountHeaders("X-OTel-traceparent"u8) + reader.CountHeaders("P-OTel-Traceparent"u8) + reader.CountHeaders("OTel-Traceparent"u8) + reader.CountHeaders("X-Traceparent"u8);
        int traceStates = reader.CountHeaders("X-OTel-tracestate"u8) + reader.CountHeaders("P-OTel-Tracestate"u8);
        Assert.Equal(1, traceParents);
        Assert.Equal(1, traceStates);
        Assert.Equal(reader.Body.ToArray(), new SipMessageReader(source).Body.ToArray());
    }

    [Fact]
    public void Inject_refuses_all_zero_ids_even_when_they_are_not_default()
    {
        // The BCL makes these from zero bytes without complaint, and they do not equal default.
        ActivityTraceId zeroTrace = ActivityTraceId.CreateFromBytes(new byte[16]);
        ActivitySpanId zeroSpan = ActivitySpanId.CreateFromBytes(new byte[8]);
        ActivityContext valid = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext();
        byte[] source = SipMessages.Invite();
        var destination = new byte[source.Length + s_xotel.MaxAddedBytes];

        Assert.NotEqual(default, zeroTrace);
        Assert.False(s_xotel.TryInject(source, new ActivityContext(zeroTrace, valid.SpanId, ActivityTraceFlags.Recorded), destination, out int written));
        Assert.Equal(0, written);
        Assert.False(s_xotel.TryInject(source, new ActivityContext(valid.TraceId, zeroSpan, ActivityTraceFlags.Recorded), destination, out written));
        Assert.Equal(0, written);
        Assert.True(s_xotel.TryInject(source, valid, destination, out written));

        // Ids that are zero but for their last byte are valid: every digit counts, not only the first.
        byte[] lastByteOnly = new byte[16];
        lastByteOnly[15] = 1;
        var nearlyZero = new ActivityContext(ActivityTraceId.CreateFromBytes(lastByteOnly), ActivitySpanId.CreateFromBytes(lastByteOnly.AsSpan(8)), ActivityTraceFlags.None);
        Assert.True(s_xotel.TryInject(source, nearlyZero, destination, out written));
        Assert.True(s_xotel.TryExtract(destination.AsSpan(0, written), out ActivityContext back));
        Assert.Equal(nearlyZero.TraceId, back.TraceId);
        Assert.Equal(nearlyZero.SpanId, back.SpanId);
    }

    [Fact]
    public void Inject_into_a_destination_smaller_than_the_source_writes_what_a_roomy_one_gets()
    {
        // Old trace headers longer than the new ones: the result is shorter than the source, so a
        // destination of exactly its size is too small for the scan to copy into as it goes.
        byte[] source = SipMessages.Invite(
            $"X-OTel-traceparent: {SipMessages.OtherTraceParent}",
            "X-OTel-tracestate: " + string.Join(",", Enumerable.Range(0, 20).Select(i => $"vendor{i}=value{i}")),
            $"P-OTel-Traceparent: {SipMessages.OtherTraceParent}");
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext("new=2", isRemote: false);
        var roomy = new byte[source.Length + s_xotel.MaxAddedBytes];
        Assert.True(s_xotel.TryInject(source, context, roomy, out int expectedLength));
        Assert.True(expectedLength < source.Length);

        var exact = new byte[expectedLength];
        Assert.True(s_xotel.TryInject(source, context, exact, out int written));

        Assert.Equal(roomy.AsSpan(0, expectedLength).ToArray(), exact.AsSpan(0, written).ToArray());
        Assert.False(s_xotel.TryInject(source, context, new byte[expectedLength - 1], out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Inject_then_extract_round_trips_and_reports_the_added_size()
    {
        byte[] source = SipMessages.Invite();
        ActivityContext context = TraceParent.Parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03").ToActivityContext("a=1");
        var writer = new ArrayBufferWriter<byte>();

        Assert.True(s_xotel.TryInject(source, context, writer, out int written));
        Assert.Equal(writer.WrittenCount, written);
        int added = written - source.Length;
        Assert.Equal("X-OTel-traceparent: ".Length + 55 + 2 + "X-OTel-tracestate: a=1".Length + 2, added);
        Assert.True(added <= s_xotel.MaxAddedBytes);

        Assert.True(s_xotel.TryExtract(writer.WrittenSpan, out ActivityContext extracted));
        Assert.Equal(context.TraceId, extracted.TraceId);
        Assert.Equal(context.SpanId, extracted.SpanId);
        Assert.Equal(context.TraceFlags, extracted.TraceFlags);
        Assert.Equal("a=1", extracted.TraceState);
    }

    [Fact]
    public void Inject_keeps_the_tracestate_within_the_budget_by_whole_members()
    {
        var propagator = new SipRawPropagator(new SipPropagationOptions { MaxTraceStateLength = 12 });
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext("aaaa=1,bbbb=2,cccc=3");
        byte[] source = SipMessages.Invite();
        var destination = new byte[source.Length + propagator.MaxAddedBytes];

        Assert.True(propagator.TryInject(source, context, destination, out int written));
        Assert.True(propagator.TryExtract(destination.AsSpan(0, written), out ActivityContext extracted));
        Assert.Equal("aaaa=1", extracted.TraceState);
    }

    [Fact]
    public void Injecting_the_same_tracestate_string_again_gives_the_same_normalised_header()
    {
        // The second injection of a string takes the remembered-string shortcut; it must write what the
        // full path writes, for a list that was normalised, one that was not, and a smaller budget.
        var small = new SipRawPropagator(new SipPropagationOptions { MaxTraceStateLength = 12 });
        string normalised = "aaaa=1,bbbb=2,cccc=3";
        string untidy = " dddd=4 ,, eeee=5 ";
        byte[] source = SipMessages.Invite();
        foreach ((SipRawPropagator propagator, string traceState, string expected) in new[]
        {
            (s_xotel, normalised, normalised),
            (s_xotel, normalised, normalised),
            (small, normalised, "aaaa=1"),
            (s_xotel, untidy, "dddd=4,eeee=5"),
            (s_xotel, untidy, "dddd=4,eeee=5"),
        })
        {
            ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext(traceState);
            var destination = new byte[source.Length + propagator.MaxAddedBytes];

            Assert.True(propagator.TryInject(source, context, destination, out int written));
            var reader = new SipMessageReader(destination.AsSpan(0, written));
            Assert.True(reader.TryGetHeader(Encoding.ASCII.GetBytes(propagator.TraceStateHeaderName), out ReadOnlySpan<byte> value));
            Assert.Equal(expected, Encoding.ASCII.GetString(value));
        }
    }

    [Fact]
    public void Inject_fails_cleanly_when_the_destination_is_too_small_or_the_context_invalid()
    {
        byte[] source = SipMessages.Invite();
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext();

        Assert.False(s_xotel.TryInject(source, context, new byte[source.Length], out int written));
        Assert.Equal(0, written);
        Assert.False(s_xotel.TryInject(source, default, new byte[source.Length * 2], out written));
        Assert.Equal(0, written);
    }

    // The write slices its pieces without checks, trusting only lines it has checked are in order within
    // the header section: lines that are not (which the finder never records) are refused, not written.
    [Fact]
    public void Inject_refuses_trace_header_lines_out_of_order_or_outside_the_header_section()
    {
        byte[] source = SipMessages.Invite($"X-OTel-traceparent: {SipMessages.TraceParent}", "X-OTel-tracestate: a=1");
        var lines = new TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
        Assert.Equal(MessageFraming.WholeMessage, TraceHeaderFinder.ScanRaw(source, new TraceHeaderSet(new SipPropagationOptions()).ExtractPrefixesLower, lines, out int count, out int headersEnd, out ReadOnlySpan<byte> lineEnding));
        Assert.Equal(2, count);
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext("b=2");
        byte[] destination = new byte[source.Length + s_xotel.MaxAddedBytes];
        TraceHeaderLine first = lines[0];
        TraceHeaderLine second = lines[1];

        Assert.True(s_xotel.TryInjectFrom(source, [first, second], headersEnd, lineEnding, context, destination, out int written));
        Assert.True(written > 0);

        TraceHeaderLine backwards = new(0, TraceField.TraceState, second.LineEnd, second.LineStart, second.ValueStart, second.ValueEnd, false);
        TraceHeaderLine pastTheEnd = new(0, TraceField.TraceState, second.LineStart, source.Length + 1, second.ValueStart, second.ValueEnd, false);
        foreach (TraceHeaderLine[] found in new TraceHeaderLine[][] { [second, first], [first, backwards], [first, pastTheEnd] })
        {
            Assert.False(s_xotel.TryInjectFrom(source, found, headersEnd, lineEnding, context, destination, out written));
            Assert.Equal(0, written);
        }

        Assert.False(s_xotel.TryInjectFrom(source, [first, second], source.Length + 1, lineEnding, context, destination, out written));
    }

    [Fact]
    public void Strip_removes_only_the_chosen_scope()
    {
        byte[] source = SipMessages.Invite(
            $"P-OTel-Traceparent: {SipMessages.TraceParent}",
            "P-OTel-Tracestate: a=1",
            "p-otel-baggage: user=alice,",
            " region=eu",
            $"X-OTel-traceparent: {SipMessages.TraceParent}");
        var destination = new byte[source.Length];

        Assert.True(s_xotel.TryStrip(source, SipTraceHeaderScope.POTel, destination, out int written));
        var reader = new SipMessageReader(destination.AsSpan(0, written));
        Assert.Equal(0, reader.CountHeaders("P-OTel-Traceparent"u8) + reader.CountHeaders("P-OTel-Tracestate"u8) + reader.CountHeaders("P-OTel-Baggage"u8));
        Assert.True(reader.IsComplete);
        Assert.Equal(1, reader.CountHeaders("X-OTel-traceparent"u8));

        Assert.True(s_xotel.TryStrip(source, SipTraceHeaderScope.All, destination, out written));
        Assert.Equal(SipMessages.Invite(), destination.AsSpan(0, written).ToArray());
    }

    [Theory]
    [InlineData(SipTraceHeaderScope.All)]
    [InlineData(SipTraceHeaderScope.POTel)]
    [InlineData(SipTraceHeaderScope.Fallback)]
    public void The_trace_header_names_of_a_scope_are_exactly_what_strip_removes(SipTraceHeaderScope scope)
    {
        var options = new SipPropagationOptions();
        options.FallbackPrefixes.Add("Zz-");
        var propagator = new SipRawPropagator(options);
        string[] names = options.GetTraceHeaderNames(scope);
        string[] candidates =
        [
            .. new[] { "X-OTel-", "P-OTel-", "OTel-", "X-", string.Empty, "Zz-", "Q-" }
                .SelectMany(prefix => new[] { "traceparent", "Tracestate", "BAGGAGE" }.Select(field => prefix + field)),
        ];

        foreach (string candidate in candidates)
        {
            byte[] source = SipMessages.Invite($"{candidate}: x");
            var destination = new byte[source.Length];
            Assert.True(propagator.TryStrip(source, scope, destination, out int written));
            bool stripped = written < source.Length;
            Assert.Equal(stripped, names.Contains(candidate, StringComparer.OrdinalIgnoreCase));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sixteen_trace_headers_are_read_and_a_seventeenth_makes_the_message_unusable(bool adjacent)
    {
        // Adjacent trace headers are confirmed one after another without the pass; separated ones each
        // by the pass. Both must stop at the same limit.
        static byte[] With(int traceStates, bool adjacent)
        {
            var lines = new List<string> { $"X-OTel-traceparent: {SipMessages.TraceParent}" };
            for (int i = 0; i < traceStates; i++)
            {
                if (!adjacent)
                {
                    lines.Add($"Subject: filler {i}");
                }

                lines.Add($"X-OTel-tracestate: k{i}=v{i}");
            }

            return SipMessages.Invite([.. lines]);
        }

        Assert.True(s_xotel.TryExtract(With(15, adjacent), out ActivityContext context));
        Assert.Equal(string.Join(",", Enumerable.Range(0, 15).Select(i => $"k{i}=v{i}")), context.TraceState);
        byte[] source = With(15, adjacent);
        Assert.True(s_xotel.TryInject(source, context, new byte[source.Length + s_xotel.MaxAddedBytes], out _));

        source = With(16, adjacent);
        Assert.False(s_xotel.TryExtract(source, out ActivityContext _));
        Assert.False(s_xotel.TryExtract(source, out TraceParent _));
        Assert.False(s_xotel.TryInject(source, context, new byte[source.Length + s_xotel.MaxAddedBytes], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void A_traceparent_seen_again_gives_the_same_context_and_one_that_differs_in_any_byte_its_own()
    {
        // The thread remembers recent traceparent values by their bytes: these share the slot (the parent
        // id's last two digits) and differ in the flags, the trace id and the version.
        string[] values =
        [
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
            "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
        ];

        for (int round = 0; round < 3; round++)
        {
            foreach (string value in values)
            {
                Assert.True(s_xotel.TryExtract(SipMessages.Invite($"X-OTel-traceparent: {value}"), out ActivityContext context));
                TraceParent expected = TraceParent.Parse(value);
                Assert.Equal(value[3..35], context.TraceId.ToHexString());
                Assert.Equal(value[36..52], context.SpanId.ToHexString());
                Assert.Equal(expected.ActivityTraceFlags, context.TraceFlags);
                Assert.True(context.IsRemote);
            }
        }

        // An invalid value is never remembered as valid, however often it is seen.
        for (int round = 0; round < 2; round++)
        {
            Assert.False(s_xotel.TryExtract(SipMessages.Invite("X-OTel-traceparent: 00-00000000000000000000000000000000-b7ad6b7169203331-01"), out ActivityContext _));
        }
    }

    [Fact]
    public void Threads_extracting_and_injecting_different_tracestates_at_once_each_get_their_own()
    {
        // The recent tracestate strings are one table for the process, written and read by every thread.
        const int Values = 40;
        byte[][] messages = [.. Enumerable.Range(0, Values).Select(i =>
            SipMessages.Invite($"X-OTel-traceparent: 00-0af7651916cd43dd8448eb211c8031{i:x2}-b7ad6b71692033{i:x2}-01", $"X-OTel-tracestate: v{i}=x{i},w=1"))];
        int failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            byte[] destination = new byte[messages[0].Length + s_xotel.MaxAddedBytes];
            for (int n = 0; n < 3000; n++)
            {
                int i = (n * 7 + worker) % Values;
                if (!s_xotel.TryExtract(messages[i], out ActivityContext context)
                    || context.TraceState != $"v{i}=x{i},w=1"
                    || context.SpanId.ToHexString() != $"b7ad6b71692033{i:x2}"
                    || !s_xotel.TryInject(messages[i], context, destination, out int written)
                    || !s_xotel.TryExtract(destination.AsSpan(0, written), out ActivityContext again)
                    || again.TraceState != context.TraceState)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public void A_default_or_incomplete_scan_extracts_and_injects_nothing()
    {
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext();
        byte[] incomplete = SipMessages.Invite($"X-OTel-traceparent: {SipMessages.TraceParent}").AsSpan(0, 200).ToArray();
        for (int i = 0; i < 2; i++)
        {
            SipRawScan scan = i == 0 ? default : s_xotel.Scan(incomplete);
            Assert.False(scan.IsComplete);
            Assert.False(scan.TryExtract(out ActivityContext extracted));
            Assert.Equal(default, extracted);
            Assert.False(scan.TryExtract(out TraceParent traceParent));
            Assert.Equal(default, traceParent);
            Assert.False(scan.TryInject(context, new byte[4096], out int written));
            Assert.Equal(0, written);
            var writer = new ArrayBufferWriter<byte>();
            Assert.False(scan.TryInject(context, writer, out written));
            Assert.Equal(0, writer.WrittenCount);
        }
    }

    [Fact]
    public void A_proxy_forwards_from_one_scan_with_its_own_span_as_the_new_parent()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == nameof(A_proxy_forwards_from_one_scan_with_its_own_span_as_the_new_parent),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource(nameof(A_proxy_forwards_from_one_scan_with_its_own_span_as_the_new_parent));
        byte[] received = SipMessages.Invite($"X-OTel-traceparent: {SipMessages.TraceParent}", "X-OTel-tracestate: congo=t61rcWkgMzE");

        SipRawScan scan = s_xotel.Scan(received);
        Assert.True(scan.IsComplete);
        Assert.True(scan.TryExtract(out ActivityContext parent));
        using Activity? span = source.StartActivity("INVITE", ActivityKind.Server, parent);
        Assert.NotNull(span);
        var forwarded = new byte[received.Length + s_xotel.MaxAddedBytes];
        Assert.True(scan.TryInject(span.Context, forwarded, out int length));

        Assert.True(s_xotel.TryExtract(forwarded.AsSpan(0, length), out ActivityContext next));
        Assert.Equal(parent.TraceId, next.TraceId);
        Assert.Equal(span.SpanId, next.SpanId);
        Assert.Equal("congo=t61rcWkgMzE", next.TraceState);
        var reader = new SipMessageReader(forwarded.AsSpan(0, length));
        Assert.Equal(1, reader.CountHeaders("X-OTel-traceparent"u8));
        Assert.Equal(1, reader.CountHeaders("X-OTel-tracestate"u8));
    }
}
