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

/// <summary>The header grammar the tracer reads, and the tracer on hostile and unusual input.</summary>
public sealed class SipSyntaxTests
{
    [Theory]
    [InlineData("<sip:bob@biloxi.example.com>;tag=a6c85cf", "tag", "a6c85cf")]
    [InlineData("Bob <sip:bob@biloxi.example.com;tag=uri-param>;tag=header", "tag", "header")]
    [InlineData("\"Bob; <the> builder\" <sip:bob@biloxi.example.com> ; TAG = \"q1\"", "tag", "q1")]
    [InlineData("sip:bob@biloxi.example.com;tag=x1;other=2", "tag", "x1")]
    [InlineData("<sip:bob@biloxi.example.com>", "tag", "")]
    [InlineData("<sip:bob@biloxi.example.com>;tagged=1", "tag", "")]
    [InlineData("SIP/2.0/UDP pc33.atlanta.example.com;received=192.0.2.1;branch=z9hG4bK776asdhds;rport", "branch", "z9hG4bK776asdhds")]
    [InlineData("SIP/2.0/TCP host;BRANCH=z9hG4bKx, SIP/2.0/UDP other;branch=z9hG4bKy", "branch", "z9hG4bKx")]
    public void Header_parameters_are_found_outside_uris_and_quotes(string value, string name, string expected)
    {
        ReadOnlySpan<byte> found = SipSyntax.Parameter(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(name));
        Assert.Equal(expected, Encoding.UTF8.GetString(found));
    }

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
        Assert.Equal(expected, SipSyntax.Transport(Encoding.UTF8.GetBytes(via)));

    [Theory]
    [InlineData("sip:bob@biloxi.example.com:5062;transport=tcp", "biloxi.example.com", 5062)]
    [InlineData("sips:[2001:db8::1]:5061", "[2001:db8::1]", 5061)]
    [InlineData("sip:biloxi.example.com", "biloxi.example.com", 0)]
    [InlineData("SIPS:Bob@Biloxi.example.com", "Biloxi.example.com", 0)]
    [InlineData("sip:+15551234567;npdi;rn=+15550000000@example.com;user=phone", "example.com", 0)]
    [InlineData("sip:+15551234567;npdi@ims.example.net:5070;user=phone", "ims.example.net", 5070)]
    [InlineData("sips:a;b?c,d/e:secret@[2001:db8::1]:5061;transport=tls", "[2001:db8::1]", 5061)]
    [InlineData("sip:john@corp.example@sbc.example.net", "sbc.example.net", 0)]
    [InlineData("sip:pbx_01.corp.example:5080", "pbx_01.corp.example", 5080)]
    [InlineData("sip:192.0.2.7", "192.0.2.7", 0)]
    [InlineData("sip:+15551234567@10.0.0.1:5060", "10.0.0.1", 5060)]
    public void Request_uri_host_and_port(string uri, string host, int port)
    {
        Assert.True(SipSyntax.TryGetHostPort(Encoding.UTF8.GetBytes(uri), out ReadOnlySpan<byte> foundHost, out int foundPort));
        Assert.Equal(host, Encoding.UTF8.GetString(foundHost));
        Assert.Equal(port, foundPort);
    }

    // RFC 3261 unreserved and user-unreserved: everything a user part may hold unescaped, ';' '?' ',' '/' included.
    private const string UserAlphabet = "abcXYZ0189-_.!~*'()&=+$,;?/";

    private sealed record RequestUri(string Uri, string Number, string Host, int Port);

    private static Gen<RequestUri> RequestUris =>
        from scheme in Gen.Elements("sip", "SIP", "sips")
        from digits in Gen.Choose(1000000, 9999999)
        from tailLength in Gen.Choose(0, 12)
        from tail in Gen.ArrayOf(Gen.Elements(UserAlphabet.ToCharArray()), tailLength)
        from password in Gen.Elements("", ":secret", ":p&=+$,w")
        from hasUser in Gen.Elements(true, true, false)
        from host in Gen.Elements("example.com", "ims.mnc001.mcc001.3gppnetwork.org", "192.0.2.7", "[2001:db8::1]", "h")
        from port in Gen.Elements(0, 5060, 5061, 65535)
        from parameters in Gen.Elements("", ";user=phone", ";transport=tcp;lr", ";maddr=[2001:db8::2]")
        let number = "+1555" + digits.ToString(CultureInfo.InvariantCulture)
        let user = hasUser ? number + new string(tail) + password + "@" : ""
        select new RequestUri($"{scheme}:{user}{host}{(port > 0 ? ":" + port.ToString(CultureInfo.InvariantCulture) : "")}{parameters}", number, host, port);

    [Property(MaxTest = 300)]
    public Property A_request_uri_host_is_the_host_whatever_the_user_part_holds() =>
        Prop.ForAll(RequestUris.ToArbitrary(), r =>
        {
            bool found = SipSyntax.TryGetHostPort(Encoding.ASCII.GetBytes(r.Uri), out ReadOnlySpan<byte> host, out int port);
            string text = Encoding.ASCII.GetString(host);
            return found && text == r.Host && port == r.Port && !text.Contains(r.Number, StringComparison.Ordinal);
        });

