using static SipTraceContext.Sip.Tests.Sdp.SdpBodies;
using SipTraceContext.Sip.Sdp;

namespace SipTraceContext.Sip.Tests.Sdp;

public sealed class SdpFieldTests
{
    [Fact]
    public void Media_line_parts()
    {
        Assert.True(SdpMediaDescription.TryParse(Bytes("audio 49152 RTP/AVP 116 107 97 111 110"), out SdpMediaDescription media));
        Assert.Equal("audio", Text(media.Media));
        Assert.True(media.IsAudio);
        Assert.False(media.IsVideo);
        Assert.Equal(49152, media.Port);
        Assert.Equal(1, media.PortCount);
        Assert.Equal("RTP/AVP", Text(media.Protocol));
        Assert.Equal("116 107 97 111 110", Text(media.Formats));
        var formats = new List<string>();
        foreach (ReadOnlySpan<byte> format in media.EnumerateFormats())
        {
            formats.Add(Text(format));
        }

        Assert.Equal(["116", "107", "97", "111", "110"], formats);
        Assert.True(media.TryGetFirstPayloadType(out int payloadType));
        Assert.Equal(116, payloadType);
    }

    [Fact]
    public void Media_line_with_port_count_and_profile_with_several_slashes()
    {
        Assert.True(SdpMediaDescription.TryParse(Bytes("video 49170/2 UDP/TLS/RTP/SAVPF 99"), out SdpMediaDescription media));
        Assert.Equal(49170, media.Port);
        Assert.Equal(2, media.PortCount);
        Assert.Equal("UDP/TLS/RTP/SAVPF", Text(media.Protocol));
        Assert.True(media.IsVideo);
    }

    [Fact]
    public void Rejected_stream_has_port_zero_and_non_rtp_formats_are_not_payload_types()
    {
        Assert.True(SdpMediaDescription.TryParse(Bytes("message 0 TCP/MSRP *"), out SdpMediaDescription media));
        Assert.Equal(0, media.Port);
        Assert.False(media.TryGetFirstPayloadType(out int payloadType));
        Assert.Equal(-1, payloadType);
    }

    [Theory]
    [InlineData("")]
    [InlineData("audio")]
    [InlineData("audio 49152")]
    [InlineData("audio 49152 RTP/AVP")]
    [InlineData("audio 49152 RTP/AVP ")]
    [InlineData("audio 65536 RTP/AVP 0")]
    [InlineData("audio -1 RTP/AVP 0")]
    [InlineData("audio 4x RTP/AVP 0")]
    [InlineData("audio 4000/0 RTP/AVP 0")]
    [InlineData("audio 4000/ RTP/AVP 0")]
    [InlineData("audio 4000 RTP//AVP 0")]
    [InlineData("audio 4000 RTP/AVP/ 0")]
    [InlineData("au\"dio 4000 RTP/AVP 0")]
    [InlineData("audio 4000 RTP/AVP 0\t8")]
    [InlineData("audio 99999999999999999999999 RTP/AVP 0")]
    public void Malformed_media_lines(string value) =>
        Assert.False(SdpMediaDescription.TryParse(Bytes(value), out _));

    [Theory]
    [InlineData("116 AMR-WB/16000/1", 116, "AMR-WB", 16000, "1", 1)]
    [InlineData("107 EVS/16000", 107, "EVS", 16000, "", 1)]
    [InlineData("111 telephone-event/16000", 111, "telephone-event", 16000, "", 1)]
    [InlineData("96 opus/48000/2", 96, "opus", 48000, "2", 2)]
    [InlineData("0 PCMU/8000 ", 0, "PCMU", 8000, "", 1)]
    public void Rtpmap_values(string value, int payloadType, string name, int clockRate, string parameters, int channels)
    {
        Assert.True(SdpRtpMap.TryParse(Bytes(value), out SdpRtpMap map));
        Assert.Equal(payloadType, map.PayloadType);
        Assert.Equal(name, Text(map.EncodingName));
        Assert.Equal(clockRate, map.ClockRate);
        Assert.Equal(parameters, Text(map.EncodingParameters));
        Assert.Equal(channels, map.Channels);
    }

    [Theory]
    [InlineData("")]
    [InlineData("96")]
    [InlineData("96 EVS")]
    [InlineData("96 EVS/")]
    [InlineData("96 EVS/0")]
    [InlineData("96 /16000")]
    [InlineData("128 EVS/16000")]
    [InlineData("x EVS/16000")]
    [InlineData("96 EVS/16000/")]
    [InlineData("96 EVS/16000/0")]
    [InlineData("96 EVS/16000/two")]
    [InlineData("96 E VS/16000")]
    [InlineData("96 EVS/99999999999")]
    public void Malformed_rtpmap_values(string value) =>
        Assert.False(SdpRtpMap.TryParse(Bytes(value), out _));

