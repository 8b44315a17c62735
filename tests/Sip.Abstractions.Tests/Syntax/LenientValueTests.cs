using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Sip.Tests.Syntax;

/// <summary>The lenient mode of the value grammar: what the tracer's tags, redaction and correlators read.</summary>
public sealed class LenientValueTests
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
        ReadOnlySpan<byte> found = SipValueScanner.FindParameter(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(name));
        Assert.Equal(expected, Encoding.UTF8.GetString(found));
    }

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
        Assert.True(SipValueScanner.TryGetHostPort(Encoding.UTF8.GetBytes(uri), out ReadOnlySpan<byte> foundHost, out int foundPort));
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
            bool found = SipValueScanner.TryGetHostPort(Encoding.ASCII.GetBytes(r.Uri), out ReadOnlySpan<byte> host, out int port);
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
        Assert.False(SipValueScanner.TryGetHostPort(Encoding.UTF8.GetBytes(uri), out _, out _));

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
        Assert.Equal(expected, Encoding.UTF8.GetString(SipValueScanner.FindChargingId(Encoding.UTF8.GetBytes(value))));

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
            Encoding.ASCII.GetString(SipValueScanner.FindChargingId(Encoding.ASCII.GetBytes(v.Value))) == v.Icid);

    [Fact]
    public void What_the_validating_parsers_reject_the_tracer_still_reads()
    {
        // Sip.Abstractions' parsers give up on a whole value for one malformed part (its tests,
        // ImsHeaderTests.Strict_parsers_reject_these_values_whole); the tracer's tags, redaction and
        // correlators must not, which is what the lenient mode is for.
        byte[] to = "<sip:bob@biloxi.example.com>;tag=a1;x-info=two words"u8.ToArray();
        Assert.Equal("a1", Encoding.UTF8.GetString(SipValueScanner.FindParameter(to, "tag"u8)));

        byte[] chargingVector = "icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;orig-ioi=home1.net"u8.ToArray();
        Assert.Equal("AyretyU0dm+6O2IrT5tAFrbHLso=", Encoding.UTF8.GetString(SipValueScanner.FindChargingId(chargingVector)));

        byte[] sessionId = "ab30317f1a784dc48ff824d0d3715d86;remote=unknown"u8.ToArray();
        Assert.Equal("ab30317f1a784dc48ff824d0d3715d86", Encoding.UTF8.GetString(SipValueScanner.FindSessionUuid(sessionId)));
    }

    private sealed record NameAddress(string Value, string[] Names);

    private static Gen<string> Token =>
        from length in Gen.Choose(1, 12)
        from chars in Gen.ArrayOf(Gen.Elements("abcXYZ019-.!%*_+`'~".ToCharArray()), length)
        select new string(chars);

    private static Gen<string> Quoted =>
        from parts in Gen.ArrayOf(Gen.Elements("a", "Z", " ", ";", ",", "<", ">", "=", "@", "\\\"", "\\\\"), 6)
        select "\"" + string.Concat(parts) + "\"";

    // Valid name-addr and addr-spec values (RFC 3261 §20.10, §25.1): a display name (none, a token,
    // a quoted string holding separators), a URI with or without URI parameters, header parameters
    // quoted or not, in any order, with or without whitespace around ';' and '='.
    private static Gen<NameAddress> NameAddresses =>
        from display in Gen.OneOf(Gen.Constant(string.Empty), Token.Select(t => t + " "), Quoted.Select(q => q + " "))
        from uriParameters in Gen.Elements("", ";tag=uri-param", ";transport=tcp;lr")
        from names in Gen.SubListOf(new[] { "tag", "x-info", "expires", "flag" })
        from values in Gen.ArrayOf(Gen.OneOf(Token, Quoted, Gen.Constant(string.Empty)), 4)
        from space in Gen.Elements("", " ", "\t")
        let bracketed = display.Length > 0 || uriParameters.Length > 0 || values.Any(v => v.Length == 0 || v.StartsWith('"'))
        let uri = "sip:bob@biloxi.example.com" + uriParameters
        let parameters = string.Concat(names.Select((n, i) => space + ";" + space + n + (values[i].Length == 0 ? string.Empty : space + "=" + space + values[i])))
        select new NameAddress((bracketed ? $"{display}<{uri}>" : uri) + parameters, [.. names, "missing", "transport"]);

    [Property(MaxTest = 500)]
    public Property The_lenient_mode_reads_what_the_strict_mode_accepts_the_same_way() =>
        Prop.ForAll(NameAddresses.ToArbitrary(), a =>
        {
            byte[] value = Encoding.UTF8.GetBytes(a.Value);
            if (!SipNameAddress.TryParse(value, out SipNameAddress strict))
            {
                return false; // every generated value is valid
            }

            foreach (string name in a.Names)
            {
                byte[] wanted = Encoding.UTF8.GetBytes(name);
                string expected = strict.TryGetParameter(wanted, out ReadOnlySpan<byte> found) ? Encoding.UTF8.GetString(found) : string.Empty;
                if (Encoding.UTF8.GetString(SipValueScanner.FindParameter(value, wanted)) != expected)
                {
                    return false;
                }
            }

            return true;
        });
}
