using System.Text;
using SipTraceContext.Sip.Ims;
using SipTraceContext.Sip.Syntax;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Sip.Tests.Ims;

public sealed class ImsHeaderTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    // ---- P-Charging-Vector ----

    [Fact]
    public void Charging_vector_with_quoted_icid_and_ioi()
    {
        const string Value = "icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\";icid-generated-at=192.0.6.8;orig-ioi=home1.net;term-ioi=home2.net";
        Assert.True(PChargingVector.TryParse(Bytes(Value), out PChargingVector vector));
        Assert.Equal("AyretyU0dm+6O2IrT5tAFrbHLso=023551024", Text(vector.IcidValue));
        Assert.Equal("192.0.6.8", Text(vector.IcidGeneratedAt));
        Assert.Equal("home1.net", Text(vector.OrigIoi));
        Assert.Equal("home2.net", Text(vector.TermIoi));
    }

    [Fact]
    public void Charging_vector_with_token_icid_spaces_odd_case_and_other_parameters()
    {
        const string Value = " ICID-Value = 1234bc9876e ; icid-generated-at=[2001:db8::1] ; transit-ioi=\"op-a\" ; related-icid=abc ";
        Assert.True(PChargingVector.TryParse(Bytes(Value), out PChargingVector vector));
        Assert.Equal("1234bc9876e", Text(vector.IcidValue));
        Assert.Equal("[2001:db8::1]", Text(vector.IcidGeneratedAt));
        Assert.True(vector.OrigIoi.IsEmpty);
        Assert.True(vector.TermIoi.IsEmpty);
        Assert.True(vector.TryGetParameter("transit-ioi"u8, out ReadOnlySpan<byte> transit));
        Assert.Equal("op-a", Text(transit));
        Assert.True(vector.TryGetParameter("RELATED-ICID"u8, out ReadOnlySpan<byte> related));
        Assert.Equal("abc", Text(related));
        Assert.False(vector.TryGetParameter("absent"u8, out _));
    }

    [Fact]
    public void Charging_vector_quoted_icid_may_hold_semicolons()
    {
        Assert.True(PChargingVector.TryParse(Bytes("orig-ioi=a;icid-value=\"x;y=z\";term-ioi=b"), out PChargingVector vector));
        Assert.Equal("x;y=z", Text(vector.IcidValue));
        Assert.Equal("b", Text(vector.TermIoi));
    }

    [Theory]
    [InlineData("")]
    [InlineData("orig-ioi=home1.net")]
    [InlineData("icid-value")]
    [InlineData("icid-value=")]
    [InlineData("icid-value=\"\"")]
    [InlineData("icid-value=\"abc")]
    [InlineData("icid-value=abc def")]
    [InlineData("icid-value=abc;")]
    [InlineData("icid-value=abc;;orig-ioi=x")]
    [InlineData("icid-value=abc;orig ioi=x")]
    [InlineData("icid-value=a\"b")]
    [InlineData("icid-value=\"a\u0001b\"")]
    public void Malformed_charging_vectors(string value) =>
        Assert.False(PChargingVector.TryParse(Bytes(value), out _));

    // ---- P-Access-Network-Info ----

    [Theory]
    [InlineData("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=234150999999999", "3GPP-E-UTRAN-FDD", "234150999999999")]
    [InlineData("3GPP-NR-TDD;utran-cell-id-3gpp=\"001010001000019B\"", "3GPP-NR-TDD", "001010001000019B")]
    [InlineData("3GPP-GERAN; cgi-3gpp=23415011A2B3C4D", "3GPP-GERAN", "23415011A2B3C4D")]
    [InlineData("IEEE-802.11;i-wlan-node-id=ffeeddccbbaa", "IEEE-802.11", null)]
    [InlineData("IEEE-802.11", "IEEE-802.11", null)]
    public void Access_network_info(string value, string accessType, string? cellId)
    {
        Assert.True(PAccessNetworkInfo.TryParse(Bytes(value), out PAccessNetworkInfo info));
        Assert.Equal(accessType, Text(info.AccessType));
        Assert.Equal(cellId is not null, info.TryGetCellId(out ReadOnlySpan<byte> cell));
        Assert.Equal(cellId ?? "", Text(cell));
        Assert.False(info.IsNetworkProvided);
    }

    [Fact]
    public void Access_network_info_list_with_a_network_provided_entry()
    {
        const string Value = "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=234150999999999, 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=234150888888888;network-provided;local-time-zone=\"UTC+01:00\"";
        Assert.True(PAccessNetworkInfo.TryParse(Bytes(Value), out PAccessNetworkInfo first));
        Assert.False(first.IsNetworkProvided);
        Assert.True(first.TryGetCellId(out ReadOnlySpan<byte> cell));
        Assert.Equal("234150999999999", Text(cell));

        Assert.True(PAccessNetworkInfo.TryParseNetworkProvided(Bytes(Value), out PAccessNetworkInfo network));
        Assert.True(network.IsNetworkProvided);
        Assert.True(network.TryGetCellId(out cell));
        Assert.Equal("234150888888888", Text(cell));
        Assert.True(network.TryGetParameter("local-time-zone"u8, out ReadOnlySpan<byte> zone));
        Assert.Equal("UTC+01:00", Text(zone));

        Assert.False(PAccessNetworkInfo.TryParseNetworkProvided(Bytes("3GPP-NR-FDD;utran-cell-id-3gpp=1"), out _));
    }

    [Fact]
    public void Quoted_parameter_with_a_comma_does_not_split_the_list()
    {
        Assert.True(PAccessNetworkInfo.TryParse(Bytes("ADSL;dsl-location=\"a,b\";network-provided"), out PAccessNetworkInfo info));
        Assert.True(info.IsNetworkProvided);
        Assert.True(info.TryGetParameter("dsl-location"u8, out ReadOnlySpan<byte> location));
        Assert.Equal("a,b", Text(location));
    }

    [Theory]
    [InlineData("")]
    [InlineData(";utran-cell-id-3gpp=1")]
    [InlineData("3GPP E-UTRAN")]
    [InlineData("3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=\"1")]
    [InlineData("3GPP-E-UTRAN-FDD;=1")]
    [InlineData("\"3GPP\"")]
    [InlineData("3GPP-NR-FDD;")]
    public void Malformed_access_network_info(string value) =>
        Assert.False(PAccessNetworkInfo.TryParse(Bytes(value), out _));

    // ---- name-addr / addr-spec ----

    [Theory]
    [InlineData("\"Alice Smith\" <sip:+15551230000@ims.example.net;user=phone>;tag=1928301774", "Alice Smith", "sip:+15551230000@ims.example.net;user=phone", "tag=1928301774", true)]
    [InlineData("Alice <sip:alice@example.com>", "Alice", "sip:alice@example.com", "", true)]
    [InlineData("<tel:+15551230000;phone-context=example.net>", "", "tel:+15551230000;phone-context=example.net", "", true)]
    [InlineData("sip:alice@example.com;tag=88", "", "sip:alice@example.com", "tag=88", false)]
    [InlineData("  tel:+15551230000  ", "", "tel:+15551230000", "", false)]
    [InlineData("\"A \\\"q\\\" <x>\" <sips:a@b>", "A \\\"q\\\" <x>", "sips:a@b", "", true)]
    [InlineData("<urn:service:sos>", "", "urn:service:sos", "", true)]
    [InlineData("\"\"<sip:a@b> ; tag = x", "", "sip:a@b", "tag = x", true)]
    public void Name_addr_and_addr_spec(string value, string display, string uri, string parameters, bool angle)
    {
        Assert.True(SipNameAddress.TryParse(Bytes(value), out SipNameAddress address));
        Assert.Equal(display, Text(address.DisplayName));
        Assert.Equal(uri, Text(address.Uri));
        Assert.Equal(parameters, Text(address.Parameters));
        Assert.Equal(angle, address.HasAngleBrackets);
    }

    [Fact]
    public void Name_addr_parameter_lookup()
    {
        Assert.True(SipNameAddress.TryParse(Bytes("<sip:a@b>;tag=abc;Expires=\"60\""), out SipNameAddress address));
        Assert.True(address.TryGetParameter("TAG"u8, out ReadOnlySpan<byte> tag));
        Assert.Equal("abc", Text(tag));
        Assert.True(address.TryGetParameter("expires"u8, out ReadOnlySpan<byte> expires));
        Assert.Equal("60", Text(expires));
        Assert.Equal(SipUriScheme.Sip, address.Scheme);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<>")]
    [InlineData("<sip:a@b")]
    [InlineData("\"Alice <sip:a@b>")]
    [InlineData("\"Alice\" sip:a@b")]
    [InlineData("Alice sip:a@b")]
    [InlineData("<sip:a@b> tag=1")]
    [InlineData("<sip:a@b>;")]
    [InlineData("<alice>")]
    [InlineData("<:alice>")]
    [InlineData("<sip:>")]
    [InlineData("<1sip:a@b>")]
    [InlineData("<sip:a b@c>")]
    public void Malformed_addresses(string value) =>
        Assert.False(SipNameAddress.TryParse(Bytes(value), out _));

    // ---- URI scheme and user part ----

    [Fact]
    public void Strict_parsers_reject_these_values_whole()
    {
        // One malformed part makes the whole value invalid in the strict mode; the lenient mode still
        // reads these (LenientValueTests).
        Assert.False(SipNameAddress.TryParse("<sip:bob@biloxi.example.com>;tag=a1;x-info=two words"u8, out _));
        Assert.False(PChargingVector.TryParse("icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;orig-ioi=home1.net"u8, out _));
        Assert.False(SipSessionId.TryParse("ab30317f1a784dc48ff824d0d3715d86;remote=unknown"u8, out _));
    }

    [Theory]
    [InlineData("sip:+15551230000@ims.example.net;user=phone", SipUriScheme.Sip, "+15551230000")]
    [InlineData("SIP:alice@example.com", SipUriScheme.Sip, "alice")]
    [InlineData("sips:alice:secret@example.com:5061", SipUriScheme.Sips, "alice:secret")]
    [InlineData("tel:+15551230000;phone-context=example.net", SipUriScheme.Tel, "+15551230000")]
    [InlineData("tel:+1-555-123-0000", SipUriScheme.Tel, "+1-555-123-0000")]
    [InlineData("sip:ims.example.net;lr", SipUriScheme.Sip, null)]
    [InlineData("tel:;x=1", SipUriScheme.Tel, null)]
    [InlineData("urn:service:sos", SipUriScheme.Unknown, null)]
    [InlineData("alice", SipUriScheme.Unknown, null)]
    [InlineData("", SipUriScheme.Unknown, null)]
    public void Uri_scheme_and_user_part(string uri, object expectedScheme, string? user)
    {
        // object: SipUriScheme is internal and a test method's parameters must be public.
        var scheme = (SipUriScheme)expectedScheme;
        byte[] bytes = Bytes(uri);
        Assert.Equal(scheme, SipUri.GetScheme(bytes));
        Assert.Equal(user is not null, SipUri.TryGetUserPart(bytes, out ReadOnlySpan<byte> found));
        Assert.Equal(user ?? "", Text(found));
        Assert.Equal(user is not null, SipUri.TryGetUserPart(bytes, out int offset, out int length));
        if (user is not null)
        {
            Assert.Equal(user, Text(bytes.AsSpan(offset, length)));
        }
    }

    // ---- P-Asserted-Identity / P-Preferred-Identity ----

    [Fact]
    public void Identity_list_with_sip_and_tel()
    {
        byte[] value = Bytes("\"Alice\" <sip:+15551230000@ims.example.net;user=phone>, <tel:+15551230000>");
        Assert.True(SipIdentityList.TryGetFirstUri(value, out ReadOnlySpan<byte> first));
        Assert.Equal("sip:+15551230000@ims.example.net;user=phone", Text(first));
        Assert.True(SipIdentityList.TryGetSipUri(value, out ReadOnlySpan<byte> sip));
        Assert.Equal("sip:+15551230000@ims.example.net;user=phone", Text(sip));
        Assert.True(SipIdentityList.TryGetTelUri(value, out ReadOnlySpan<byte> tel));
        Assert.Equal("tel:+15551230000", Text(tel));
    }

    [Fact]
    public void Identity_list_tel_first_skips_bad_and_foreign_entries()
    {
        byte[] value = Bytes("<urn:x:y>, \"no uri\", tel:+4930123 , \"Bob, Jr.\" <sips:bob@example.com>");
        Assert.True(SipIdentityList.TryGetFirstUri(value, out ReadOnlySpan<byte> first));
        Assert.Equal("tel:+4930123", Text(first));
        Assert.True(SipIdentityList.TryGetSipUri(value, out ReadOnlySpan<byte> sip));
        Assert.Equal("sips:bob@example.com", Text(sip));
    }

    [Theory]
    [InlineData("")]
    [InlineData("<urn:service:sos>")]
    [InlineData("<sip:a@b")]
    [InlineData(",,,")]
    public void Identity_list_without_a_usable_uri(string value)
    {
        Assert.False(SipIdentityList.TryGetFirstUri(Bytes(value), out ReadOnlySpan<byte> uri));
        Assert.True(uri.IsEmpty);
    }

    [Fact]
    public void Value_list_honours_quotes_and_brackets_and_stops_at_the_limit()
    {
        var elements = new List<string>();
        foreach (ReadOnlySpan<byte> element in new SipValueList(Bytes(" a , \"b,c\" <d,e>;f ,, g")))
        {
            elements.Add(Text(element));
        }

        Assert.Equal(["a", "\"b,c\" <d,e>;f", "", "g"], elements);

        int count = 0;
        foreach (ReadOnlySpan<byte> element in new SipValueList(Bytes(string.Join(',', Enumerable.Repeat("x", SipValueList.MaxElements * 2)))))
        {
            count++;
        }

        Assert.Equal(SipValueList.MaxElements, count);
    }

    [Fact]
    public void Folded_values_as_the_reader_returns_them_parse_like_unfolded_ones()
    {
        Assert.True(SipIdentityList.TryGetTelUri(Bytes("\"Alice\"\r\n <sip:alice@ims.example.net>,\r\n\t<tel:+15551230000>"), out ReadOnlySpan<byte> tel));
        Assert.Equal("tel:+15551230000", Text(tel));
        Assert.True(PChargingVector.TryParse(Bytes("icid-value=abc;\r\n orig-ioi=home1.net"), out PChargingVector vector));
        Assert.Equal("home1.net", Text(vector.OrigIoi));
    }

    // ---- Session-ID ----

    [Fact]
    public void Session_id_with_remote()
    {
        Assert.True(SipSessionId.TryParse(Bytes("ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"), out SipSessionId id));
        Assert.Equal("ab30317f1a784dc48ff824d0d3715d86", Text(id.LocalUuid));
        Assert.Equal("47755a9de7794ba387653f2099600ef2", Text(id.RemoteUuid));
        Assert.False(id.IsLocalNull);
    }

    [Fact]
    public void Session_id_null_local_and_no_remote()
    {
        Assert.True(SipSessionId.TryParse(Bytes(" 00000000000000000000000000000000 ; x=1"), out SipSessionId id));
        Assert.True(id.IsLocalNull);
        Assert.True(id.RemoteUuid.IsEmpty);
        Assert.Equal("x=1", Text(id.Parameters));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ab30317f1a784dc48ff824d0d3715d8")]
    [InlineData("ab30317f1a784dc48ff824d0d3715d866")]
    [InlineData("ab30317f1a784dc48ff824d0d3715d8g")]
    [InlineData("ab30317f1a784dc48ff824d0d3715d86;remote=123")]
    [InlineData("ab30317f1a784dc48ff824d0d3715d86;remote")]
    [InlineData("ab30317f1a784dc48ff824d0d3715d86;")]
    public void Malformed_session_ids(string value) =>
        Assert.False(SipSessionId.TryParse(Bytes(value), out _));

    [Fact]
    public void Parsers_do_not_allocate()
    {
        byte[] vector = Bytes("icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\";icid-generated-at=192.0.6.8;orig-ioi=home1.net");
        byte[] access = Bytes("3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=234150999999999, 3GPP-E-UTRAN-FDD;network-provided");
        byte[] identity = Bytes("\"Alice\" <sip:+15551230000@ims.example.net;user=phone>, <tel:+15551230000>");
        void Run()
        {
            _ = PChargingVector.TryParse(vector, out PChargingVector v);
            _ = v.OrigIoi;
            _ = PAccessNetworkInfo.TryParseNetworkProvided(access, out PAccessNetworkInfo a);
            a.TryGetCellId(out _);
            SipIdentityList.TryGetTelUri(identity, out ReadOnlySpan<byte> tel);
            SipUri.TryGetUserPart(tel, out _);
        }

        Run();
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                Run();
            }
        });
    }
}
