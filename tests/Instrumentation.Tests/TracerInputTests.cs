using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;
using O = SipTraceContext.Conventions.OtelAttributes;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>What the tracer makes of addresses and Vias (redaction, transport), and of hostile and unusual input.</summary>
public sealed class TracerInputTests
{
    [Theory]
    [InlineData("sip:alice@example.com", "sip:***@example.com")]
    [InlineData("sips:alice@example.com:5061;transport=tls", "sips:***@example.com:5061;transport=tls")]
    [InlineData("sip:+15551234567;npdi;rn=+15550000000@example.com;user=phone", "sip:***@example.com;user=phone")]
    [InlineData("tel:+15551234567;phone-context=ims.example.com", "tel:***;phone-context=ims.example.com")]
    [InlineData("TEL:+15551234567", "TEL:***")]
    [InlineData("tel:+15551234567?x=1", "tel:***")] // RFC 3966 gives a tel URI no '?' part: the number runs to the first ';'
    [InlineData("im:alice@example.com", "im:***@example.com")]
    [InlineData("sip:ims.example.com;lr", "sip:ims.example.com;lr")]
    [InlineData("urn:service:sos", "urn:service:sos")]
    [InlineData("", "")]
    public void Bare_uris_are_redacted_with_the_whole_user_part(string uri, string expected)
    {
        var formatter = new AddressFormatter(SipAddressPrivacy.RedactUser, key: null);
        Assert.Equal(expected, formatter.FormatUri(Encoding.UTF8.GetBytes(uri)));
        Assert.Equal(uri, new AddressFormatter(SipAddressPrivacy.AsIs, key: null).FormatUri(Encoding.UTF8.GetBytes(uri)));
    }

    [Theory]
    [InlineData("< tel:+15551234567>;tag=1", "< tel:***>;tag=1")]
    [InlineData("\"Alice\" <  sip:alice@example.com >", "<  sip:***@example.com >")]
    [InlineData("<\tTEL:+15551234567>", "<\tTEL:***>")]
    [InlineData("\"Al \\\"<sip:+15551234567@x>\" <SIP:+15551234567@example.com>", "<SIP:***@example.com>")]
    [InlineData("<sip:+15551234567@example.com;tag=1", "<sip:***@example.com;tag=1")] // no '>'
    [InlineData("<sip:john@corp.example@sbc.example.net>", "<sip:***@sbc.example.net>")]
    [InlineData("sip:+15551234567;npdi@example.com;tag=1", "sip:***@example.com;tag=1")] // ';' in an unbracketed user
    [InlineData("\"Alice <tel:+15551234567>;tag=1", "***")] // unterminated quote: no URI can be told apart
    [InlineData("\"Al\\\" <tel:+15551234567>", "***")] // the escaped quote leaves the display name open
    [InlineData("Bob<Smith <tel:+15551234567>", "***")]
    [InlineData("<tel :+15551234567>", "***")]
    [InlineData("+15551234567;tag=1", "***")]
    [InlineData("<sip:ims.example.com;lr>", "<sip:ims.example.com;lr>")]
    [InlineData("<urn:service:sos>", "<urn:service:sos>")]
    [InlineData("sip:alice@example.com;x-note=\"a@b\"", "sip:***@example.com;x-note=\"a@b\"")]
    [InlineData("", "")]
    public void Header_addresses_are_redacted_even_when_malformed(string value, string expected) =>
        Assert.Equal(expected, new AddressFormatter(SipAddressPrivacy.RedactUser, key: null).Format(Encoding.UTF8.GetBytes(value)));

    private sealed record Address(string Value, string Number);