    [Theory]
    [InlineData("AS:41", "AS", 41, 41)]
    [InlineData("TIAS:64000", "TIAS", 64000, 64)]
    [InlineData("TIAS:64001", "TIAS", 64001, 65)]
    [InlineData("TIAS:1", "TIAS", 1, 1)]
    [InlineData("CT:1000", "CT", 1000, 1000)]
    public void Bandwidth_values(string value, string type, long number, long kbps)
    {
        Assert.True(SdpBandwidth.TryParse(Bytes(value), out SdpBandwidth bandwidth));
        Assert.Equal(type, Text(bandwidth.Type));
        Assert.Equal(number, bandwidth.Value);
        Assert.True(bandwidth.TryGetKbps(out long actual));
        Assert.Equal(kbps, actual);
    }

    [Fact]
    public void RS_and_RR_have_no_kbps()
    {
        Assert.True(SdpBandwidth.TryParse(Bytes("RS:800"), out SdpBandwidth bandwidth));
        Assert.False(bandwidth.TryGetKbps(out long kbps));
        Assert.Equal(0, kbps);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AS")]
    [InlineData("AS:")]
    [InlineData(":41")]
    [InlineData("AS:4 1")]
    [InlineData("AS:+41")]
    [InlineData("A S:41")]
    [InlineData("AS:1234567890123456789")]
    public void Malformed_bandwidth_values(string value) =>
        Assert.False(SdpBandwidth.TryParse(Bytes(value), out _));

    [Theory]
    [InlineData("IN IP6 2001:db8:10::1", "IN", "IP6", "2001:db8:10::1", "2001:db8:10::1", true)]
    [InlineData("IN IP4 192.0.2.10", "IN", "IP4", "192.0.2.10", "192.0.2.10", false)]
    [InlineData("IN IP4 233.252.0.1/127/3", "IN", "IP4", "233.252.0.1/127/3", "233.252.0.1", false)]
    [InlineData("IN IP6 FF15::101/3", "IN", "IP6", "FF15::101/3", "FF15::101", true)]
    public void Connection_values(string value, string networkType, string addressType, string address, string host, bool ipv6)
    {
        Assert.True(SdpConnection.TryParse(Bytes(value), out SdpConnection connection));
        Assert.Equal(networkType, Text(connection.NetworkType));
        Assert.Equal(addressType, Text(connection.AddressType));
        Assert.Equal(address, Text(connection.Address));
        Assert.Equal(host, Text(connection.Host));
        Assert.Equal(ipv6, connection.IsIPv6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("IN")]
    [InlineData("IN IP6")]
    [InlineData("IN IP6 ")]
    [InlineData("IN IP6 2001:db8::1 extra")]
    public void Malformed_connection_values(string value) =>
        Assert.False(SdpConnection.TryParse(Bytes(value), out _));

    [Theory]
    [InlineData("rtpmap:96 EVS/16000", "rtpmap", "96 EVS/16000", true)]
    [InlineData("sendrecv", "sendrecv", "", false)]
    [InlineData("curr:qos local none", "curr", "qos local none", true)]
    [InlineData("fingerprint:sha-256 AB:CD", "fingerprint", "sha-256 AB:CD", true)]
    [InlineData("x:", "x", "", true)]
    public void Attribute_values(string value, string name, string attributeValue, bool hasValue)
    {
        Assert.True(SdpAttributeField.TryParse(Bytes(value), out SdpAttributeField attribute));
        Assert.Equal(name, Text(attribute.Name));
        Assert.Equal(attributeValue, Text(attribute.Value));
        Assert.Equal(hasValue, attribute.HasValue);
    }

    [Theory]
    [InlineData("")]
    [InlineData(":96")]
    [InlineData("rtp map:96")]
    public void Malformed_attribute_values(string value) =>
        Assert.False(SdpAttributeField.TryParse(Bytes(value), out _));

    [Fact]
    public void Rtpmap_and_fmtp_names_are_case_sensitive()
    {
        Assert.True(SdpAttributeField.TryParse(Bytes("rtpmap:0 PCMU/8000"), out SdpAttributeField a));
        Assert.True(a.IsRtpMap);
        Assert.True(SdpAttributeField.TryParse(Bytes("RTPMAP:0 PCMU/8000"), out a));
        Assert.False(a.IsRtpMap);
        Assert.True(SdpAttributeField.TryParse(Bytes("fmtp:0 x"), out a));
        Assert.True(a.IsFmtp);
    }

    [Fact]
    public void Static_payload_type_table()
    {
        Assert.True(SdpStaticPayloadTypes.TryGet(10, out SdpRtpMap map));
        Assert.Equal("L16", Text(map.EncodingName));
        Assert.Equal(44100, map.ClockRate);
        Assert.Equal(2, map.Channels);
        Assert.True(SdpStaticPayloadTypes.TryGet(34, out map));
        Assert.Equal("H263", Text(map.EncodingName));
        foreach (int unassigned in new[] { -1, 1, 2, 19, 24, 27, 35, 72, 96, 127, 128, int.MaxValue })
        {
            Assert.False(SdpStaticPayloadTypes.TryGet(unassigned, out map));
            Assert.True(map.EncodingName.IsEmpty);
        }
    }
}
