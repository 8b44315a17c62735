using System.Text;

namespace SipTraceContext.Sip.Tests;

public sealed class SipHeaderNamesTests
{
    public static TheoryData<KnownSipHeader> AllKnownHeaders()
    {
        var data = new TheoryData<KnownSipHeader>();
        foreach (KnownSipHeader header in Enum.GetValues<KnownSipHeader>())
        {
            if (header != KnownSipHeader.Unknown)
            {
                data.Add(header);
            }
        }

        return data;
    }

    // The IANA "Header Fields" registry's compact forms (RFC 3261 §7.3.3 and the RFCs that followed).
    public static TheoryData<char, string> IanaCompactForms => new()
    {
        { 'a', "Accept-Contact" },
        { 'b', "Referred-By" },
        { 'c', "Content-Type" },
        { 'd', "Request-Disposition" },
        { 'e', "Content-Encoding" },
        { 'f', "From" },
        { 'i', "Call-ID" },
        { 'j', "Reject-Contact" },
        { 'k', "Supported" },
        { 'l', "Content-Length" },
        { 'm', "Contact" },
        { 'n', "Identity-Info" },
        { 'o', "Event" },
        { 'r', "Refer-To" },
        { 's', "Subject" },
        { 't', "To" },
        { 'u', "Allow-Events" },
        { 'v', "Via" },
        { 'x', "Session-Expires" },
        { 'y', "Identity" },
    };

    [Theory]
    [MemberData(nameof(AllKnownHeaders))]
    public void Every_known_header_is_found_from_its_name_in_any_case(KnownSipHeader header)
    {
        string name = SipHeaderNames.GetName(header)!;
        Assert.NotNull(name);
        Assert.Equal(name, Encoding.ASCII.GetString(SipHeaderNames.GetNameUtf8(header)));
        foreach (string spelling in new[] { name, name.ToUpperInvariant(), name.ToLowerInvariant() })
        {
            Assert.Equal(header, SipHeaderNames.GetKnownHeader(spelling.AsSpan()));
            Assert.Equal(header, SipHeaderNames.GetKnownHeader(Encoding.ASCII.GetBytes(spelling)));
        }

        // One letter changed at each position never maps to the same header.
        for (int i = 0; i < name.Length; i++)
        {
            string changed = name[..i] + (name[i] == 'q' ? 'z' : 'q') + name[(i + 1)..];
            Assert.NotEqual(header, SipHeaderNames.GetKnownHeader(changed.AsSpan()));
        }
    }

    [Theory]
    [MemberData(nameof(IanaCompactForms))]
    public void Compact_forms_match_the_iana_registry(char letter, string longName)
    {
        KnownSipHeader header = SipHeaderNames.GetKnownHeader(longName.AsSpan());
        Assert.NotEqual(KnownSipHeader.Unknown, header);
        Assert.Equal((byte)letter, SipHeaderNames.GetCompactForm(header));
        Assert.Equal(header, SipHeaderNames.FromCompactForm(letter));
        Assert.Equal(header, SipHeaderNames.FromCompactForm(char.ToUpperInvariant(letter)));
        Assert.Equal(header, SipHeaderNames.GetKnownHeader([(byte)letter]));
        Assert.Equal(header, SipHeaderNames.GetKnownHeader(char.ToUpperInvariant(letter).ToString().AsSpan()));
        Assert.True(SipHeaderNames.Matches(Encoding.ASCII.GetBytes(longName), [(byte)letter]));
        Assert.True(SipHeaderNames.Matches([(byte)char.ToUpperInvariant(letter)], Encoding.ASCII.GetBytes(longName.ToUpperInvariant())));
        Assert.True(SipHeaderNames.Matches(letter.ToString().AsSpan(), longName.AsSpan()));
        Assert.True(SipHeaderNames.Matches(longName.ToLowerInvariant().AsSpan(), letter.ToString().AsSpan()));
        Assert.True(SipHeaderNames.Matches([(byte)letter], longName.AsSpan()));
    }

    [Fact]
    public void Only_the_registered_letters_are_compact_forms()
    {
        int withCompact = 0;
        foreach (KnownSipHeader header in Enum.GetValues<KnownSipHeader>())
        {
            if (SipHeaderNames.GetCompactForm(header) != 0)
            {
                withCompact++;
            }
        }

        Assert.Equal(IanaCompactForms.Count, withCompact);
        foreach (char letter in "ghpqwz")
        {
            Assert.Equal(KnownSipHeader.Unknown, SipHeaderNames.FromCompactForm(letter));
        }

        foreach (char notLetter in "@[`{-0\u0141")
        {
            Assert.Equal(KnownSipHeader.Unknown, SipHeaderNames.FromCompactForm(notLetter));
        }
    }