    private static Gen<Address> Addresses =>
        from prefix in Gen.Elements("+1555", "0555", "alice")
        from digits in Gen.Choose(1000000, 9999999)
        let number = prefix + digits.ToString(CultureInfo.InvariantCulture)
        from scheme in Gen.Elements("sip", "SIP", "Sip", "sips", "SIPS", "tel", "TEL", "Tel")
        from userSuffix in Gen.Elements("", ";npdi", ";npdi;rn=+15550000000", ":secret", ";x?y,z/w")
        from host in Gen.Elements("example.com", "[2001:db8::1]:5061", "ims.example.net")
        from uriParameters in Gen.Elements("", ";user=phone", ";transport=tcp;lr", ";phone-context=example.com")
        from display in Gen.Elements(
            "", "Alice ", "{0} ", "\"Alice\" ", "\"{0}\"", "\"A <sip:x@y>; \\\"q\\\" \\\\\" ", "\"<tel:{0}>\" ",
            "\"unterminated <tel:{0}> ", "\"escaped \\\" <tel:{0}> ", "Bob<Smith ")
        from open in Gen.Elements("", " ", "  ", "\t", "\r\n ")
        from close in Gen.Elements(">", " >", "\t>", "")
        from headerParameters in Gen.Elements("", ";tag=abc", " ;tag=xyz;x-note=\"a;b<c>@d\"")
        from bracketed in Gen.Elements(true, false)
        let tel = scheme.Equals("tel", StringComparison.OrdinalIgnoreCase)
        let uri = scheme + ":" + (tel ? number : number + userSuffix + "@" + host) + uriParameters
        select new Address(
            bracketed || display.Length > 0
                ? string.Format(CultureInfo.InvariantCulture, display, number) + "<" + open + uri + close + headerParameters
                : open + uri + headerParameters,
            number);

    [Property(MaxTest = 500)]
    public Property Redacted_and_hashed_header_addresses_never_hold_the_user_part() =>
        Prop.ForAll(Addresses.ToArbitrary(), Gen.Elements(SipAddressPrivacy.RedactUser, SipAddressPrivacy.HashUser).ToArbitrary(), (address, mode) =>
            !new AddressFormatter(mode, key: null).Format(Encoding.UTF8.GetBytes(address.Value)).Contains(address.Number, StringComparison.Ordinal));

    [Fact]
    public void A_bare_uri_hashes_its_user_like_the_same_uri_in_a_header()
    {
        byte[] key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        var formatter = new AddressFormatter(SipAddressPrivacy.HashUser, key);

        string bare = formatter.FormatUri("sip:alice@example.com"u8);
        string header = formatter.Format("\"Alice\" <sip:alice@example.com;transport=tcp>;tag=1"u8);

        Assert.Matches("^sip:[0-9a-f]{16}@example\\.com$", bare);
        Assert.Equal($"<{bare};transport=tcp>;tag=1", header);
    }

    [Theory]
    [InlineData("SIP/2.0/UDP host", "udp")]
    [InlineData("SIP/2.0/tcp host", "tcp")]
    [InlineData("SIP/2.0/TLS host", "tcp")]
    [InlineData("SIP/2.0/WSS host", "tcp")]
    [InlineData("SIP/2.0/SCTP host", "sctp")]
    [InlineData("SIP/2.0/XYZ host", null)]
    [InlineData("garbage", null)]
    public void Via_transport_maps_to_network_transport(string via, string? expected) =>
        Assert.Equal(expected, NetworkTransport.FromVia(Encoding.UTF8.GetBytes(via)));

    [Fact]
    public void What_the_validating_parsers_reject_the_tracer_still_redacts()
    {
        // Sip.Abstractions' strict parsers give up on a whole value for one malformed part; redaction
        // reads it with the lenient mode of the same grammar (Sip.Abstractions.Tests, LenientValueTests).
        byte[] to = "<sip:bob@biloxi.example.com>;tag=a1;x-info=two words"u8.ToArray();
        Assert.Equal(
            "<sip:***@biloxi.example.com>;tag=a1;x-info=two words",
            new AddressFormatter(SipAddressPrivacy.RedactUser, key: null).Format(to));
    }

    [Fact]
    public void Compact_forms_folded_values_and_odd_case_are_read_like_the_long_forms()
    {
        using var h = new TracerHarness();
        string invite =
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
            "v: SIP/2.0/UDP pc33.atlanta.example.com\r\n ;branch=z9hG4bKfold\r\n" +
            "f: \"Alice; A.\" <sip:alice@atlanta.example.com>;tag=abc\r\n" +
            "t: <sip:bob@biloxi.example.com>\r\n" +
            "i: compact@x\r\n" +
            "cseq: 7 INVITE\r\n" +
            "l: 0\r\n\r\n";
        h.In(Encoding.UTF8.GetBytes(invite));
        h.Out(Sip.Response(486, "Busy Here", "compact@x", cseq: 7, branch: "z9hG4bKfold"));

        System.Diagnostics.Activity setup = Assert.Single(h.Spans);
        Assert.Equal("compact@x", setup.GetTagItem(A.CallId));
        Assert.Equal("z9hG4bKfold", setup.GetTagItem(A.Branch));
        Assert.Equal("abc", setup.GetTagItem(A.FromTag));
        Assert.Equal(7L, setup.GetTagItem(A.Cseq));
        Assert.Equal("SIP/2.0/UDP pc33.atlanta.example.com ;branch=z9hG4bKfold", setup.GetTagItem(A.Via));
    }

