using System.Buffers;
using System.Text;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Sip.Tests;

public sealed class SipMessageEditorTests
{
    private const string NewTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";

    private static string Apply(string message, scoped in SipHeaderEditList edits)
    {
        byte[] source = SipMessages.Bytes(message);
        var destination = new byte[SipMessageEditor.GetMaxOutputLength(source.Length, edits)];
        Assert.True(SipMessageEditor.TryApply(source, edits, destination, out int written, out SipEditError error));
        Assert.Equal(SipEditError.None, error);
        return Encoding.UTF8.GetString(destination, 0, written);
    }

    [Fact]
    public void Set_replaces_every_instance_in_place_of_the_first_and_keeps_every_other_byte()
    {
        string message =
            "INVITE sip:bob@example.com SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n" +
            "x-otel-TRACEPARENT: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n" +
            "To  :  <sip:bob@example.com>\r\n" +
            "X-OTel-traceparent:\r\n" +
            " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00\r\n" +
            "X-OTel-tracestate: a=1\r\n" +
            "X-OTEL-TRACESTATE: b=2\r\n" +
            "Content-Length: 4\r\n" +
            "\r\n" +
            "body";
        scoped SipHeaderEditList edits = default;
        edits.Set("X-OTel-traceparent"u8, Encoding.ASCII.GetBytes(NewTraceparent));
        edits.Set("X-OTel-tracestate"u8, "vendor=x"u8);

        Assert.Equal(
            "INVITE sip:bob@example.com SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n" +
            $"X-OTel-traceparent: {NewTraceparent}\r\n" +
            "To  :  <sip:bob@example.com>\r\n" +
            "X-OTel-tracestate: vendor=x\r\n" +
            "Content-Length: 4\r\n" +
            "\r\n" +
            "body",
            Apply(message, edits));
    }

    [Fact]
    public void Set_of_an_absent_header_and_add_go_at_the_end_of_the_header_section_in_order()
    {
        scoped SipHeaderEditList edits = default;
        edits.Add("Record-Route"u8, "<sip:p1.example.com;lr>"u8);
        edits.Set("P-OTel-Traceparent"u8, Encoding.ASCII.GetBytes(NewTraceparent));
        string result = Apply(SipMessages.Ringing, edits);
        Assert.Equal(
            SipMessages.Ringing.Replace(
                "Content-Length: 0\r\n\r\n",
                $"Content-Length: 0\r\nRecord-Route: <sip:p1.example.com;lr>\r\nP-OTel-Traceparent: {NewTraceparent}\r\n\r\n",
                StringComparison.Ordinal),
            result);
    }

    [Fact]
    public void Add_keeps_existing_instances()
    {
        scoped SipHeaderEditList edits = default;
        edits.Add("Via"u8, "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnew"u8);
        string result = Apply(SipMessages.CompactRegister, edits);
        var reader = new SipMessageReader(SipMessages.Bytes(result));
        Assert.Equal(3, reader.CountHeaders("v"u8));
    }

