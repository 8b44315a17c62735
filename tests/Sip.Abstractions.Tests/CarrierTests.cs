using System.Globalization;
using System.Text;

namespace SipTraceContext.Sip.Tests;

/// <summary>The carrier contract, checked the same way against both built-in adapters.</summary>
public sealed class CarrierTests
{
    public static TheoryData<string> Carriers => ["collection", "wire"];

    // Both adapters hold the same INVITE: its headers as a list, or its bytes.
    private static ISipMessageCarrier Create(string kind)
    {
        if (kind == "wire")
        {
            return new SipWireMessage(SipMessages.Bytes(SipMessages.CompactRegister));
        }

        var collection = new SipHeaderCollection { Method = "REGISTER", RequestUri = "sip:registrar.example.com" };
        var reader = new SipMessageReader(SipMessages.Bytes(SipMessages.CompactRegister));
        foreach (SipHeaderField field in reader.Headers)
        {
            collection.Add(Encoding.ASCII.GetString(field.Name), Encoding.UTF8.GetString(field.Value));
        }

        return collection;
    }

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Get_values_is_case_insensitive_compact_aware_and_in_order(string kind)
    {
        ISipHeaderCarrier carrier = Create(kind);
        Assert.Equal(
            ["SIP/2.0/TCP 192.0.2.20:5060;branch=z9hG4bK-a1", "SIP/2.0/UDP 192.0.2.21;branch=z9hG4bK-b2, SIP/2.0/UDP 192.0.2.22;branch=z9hG4bK-c3"],
            carrier.GetValues("VIA"));
        Assert.Equal(["compact.7fj3@192.0.2.20"], carrier.GetValues("call-id"));
        Assert.True(carrier.TryGetValue("Supported", out string? supported));
        Assert.Equal("path, outbound", supported);
        Assert.True(carrier.TryGetValue("Expires", out string? empty));
        Assert.Equal(string.Empty, empty);
        Assert.False(carrier.TryGetValue("X-OTel-traceparent", out string? missing));
        Assert.Null(missing);
    }

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Absent_header_returns_the_shared_empty_list(string kind)
    {
        ISipHeaderCarrier carrier = Create(kind);
        Assert.Same(Array.Empty<string>(), carrier.GetValues("X-OTel-traceparent"));
        Assert.Same(Array.Empty<string>(), carrier.GetValues("Not A Token"));
    }

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Set_replaces_every_instance_with_one_in_place_of_the_first(string kind)
    {
        ISipHeaderCarrier carrier = Create(kind);
        carrier.Set("Via", "SIP/2.0/UDP only.example.com;branch=z9hG4bK-1");
        Assert.Equal(["SIP/2.0/UDP only.example.com;branch=z9hG4bK-1"], carrier.GetValues("v"));

        carrier.Set("X-OTel-traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        carrier.Set("x-otel-traceparent", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
        Assert.Equal(["00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"], carrier.GetValues("X-OTel-Traceparent"));
    }

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Add_appends_and_remove_removes_every_form(string kind)
    {
        ISipHeaderCarrier carrier = Create(kind);
        carrier.Add("Via", "SIP/2.0/UDP third.example.com;branch=z9hG4bK-3");
        Assert.Equal(3, carrier.GetValues("v").Count);
        Assert.Equal("SIP/2.0/UDP third.example.com;branch=z9hG4bK-3", carrier.GetValues("Via")[2]);

        Assert.True(carrier.Remove("VIA"));
        Assert.Empty(carrier.GetValues("Via"));
        Assert.False(carrier.Remove("Via"));
        Assert.False(carrier.Remove("bad name"));
        Assert.True(carrier.TryGetValue("i", out _));
    }

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Values_that_could_inject_a_header_throw_and_change_nothing(string kind)
    {
        ISipHeaderCarrier carrier = Create(kind);
        Assert.Throws<ArgumentException>(() => carrier.Set("X-OTel-tracestate", "a=1\r\nVia: SIP/2.0/UDP evil"));
        Assert.Throws<ArgumentException>(() => carrier.Add("X-OTel-tracestate", "a=1\0"));
        Assert.Throws<ArgumentException>(() => carrier.Add("X-OTel tracestate", "a=1"));
        Assert.Throws<ArgumentException>(() => carrier.Set("", "a=1"));
        Assert.Equal(2, carrier.GetValues("Via").Count);
        Assert.Empty(carrier.GetValues("X-OTel-tracestate"));
    }

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Cached_getter_and_setter_work_in_the_opentelemetry_shape(string kind)
    {
        ISipHeaderCarrier carrier = Create(kind);
        SipHeaderCarrier.Setter(carrier, "X-OTel-traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        IEnumerable<string>? values = SipHeaderCarrier.Getter(carrier, "x-otel-traceparent");
        Assert.Equal(["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"], values!);
        Assert.Same(SipHeaderCarrier.Getter, SipHeaderCarrier.Getter);
        Assert.Null(SipHeaderCarrier.Getter(null!, "Via"));
    }

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Start_line_is_exposed(string kind)
    {
        ISipMessageCarrier carrier = Create(kind);
        Assert.True(carrier.IsRequest);
        Assert.Equal("REGISTER", carrier.Method);
        Assert.Equal("sip:registrar.example.com", carrier.RequestUri);
        Assert.Equal(0, carrier.StatusCode);
        Assert.Null(carrier.ReasonPhrase);
    }

    [Fact]
    public void Wire_message_response_start_line_and_cached_method_strings()
    {
        var response = new SipWireMessage(SipMessages.Bytes(SipMessages.Ringing));
        Assert.False(response.IsRequest);
        Assert.Null(response.Method);
        Assert.Null(response.RequestUri);
        Assert.Equal(180, response.StatusCode);
        Assert.Equal("Ringing", response.ReasonPhrase);

        var invite = new SipWireMessage(SipMessages.Bytes(SipMessages.Invite));
        Assert.Same("INVITE", invite.Method);
        var extension = new SipWireMessage("invite sip:a@b SIP/2.0\r\n\r\n"u8);
        Assert.Equal("invite", extension.Method);
    }

    [Fact]
    public void Wire_message_returns_folded_values_unfolded()
    {
        var message = new SipWireMessage(SipMessages.Bytes(SipMessages.TortuousInvite));
        Assert.Equal(["0009 INVITE"], message.GetValues("CSeq"));
        Assert.True(message.TryGetValue("NewFangledHeader", out string? value));
        Assert.Equal("newfangled value continued newfangled value", value);
    }

    [Fact]
    public void Wire_message_edits_keep_other_bytes_and_the_body()
    {
        byte[] source = SipMessages.Bytes(SipMessages.Invite);
        var message = new SipWireMessage(source);
        message.Set("X-OTel-tracestate", "vendor=new");
        Assert.Equal(SipMessages.Invite.Replace("vendor=opaque", "vendor=new", StringComparison.Ordinal), message.ToString());
        Assert.Equal(message.Length, message.Span.Length);
        Assert.Equal(message.ToArray(), message.Memory.ToArray());
        Assert.True(message.CreateReader().IsComplete);

        scoped SipHeaderEditList edits = default;
        edits.Remove("X-OTel-traceparent"u8);
        edits.Remove("X-OTel-tracestate"u8);
        message.Apply(edits);
        Assert.DoesNotContain("X-OTel", message.ToString(), StringComparison.Ordinal);
        Assert.EndsWith(SipMessages.SdpBody, message.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Wire_message_refuses_edits_past_its_limits_and_stays_unchanged()
    {
        var limits = new SipReaderLimits { MaxLineLength = 100 };
        Assert.True(SipWireMessage.TryCreate(SipMessages.Bytes(SipMessages.Ringing), limits, out SipWireMessage? message, out _));
        string before = message.ToString();
        Assert.Throws<ArgumentException>(() => message.Add("X-Long", new string('a', 200)));
        Assert.Equal(before, message.ToString());
    }

    [Fact]
    public void Wire_message_refuses_incomplete_or_malformed_input_with_the_reason()
    {
        Assert.False(SipWireMessage.TryCreate("INVITE sip:a@b SIP/2.0\r\n"u8, out SipWireMessage? none, out SipParseError error));
        Assert.Null(none);
        Assert.Equal(SipParseError.IncompleteHeaders, error);
        Assert.False(SipWireMessage.TryCreate("INVITE sip:a@b SIP/2.0\r\nX: \0\r\n\r\n"u8, out _, out error));
        Assert.Equal(SipParseError.InvalidCharacter, error);
        ArgumentException thrown = Assert.Throws<ArgumentException>(() => new SipWireMessage("SIP/2.0 999 x\r\n\r\n"u8));
        Assert.Contains("InvalidStatusCode", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wire_message_keeps_only_the_first_message_of_a_buffer()
    {
        byte[] both = [.. SipMessages.Bytes(SipMessages.Ringing), .. SipMessages.Bytes(SipMessages.Invite)];
        var message = new SipWireMessage(both);
        Assert.Equal(SipMessages.Ringing, message.ToString());
    }

    [Fact]
    public void Collection_holds_values_as_given_and_enumerates_in_order()
    {
        var headers = new SipHeaderCollection(new[] { KeyValuePair.Create("Via", "a"), KeyValuePair.Create("v", "b") })
        {
            { "To", " <sip:x@y> " },
        };
        Assert.Equal(3, headers.Count);
        Assert.Equal(" <sip:x@y> ", headers.GetValues("t")[0]);
        Assert.Equal("v", headers[1].Key);
        Assert.Equal(["Via", "v", "To"], headers.Select(h => h.Key));
        headers.Clear();
        Assert.Empty(headers);
        Assert.False(headers.IsRequest);
        headers.StatusCode = 486;
        headers.ReasonPhrase = "Busy Here";
        Assert.Equal(486, headers.StatusCode);
    }

    [Fact]
    public void An_edit_past_the_header_limit_is_refused_and_the_message_kept()
    {
        var text = new StringBuilder("INVITE sip:bob@example.com SIP/2.0\r\n");
        for (int i = 0; i < SipReaderLimits.DefaultMaxHeaderCount; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"X-Pad-{i}: x\r\n");
        }
        var message = new SipWireMessage(Encoding.ASCII.GetBytes(text.Append("\r\n").ToString()));
        Assert.Equal(SipReaderLimits.DefaultMaxHeaderCount, message.CreateReader().HeaderCount);
        byte[] before = message.ToArray();

        scoped SipHeaderEditList edits = default;
        edits.Add("X-OTel-traceparent"u8, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"u8);
        Assert.False(message.TryApply(edits, out SipEditError error));
        Assert.Equal(SipEditError.LimitExceeded, error);
        Assert.Equal(before, message.ToArray());
    }
}