    [Fact]
    public void A_comma_in_a_quoted_via_parameter_does_not_end_the_top_via()
    {
        // RFC 3261 §7.3.1: a comma inside a quoted-string separates nothing.
        using var h = new TracerHarness();
        string invite =
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP pc33.atlanta.example.com;x-note=\"a, b\";branch=z9hG4bKquoted, SIP/2.0/TCP second.example.com;branch=z9hG4bKsecond\r\n" +
            "From: <sip:alice@atlanta.example.com>;tag=abc\r\n" +
            "To: <sip:bob@biloxi.example.com>\r\n" +
            "Call-ID: quoted-via@x\r\n" +
            "CSeq: 1 INVITE\r\n" +
            "Content-Length: 0\r\n\r\n";
        h.In(Encoding.UTF8.GetBytes(invite));
        h.Out(Sip.Response(486, "Busy Here", "quoted-via@x", branch: "z9hG4bKquoted"));

        System.Diagnostics.Activity setup = Assert.Single(h.Spans);
        Assert.Equal("SIP/2.0/UDP pc33.atlanta.example.com;x-note=\"a, b\";branch=z9hG4bKquoted", setup.GetTagItem(A.Via));
        Assert.Equal("z9hG4bKquoted", setup.GetTagItem(A.Branch));
        Assert.Equal("udp", setup.GetTagItem(O.NetworkTransport));
    }

    [Fact]
    public void Call_ids_are_case_sensitive_and_may_be_long()
    {
        using var h = new TracerHarness();
        string longId = new string('k', 300) + "@x";
        h.In(Sip.Invite("Case@x"));
        h.In(Sip.Invite("case@x"));
        h.In(Sip.Invite(longId));
        Assert.Equal(3, h.Tracer.TrackedCalls);
        h.Out(Sip.Response(200, "OK", longId));
        Assert.Equal(longId, Assert.Single(h.Spans).GetTagItem(A.CallId));
    }

    [Fact]
    public void Any_bytes_are_either_recorded_or_counted_as_malformed_and_never_throw()
    {
        using var h = new TracerHarness(new SipCallTracerOptions { MaxTrackedCalls = 50 });
        byte[] valid = Sip.Invite("fuzz@x");
        Prop.ForAll(
            ArbMap.Default.ArbFor<byte[]>().Generator.Select(noise => Mutate(valid, noise)).ToArbitrary(),
            message =>
            {
                h.Tracer.Record(message, SipDirection.In);
                h.Tracer.Record(message, SipDirection.Out);
                return h.Tracer.TrackedCalls <= 50;
            }).QuickCheckThrowOnFailure();

        // Whatever was fed, the tracer still works.
        h.In(Sip.Invite("after-fuzz@x"));
        h.Out(Sip.Response(404, "Not Found", "after-fuzz@x"));
        Assert.Contains(h.Spans, s => (string?)s.GetTagItem(A.CallId) == "after-fuzz@x");
        Assert.True(h.Collect().Value(M.MessageMalformed.Name) > 0);
    }

    // Overwrites, truncates or splices random bytes into a valid INVITE, so that most inputs are
    // nearly SIP: the interesting failures are near the grammar, not in pure noise.
    private static byte[] Mutate(byte[] valid, byte[] noise)
    {
        if (noise.Length == 0)
        {
            return valid[..(valid.Length / 2)];
        }

        byte[] copy = (byte[])valid.Clone();
        int at = noise[0] * copy.Length / 256;
        switch (noise.Length % 3)
        {
            case 0:
                for (int i = 1; i < noise.Length && at + i < copy.Length; i++)
                {
                    copy[at + i] = noise[i];
                }

                return copy;
            case 1:
                return copy[..at];
            default:
                return [.. copy[..at], .. noise, .. copy[at..]];
        }
    }
}
