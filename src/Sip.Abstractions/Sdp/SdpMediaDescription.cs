using System.Text;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Sdp;

/// <summary>The value of an <c>m=</c> line: media type, port, transport protocol and format list.</summary>
internal readonly ref struct SdpMediaDescription
{
    // media-field = %s"m" "=" media SP port ["/" integer] SP proto 1*(SP fmt) CRLF
    // media       = token
    // port        = 1*DIGIT
    // proto       = token *("/" token)
    // fmt         = token
    // (RFC 8866 §9)

    private const int MaxPort = ushort.MaxValue;

    private SdpMediaDescription(ReadOnlySpan<byte> media, int port, int portCount, ReadOnlySpan<byte> protocol, ReadOnlySpan<byte> formats)
    {
        Media = media;
        Port = port;
        PortCount = portCount;
        Protocol = protocol;
        Formats = formats;
    }

    /// <summary>The media type: <c>audio</c>, <c>video</c>, <c>text</c>, <c>application</c>, <c>message</c>, ...</summary>
    public ReadOnlySpan<byte> Media { get; }

    /// <summary>The transport port (0 for a rejected or disabled stream).</summary>
    public int Port { get; }

    /// <summary>The number of ports from <c>&lt;port&gt;/&lt;number&gt;</c>; 1 when not given.</summary>
    public int PortCount { get; }

    /// <summary>The transport protocol, for example <c>RTP/AVP</c> or <c>RTP/AVPF</c>.</summary>
    public ReadOnlySpan<byte> Protocol { get; }

    /// <summary>The format list as written: one or more formats separated by SP (RTP payload types for RTP protocols).</summary>
    public ReadOnlySpan<byte> Formats { get; }

    /// <summary>Whether <see cref="Media"/> is <c>audio</c>.</summary>
    public bool IsAudio => Ascii.EqualsIgnoreCase(Media, "audio"u8);

    /// <summary>Whether <see cref="Media"/> is <c>video</c>.</summary>
    public bool IsVideo => Ascii.EqualsIgnoreCase(Media, "video"u8);

    /// <summary>Enumerates <see cref="Formats"/>, one format per item.</summary>
    /// <returns>An enumerator for <c>foreach</c>.</returns>
    public SdpFormatEnumerator EnumerateFormats() => new(Formats);

    /// <summary>The first format as an RTP payload type (0-127).</summary>
    /// <param name="payloadType">The payload type; -1 when the first format is not one.</param>
    /// <returns>Whether the first format is a payload type.</returns>
    public bool TryGetFirstPayloadType(out int payloadType)
    {
        ReadOnlySpan<byte> rest = Formats;
        if (SdpNumber.TryParse(SdpNumber.NextField(ref rest), 0, SdpRtpMap.MaxPayloadType, out payloadType))
        {
            return true;
        }

        payloadType = -1;
        return false;
    }

    /// <summary>Parses the value of an <c>m=</c> line (what follows <c>m=</c>).</summary>
    /// <param name="value">The line value, for example <c>audio 49152 RTP/AVP 116 107 97 111 110</c>.</param>
    /// <param name="media">The parts; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when a part is missing or not of its grammar; never throws.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out SdpMediaDescription media)
    {
        media = default;
        ReadOnlySpan<byte> rest = SipGrammar.TrimLinearWhitespace(value);
        ReadOnlySpan<byte> type = SdpNumber.NextField(ref rest);
        ReadOnlySpan<byte> portField = SdpNumber.NextField(ref rest);
        ReadOnlySpan<byte> protocol = SdpNumber.NextField(ref rest);
        ReadOnlySpan<byte> formats = rest;
        if (!SipGrammar.IsToken(type) || !IsProtocol(protocol) || !IsFormatList(formats))
        {
            return false;
        }

        int portCount = 1;
        int slash = portField.IndexOf((byte)'/');
        if (slash >= 0)
        {
            if (!SdpNumber.TryParse(portField[(slash + 1)..], 1, MaxPort, out portCount))
            {
                return false;
            }

            portField = portField[..slash];
        }

        if (!SdpNumber.TryParse(portField, 0, MaxPort, out int port))
        {
            return false;
        }

        media = new SdpMediaDescription(type, port, portCount, protocol, formats);
        return true;
    }

    // proto = token *("/" token)
    private static bool IsProtocol(ReadOnlySpan<byte> protocol)
    {
        int slash;
        while ((slash = protocol.IndexOf((byte)'/')) >= 0)
        {
            if (!SipGrammar.IsToken(protocol[..slash]))
            {
                return false;
            }

            protocol = protocol[(slash + 1)..];
        }

        return SipGrammar.IsToken(protocol);
    }

    // 1*(SP fmt), fmt = token; the separating run of SP was already collapsed by the field split.
    private static bool IsFormatList(ReadOnlySpan<byte> formats)
    {
        if (formats.IsEmpty)
        {
            return false;
        }

        foreach (ReadOnlySpan<byte> format in new SdpFormatEnumerator(formats))
        {
            if (!SipGrammar.IsToken(format))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Enumerates the formats of an <c>m=</c> line's format list.</summary>
internal ref struct SdpFormatEnumerator
{
    private ReadOnlySpan<byte> _rest;

    internal SdpFormatEnumerator(ReadOnlySpan<byte> formats)
    {
        _rest = formats;
        Current = default;
    }

    /// <summary>The current format, for example <c>97</c>.</summary>
    public ReadOnlySpan<byte> Current { get; private set; }

    /// <summary>Returns this enumerator, for <c>foreach</c>.</summary>
    /// <returns>This enumerator.</returns>
    public readonly SdpFormatEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next format.</summary>
    /// <returns>Whether there is one.</returns>
    public bool MoveNext()
    {
        _rest = _rest.TrimStart((byte)' ');
        if (_rest.IsEmpty)
        {
            Current = default;
            return false;
        }

        Current = SdpNumber.NextField(ref _rest);
        return true;
    }
}