    [Fact]
    public void Remove_by_long_name_removes_compact_instances_and_folded_lines_whole()
    {
        scoped SipHeaderEditList edits = default;
        edits.Remove("VIA"u8);
        edits.Remove("Call-ID"u8);
        edits.Remove("cseq"u8);
        string result = Apply(SipMessages.TortuousInvite, edits);
        var reader = new SipMessageReader(SipMessages.Bytes(result));
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal(0, reader.CountHeaders("v"u8));
        Assert.Equal(0, reader.CountHeaders("i"u8));
        Assert.Equal(0, reader.CountHeaders("CSeq"u8));
        Assert.DoesNotContain("INVITE\r\n", result[result.IndexOf('\n', StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.DoesNotContain("z9hG4bK30239", result, StringComparison.Ordinal);
        Assert.Equal(new SipMessageReader(SipMessages.Bytes(SipMessages.TortuousInvite)).HeaderCount - 4, reader.HeaderCount);
    }

    [Fact]
    public void Remove_by_compact_letter_removes_long_instances()
    {
        scoped SipHeaderEditList edits = default;
        edits.Remove("l"u8);
        string result = Apply(SipMessages.Invite, edits);
        Assert.DoesNotContain("Content-Length", result, StringComparison.Ordinal);
        Assert.EndsWith(SipMessages.SdpBody, result, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_and_trailing_bytes_are_copied_byte_for_byte()
    {
        byte[] body = [0x00, 0xFF, 0x0D, 0x0A, 0x0D, 0x0A, 0x80, 0x7F];
        byte[] source = [.. SipMessages.Build("MESSAGE sip:a@example.com SIP/2.0", ["Via: x"], body), .. "TRAILING"u8];
        scoped SipHeaderEditList edits = default;
        edits.Set("Via"u8, "y"u8);
        var output = new ArrayBufferWriter<byte>();
        Assert.True(SipMessageEditor.TryApply(source, edits, output, out int written, out _));
        Assert.Equal(written, output.WrittenCount);
        Assert.True(output.WrittenSpan.EndsWith([.. body, .. "TRAILING"u8]));
        Assert.Equal(source.Length, written);
    }

    [Fact]
    public void Bare_lf_lines_that_are_not_edited_keep_their_line_ends()
    {
        byte[] source = SipMessages.Build("OPTIONS sip:a@b SIP/2.0", ["Via: x", "X-OTel-traceparent: old", "To: <sip:a@b>"], [], "\n");
        scoped SipHeaderEditList edits = default;
        edits.Set("X-OTel-traceparent"u8, "new"u8);
        var destination = new byte[256];
        Assert.True(SipMessageEditor.TryApply(source, edits, destination, out int written, out _));
        Assert.Equal(
            "OPTIONS sip:a@b SIP/2.0\nVia: x\nX-OTel-traceparent: new\r\nTo: <sip:a@b>\nContent-Length: 0\n\n",
            Encoding.ASCII.GetString(destination, 0, written));
    }

    [Theory]
    [InlineData("evil\r\nVia: SIP/2.0/UDP attacker")]
    [InlineData("evil\nVia: x")]
    [InlineData("evil\rVia: x")]
    [InlineData("nul\0here")]
    [InlineData("\u001b[31m")]
    [InlineData("del\u007f")]
    public void Values_that_could_inject_a_header_are_refused_and_nothing_is_written(string value)
    {
        byte[] source = SipMessages.Bytes(SipMessages.Invite);
        scoped SipHeaderEditList edits = default;
        edits.Set("X-OTel-tracestate"u8, Encoding.UTF8.GetBytes(value));

        byte[] destination = Enumerable.Repeat((byte)0xAA, 4096).ToArray();
        Assert.False(SipMessageEditor.TryApply(source, edits, destination, out int written, out SipEditError error));
        Assert.Equal(SipEditError.InvalidHeaderValue, error);
        Assert.Equal(0, written);
        Assert.All(destination, b => Assert.Equal(0xAA, b));

        var output = new ArrayBufferWriter<byte>();
        Assert.False(SipMessageEditor.TryApply(source, edits, output, out written, out error));
        Assert.Equal(SipEditError.InvalidHeaderValue, error);
        Assert.Equal(0, output.WrittenCount);
        Assert.False(SipMessageEditor.IsValidHeaderValue(value.AsSpan()));
    }

    [Fact]
    public void Tab_and_non_ascii_values_are_allowed()
    {
        scoped SipHeaderEditList edits = default;
        edits.Set("Subject"u8, Encoding.UTF8.GetBytes("caf\u00e9\tau lait"));
        string result = Apply(SipMessages.Ringing, edits);
        Assert.Contains("Subject: caf\u00e9\tau lait\r\n", result, StringComparison.Ordinal);
        Assert.True(SipMessageEditor.IsValidHeaderValue("a\tb"u8));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Via:")]
    [InlineData("Bad Name")]
    [InlineData("X\r\nVia")]
    public void Invalid_names_are_refused(string name)
    {
        scoped SipHeaderEditList edits = default;
        edits.Add(Encoding.UTF8.GetBytes(name), "v"u8);
        var destination = new byte[4096];
        Assert.False(SipMessageEditor.TryApply(SipMessages.Bytes(SipMessages.Invite), edits, destination, out int written, out SipEditError error));
        Assert.Equal(SipEditError.InvalidHeaderName, error);
        Assert.Equal(0, written);
    }

    [Fact]
    public void Incomplete_or_malformed_sources_are_refused()
    {
        scoped SipHeaderEditList edits = default;
        edits.Remove("Via"u8);
        var destination = new byte[4096];
        Assert.False(SipMessageEditor.TryApply("INVITE sip:a@b SIP/2.0\r\nVia: x\r\n"u8, edits, destination, out _, out SipEditError error));
        Assert.Equal(SipEditError.InvalidMessage, error);
        Assert.False(SipMessageEditor.TryApply("INVITE sip:a@b SIP/2.0\r\nVia: x\0\r\n\r\n"u8, edits, destination, out _, out error));
        Assert.Equal(SipEditError.InvalidMessage, error);
    }

    [Fact]
    public void Destination_too_small_fails_cleanly_and_the_exact_size_succeeds()
    {
        byte[] source = SipMessages.Bytes(SipMessages.Invite);
        scoped SipHeaderEditList edits = default;
        edits.Set("X-OTel-traceparent"u8, Encoding.ASCII.GetBytes(NewTraceparent));
        edits.Remove("X-OTel-tracestate"u8);
        string expected = Apply(SipMessages.Invite, edits);
        int exact = Encoding.UTF8.GetByteCount(expected);

        for (int size = 0; size < exact; size += 7)
        {
            Assert.False(SipMessageEditor.TryApply(source, edits, new byte[size], out int written, out SipEditError error));
            Assert.Equal(SipEditError.DestinationTooSmall, error);
            Assert.Equal(0, written);
        }

        var destination = new byte[exact];
        Assert.True(SipMessageEditor.TryApply(source, edits, destination, out int all, out _));
        Assert.Equal(exact, all);
        Assert.Equal(expected, Encoding.UTF8.GetString(destination));
    }

    [Fact]
    public void Values_in_stackalloc_buffers_work_with_a_scoped_list()
    {
        // The shape the README shows: the value lives on the stack, the list is declared scoped.
        Span<byte> value = stackalloc byte[NewTraceparent.Length];
        Encoding.ASCII.GetBytes(NewTraceparent, value);
        scoped var edits = new SipHeaderEditList();
        edits.Set("X-OTel-traceparent"u8, value);
        Span<byte> destination = stackalloc byte[1024];
        Assert.True(SipMessageEditor.TryApply(SipMessages.Bytes(SipMessages.Invite), edits, destination, out int written, out _));
        Assert.Contains(NewTraceparent, Encoding.ASCII.GetString(destination[..written]), StringComparison.Ordinal);
    }

    [Fact]
    public void Value_writer_formats_straight_into_the_output()
    {
        byte[] raw = Encoding.ASCII.GetBytes(NewTraceparent);
        scoped SipHeaderEditList edits = default;
        edits.Set("X-OTel-traceparent"u8, raw, static (state, destination, out written) =>
        {
            written = state.Length;
            return state.TryCopyTo(destination);
        }, raw.Length);

        string result = Apply(SipMessages.Invite, edits);
        Assert.Contains($"\r\nX-OTel-traceparent: {NewTraceparent}\r\n", result, StringComparison.Ordinal);
        Assert.Equal(SipMessages.Invite.Length, result.Length);
    }

    [Fact]
    public void Value_writer_output_is_checked_like_any_value()
    {
        byte[] source = SipMessages.Bytes(SipMessages.Invite);
        var destination = new byte[4096];

        scoped SipHeaderEditList smuggling = default;
        smuggling.Add("X-Test"u8, default, static (_, destination, out written) =>
        {
            "a\r\nVia: evil"u8.CopyTo(destination);
            written = 12;
            return true;
        }, 32);
        Assert.False(SipMessageEditor.TryApply(source, smuggling, destination, out int n, out SipEditError error));
        Assert.Equal(SipEditError.InvalidHeaderValue, error);
        Assert.Equal(0, n);

        scoped SipHeaderEditList failing = default;
        failing.Add("X-Test"u8, default, static (_, _, out written) =>
        {
            written = 0;
            return false;
        }, 32);
        Assert.False(SipMessageEditor.TryApply(source, failing, destination, out _, out error));
        Assert.Equal(SipEditError.ValueWriterFailed, error);

        scoped SipHeaderEditList lying = default;
        lying.Add("X-Test"u8, default, static (_, _, out written) =>
        {
            written = 1000;
            return true;
        }, 32);
        Assert.False(SipMessageEditor.TryApply(source, lying, destination, out _, out error));
        Assert.Equal(SipEditError.ValueWriterFailed, error);
    }

    [Fact]
    public void Edits_of_one_name_combine_in_list_order()
    {
        // Remove then Add: the old instances go, the new one is appended.
        scoped SipHeaderEditList removeThenAdd = default;
        removeThenAdd.Remove("Via"u8);
        removeThenAdd.Add("Via"u8, "SIP/2.0/UDP new"u8);
        var reader = new SipMessageReader(SipMessages.Bytes(Apply(SipMessages.CompactRegister, removeThenAdd)));
        Assert.Equal(1, reader.CountHeaders("Via"u8));
        Assert.True(reader.TryGetHeader("v"u8, out ReadOnlySpan<byte> via));
        Assert.Equal("SIP/2.0/UDP new", Encoding.ASCII.GetString(via));

        // Set then Add: one replaced in place plus one at the end.
        scoped SipHeaderEditList setThenAdd = default;
        setThenAdd.Set("Via"u8, "first"u8);
        setThenAdd.Add("v"u8, "last"u8);
        string result = Apply(SipMessages.CompactRegister, setThenAdd);
        Assert.StartsWith("REGISTER sip:registrar.example.com SIP/2.0\r\nVia: first\r\ni:", result, StringComparison.Ordinal);
        Assert.EndsWith("l: 0\r\nv: last\r\n\r\n", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Edit_exposes_what_it_was_built_with()
    {
        SipHeaderEdit set = SipHeaderEdit.Set("To"u8, "<sip:a@b>"u8);
        Assert.Equal(SipHeaderEditKind.Set, set.Kind);
        Assert.Equal("<sip:a@b>", Encoding.ASCII.GetString(set.Value));
        Assert.Equal(9, set.MaxValueLength);
        Assert.Null(set.Writer);

        SipHeaderEdit written = SipHeaderEdit.Add("X"u8, "st"u8, static (_, _, out w) => { w = 0; return true; }, 40);
        Assert.Equal(SipHeaderEditKind.Add, written.Kind);
        Assert.Equal(40, written.MaxValueLength);
        Assert.Equal("st", Encoding.ASCII.GetString(written.State));
        Assert.NotNull(written.Writer);
    }

    [Fact]
    public void Value_writer_into_a_buffer_writer_advances_only_by_what_was_written()
    {
        byte[] source = SipMessages.Bytes(SipMessages.Ringing);
        scoped SipHeaderEditList edits = default;
        edits.Add("X-Short"u8, default, static (_, destination, out written) =>
        {
            "ok"u8.CopyTo(destination);
            written = 2;
            return true;
        }, 100);
        var output = new ArrayBufferWriter<byte>();
        Assert.True(SipMessageEditor.TryApply(source, edits, output, out int written, out _));
        Assert.Equal(source.Length + "X-Short: ok\r\n".Length, written);
        Assert.Equal(written, output.WrittenCount);
        Assert.Contains("X-Short: ok\r\n\r\n", Encoding.ASCII.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Edit_list_holds_its_capacity_and_refuses_more()
    {
        SipHeaderEditList edits = default;
        for (int i = 0; i < SipHeaderEditList.Capacity; i++)
        {
            edits.Remove("Via"u8);
        }

        Assert.Equal(SipHeaderEditList.Capacity, edits.Count);
        Assert.Equal(SipHeaderEditKind.Remove, edits[SipHeaderEditList.Capacity - 1].Kind);
        bool threw = false;
        try
        {
            edits.Remove("To"u8);
        }
        catch (InvalidOperationException)
        {
            threw = true;
        }

        Assert.True(threw);
        Assert.Throws<ArgumentNullException>(() => SipHeaderEdit.Set("X"u8, default, null!, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SipHeaderEdit.Add("X"u8, default, static (_, _, out w) => { w = 0; return true; }, -1));
    }

    [Fact]
    public void Edit_applies_to_names_in_any_case_and_form()
    {
        SipHeaderEdit edit = SipHeaderEdit.Remove("Content-Type"u8);
        Assert.True(edit.AppliesTo("c"u8));
        Assert.True(edit.AppliesTo("CONTENT-TYPE"u8));
        Assert.False(edit.AppliesTo("Content-Length"u8));
        Assert.True(SipHeaderEdit.Remove("C"u8).AppliesTo("content-type"u8));
    }

    [Fact]
    public void Replacing_two_trace_headers_allocates_nothing()
    {
        byte[] source = SipMessages.Bytes(SipMessages.Invite);
        byte[] destination = new byte[source.Length + 256];
        byte[] traceparent = Encoding.ASCII.GetBytes(NewTraceparent);
        int Work()
        {
            scoped SipHeaderEditList edits = default;
            edits.Set("X-OTel-traceparent"u8, traceparent);
            edits.Set("X-OTel-tracestate"u8, "congo=t61rcWkgMzE"u8);
            return SipMessageEditor.TryApply(source, edits, destination, out int written, out _) ? written : -1;
        }

        Assert.True(Work() > 0);
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                Work();
            }
        });
    }
}
