using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Sdp;

/// <summary>The value of an <c>a=</c> line: a property attribute (<c>a=sendrecv</c>) or a value attribute (<c>a=rtpmap:97 AMR-WB/16000/1</c>).</summary>
internal readonly ref struct SdpAttributeField
{
    // attribute-field = %s"a" "=" attribute CRLF
    // attribute       = (attribute-name ":" attribute-value) / attribute-name
    // attribute-name  = token
    // attribute-value = byte-string
    // (RFC 8866 §9)

    private SdpAttributeField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool hasValue)
    {
        Name = name;
        Value = value;
        HasValue = hasValue;
    }

    /// <summary>The attribute name, for example <c>rtpmap</c>, <c>fmtp</c>, <c>sendrecv</c>.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>The bytes after the first <c>:</c>, as written; empty for a property attribute.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Whether the attribute has a <c>:</c> and a value part (which may be empty).</summary>
    public bool HasValue { get; }

    /// <summary>Whether this is an <c>rtpmap</c> attribute (names are case-sensitive, RFC 8866 §5.13).</summary>
    public bool IsRtpMap => Name.SequenceEqual("rtpmap"u8);

    /// <summary>Whether this is an <c>fmtp</c> attribute.</summary>
    public bool IsFmtp => Name.SequenceEqual("fmtp"u8);

    /// <summary>Parses the value of an <c>a=</c> line (what follows <c>a=</c>).</summary>
    /// <param name="value">The line value.</param>
    /// <param name="attribute">The name and value; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when the name is not a token.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out SdpAttributeField attribute)
    {
        int colon = value.IndexOf(SipGrammar.Colon);
        ReadOnlySpan<byte> name = colon < 0 ? value : value[..colon];
        if (!SipGrammar.IsToken(name))
        {
            attribute = default;
            return false;
        }

        attribute = colon < 0 ? new SdpAttributeField(name, default, false) : new SdpAttributeField(name, value[(colon + 1)..], true);
        return true;
    }
}