    [Theory]
    [InlineData("Via", "VIA", true)]
    [InlineData("via", "v", true)]
    [InlineData("V", "via", true)]
    [InlineData("i", "Call-Id", true)]
    [InlineData("X-OTel-traceparent", "x-otel-TRACEPARENT", true)]
    [InlineData("X-OTel-traceparent", "X-OTel-tracestate", false)]
    [InlineData("v", "t", false)]
    [InlineData("v", "Via2", false)]
    [InlineData("Vias", "v", false)]
    [InlineData("q", "Via", false)]
    [InlineData("To", "From", false)]
    [InlineData("Subject", "s", true)]
    [InlineData("Subject", "S", true)]
    [InlineData("x", "Session-Expires", true)]
    [InlineData("x", "X-CID", false)]
    public void Matches_is_case_insensitive_and_compact_aware(string name, string wanted, bool expected)
    {
        Assert.Equal(expected, SipHeaderNames.Matches(Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(wanted)));
        Assert.Equal(expected, SipHeaderNames.Matches(name.AsSpan(), wanted.AsSpan()));
        Assert.Equal(expected, SipHeaderNames.Matches(Encoding.ASCII.GetBytes(name), wanted.AsSpan()));
        Assert.Equal(expected, SipHeaderNames.Matches(Encoding.ASCII.GetBytes(wanted), Encoding.ASCII.GetBytes(name)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Tx")]
    [InlineData("Vix")]
    [InlineData("X-OTel-traceparenx")]
    [InlineData("X-OTel-traceparent")] // the trace-context headers are Propagation's, not known SIP headers
    [InlineData("P-OTel-Traceparent")]
    [InlineData("Content-Lengthy")]
    [InlineData("P-Charging-Vectors")]
    [InlineData("1")]
    [InlineData("Call-I\u0130")]
    public void Unknown_names_are_unknown(string name)
    {
        Assert.Equal(KnownSipHeader.Unknown, SipHeaderNames.GetKnownHeader(name.AsSpan()));
        Assert.Equal(KnownSipHeader.Unknown, SipHeaderNames.GetKnownHeader(Encoding.UTF8.GetBytes(name)));
    }

    [Fact]
    public void Unknown_has_no_name_or_compact_form()
    {
        Assert.Null(SipHeaderNames.GetName(KnownSipHeader.Unknown));
        Assert.True(SipHeaderNames.GetNameUtf8(KnownSipHeader.Unknown).IsEmpty);
        Assert.Equal(0, SipHeaderNames.GetCompactForm(KnownSipHeader.Unknown));
        Assert.Null(SipHeaderNames.GetName((KnownSipHeader)int.MaxValue));
    }

    [Fact]
    public void Constants_and_utf8_properties_agree()
    {
        Assert.Equal(SipHeaderNames.CallId, Encoding.ASCII.GetString(SipHeaderNames.CallIdUtf8));
        Assert.Equal("Call-ID", Encoding.ASCII.GetString(SipHeaderNames.CallIdUtf8));
        Assert.Same(SipHeaderNames.Via, SipHeaderNames.GetName(KnownSipHeader.Via));
    }

    [Fact]
    public void Name_validation_accepts_tokens_only()
    {
        Assert.True(SipHeaderNames.IsValidName("X-OTel-traceparent".AsSpan()));
        Assert.True(SipHeaderNames.IsValidName("!%*_+`'~.-"u8));
        Assert.False(SipHeaderNames.IsValidName(""u8));
        Assert.False(SipHeaderNames.IsValidName("Via:".AsSpan()));
        Assert.False(SipHeaderNames.IsValidName("Via\r\nX"u8));
        Assert.False(SipHeaderNames.IsValidName("V ia".AsSpan()));
        Assert.False(SipHeaderNames.IsValidName("Vi\u00e9".AsSpan()));

        // The byte and char token classes are the same set.
        for (int c = 0; c < 256; c++)
        {
            Assert.Equal(SipHeaderNames.IsValidName([(byte)c]), SipHeaderNames.IsValidName(((char)c).ToString().AsSpan()));
        }
    }
}