    [Theory]
    [InlineData("tel:+15551234567")]
    [InlineData("urn:service:sos")]
    [InlineData("sip:")]
    [InlineData("sip:+15551234567;user=phone")]
    [InlineData("sip:15551234567:5060")]
    [InlineData("sips:+1-555-123-4567")]
    [InlineData("sip:1.2.3")]
    public void Non_sip_request_uris_name_no_server(string uri) =>
        Assert.False(SipSyntax.TryGetHostPort(Encoding.UTF8.GetBytes(uri), out _, out _));

    [Theory]
    [InlineData("icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;icid-generated-at=192.0.2.1", "AyretyU0dm+6O2IrT5tAFrbHLso=")]
    [InlineData("orig-ioi=home1.net ; ICID-VALUE = \"1234bc9876e\"", "1234bc9876e")]
    [InlineData("orig-ioi=home1.net", "")]
    [InlineData("icid-value=\"x;y=z\";orig-ioi=a", "x;y=z")]
    [InlineData("icid-value = \"a\\\"b;c\" ; orig-ioi=home1.net", "a\\\"b;c")] // escapes are left as written
    [InlineData("orig-ioi=\"q;icid-value=fake\";icid-value=real", "real")]
    [InlineData("icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\" ;icid-generated-at=192.0.2.1", "AyretyU0dm+6O2IrT5tAFrbHLso=")]
    [InlineData("icid-value=\"unterminated;x=1", "unterminated;x=1")]
    public void Charging_vector_icid(string value, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(SipSyntax.ChargingId(Encoding.UTF8.GetBytes(value))));

    private const string Base64Alphabet = "ABCXYZabcxyz0189+/";

    private sealed record ChargingVector(string Value, string Icid);

    private static Gen<ChargingVector> ChargingVectors =>
        from quoted in Gen.Elements(true, false)
        from length in Gen.Choose(1, 24)
        from body in quoted
            ? Gen.ArrayOf(Gen.Elements("a", "Z", "0", ";", "=", ",", " ", "<", "@", "\\\"", "\\\\", "\\;"), length).Select(parts => string.Concat(parts))
            : Gen.ArrayOf(Gen.Elements(Base64Alphabet.ToCharArray()), length).Select(c => new string(c))
        from padding in Gen.Elements("", "=", "==")
        from others in Gen.SubListOf(new[] { "orig-ioi=home1.net", "term-ioi=\"x;icid-value=fake\"", "icid-generated-at=192.0.2.1", "loopback", "transit-ioi=\"a\\\";b\"" })
        from position in Gen.Choose(0, 5)
        from space in Gen.Elements("", " ", "\t")
        let icid = quoted ? body : body + padding
        let parameter = "icid-value" + space + "=" + space + (quoted ? $"\"{icid}\"" : icid)
        let parameters = others.Take(position).Append(parameter).Concat(others.Skip(position))
        select new ChargingVector(string.Join(space + ";" + space, parameters), icid);

    [Property(MaxTest = 300)]
    public Property The_icid_is_read_whole_quoted_or_not_wherever_it_stands() =>
        Prop.ForAll(ChargingVectors.ToArbitrary(), v =>
            Encoding.ASCII.GetString(SipSyntax.ChargingId(Encoding.ASCII.GetBytes(v.Value))) == v.Icid);

    [Fact]
    public void What_the_validating_parsers_reject_the_tracer_still_reads()
    {
        // Sip.Abstractions' parsers give up on a whole value for one malformed part (its tests,
        // ImsHeaderTests.Strict_parsers_reject_these_values_whole); the tracer's tags, redaction and
        // correlators must not, which is why SipSyntax keeps its own readers.
        byte[] to = "<sip:bob@biloxi.example.com>;tag=a1;x-info=two words"u8.ToArray();
        Assert.Equal("a1", Encoding.UTF8.GetString(SipSyntax.Parameter(to, "tag"u8)));
        Assert.Equal(
            "<sip:***@biloxi.example.com>;tag=a1;x-info=two words",
            new AddressFormatter(SipAddressPrivacy.RedactUser, key: null).Format(to));

        byte[] chargingVector = "icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;orig-ioi=home1.net"u8.ToArray();
        Assert.Equal("AyretyU0dm+6O2IrT5tAFrbHLso=", Encoding.UTF8.GetString(SipSyntax.ChargingId(chargingVector)));

        byte[] sessionId = "ab30317f1a784dc48ff824d0d3715d86;remote=unknown"u8.ToArray();
        Assert.Equal("ab30317f1a784dc48ff824d0d3715d86", Encoding.UTF8.GetString(SipSyntax.SessionUuid(sessionId)));
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
