using static SipTraceContext.Sip.Tests.Sdp.SdpBodies;
using SipTraceContext.Sip.Sdp;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Sip.Tests.Sdp;

public sealed class SdpReaderTests
{
    private sealed record Line(char Type, string Value, int MediaIndex, SdpLineError Error, bool Terminated);

    private static List<Line> ReadAll(string body)
    {
        var lines = new List<Line>();
        var reader = new SdpReader(Bytes(body));
        while (reader.Read())
        {
            SdpLine line = reader.Current;
            lines.Add(new Line(line.Type, Text(line.Value), reader.MediaIndex, line.Error, line.IsTerminated));
        }

        return lines;
    }

    [Fact]
    public void Reads_every_line_with_its_section()
    {
        List<Line> lines = ReadAll(VolteOffer);
        Assert.Equal(26, lines.Count);
        Assert.All(lines, l => Assert.Equal(SdpLineError.None, l.Error));
        Assert.Equal(new Line('v', "0", -1, SdpLineError.None, true), lines[0]);
        Assert.Equal(new Line('c', "IN IP6 2001:db8:10::1", -1, SdpLineError.None, true), lines[3]);
        Assert.Equal(new Line('m', "audio 49152 RTP/AVP 116 107 97 111 110", 0, SdpLineError.None, true), lines[6]);
        Assert.Equal(new Line('a', "sendrecv", 0, SdpLineError.None, true), lines[^1]);
        Assert.Equal(6, lines.Count(l => l.MediaIndex < 0));
    }

    [Fact]
    public void Bare_LF_line_ends_read_like_CRLF()
    {
        List<Line> crlf = ReadAll(VolteOffer);
        List<Line> lf = ReadAll(VolteOffer.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(crlf, lf);
    }

    [Fact]
    public void Sections_count_up_with_each_m_line()
    {
        List<Line> lines = ReadAll(VideoFirstEvsAnswer);
        Assert.Equal([-1, -1, -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], lines.Select(l => l.MediaIndex));
    }

    [Fact]
    public void Offsets_and_position_point_into_the_body()
    {
        byte[] body = Bytes("v=0\r\ns=-\nt=0 0");
        var reader = new SdpReader(body);
        Assert.True(reader.Read());
        Assert.Equal(0, reader.Current.Offset);
        Assert.Equal(5, reader.Position);
        Assert.True(reader.Read());
        Assert.Equal(5, reader.Current.Offset);
        Assert.True(reader.Read());
        Assert.Equal("t=0 0", Text(reader.Current.Raw));
        Assert.False(reader.Current.IsTerminated);
        Assert.Equal(body.Length, reader.Position);
        Assert.False(reader.Read());
        Assert.False(reader.Read());
    }

    [Fact]
    public void Empty_lines_are_skipped()
    {
        List<Line> lines = ReadAll("\r\nv=0\r\n\r\n\ns=-\r\n\r\n");
        Assert.Equal(['v', 's'], lines.Select(l => l.Type));
    }

    [Theory]
    [InlineData("x\r\n", SdpLineError.MissingEquals)]
    [InlineData("v\r\n", SdpLineError.MissingEquals)]
    [InlineData("v =0\r\n", SdpLineError.MissingEquals)]
    [InlineData("ab=0\r\n", SdpLineError.MissingEquals)]
    [InlineData("V=0\r\n", SdpLineError.InvalidType)]
    [InlineData("1=0\r\n", SdpLineError.InvalidType)]
    [InlineData(" =0\r\n", SdpLineError.InvalidType)]
    [InlineData("a=foo\0bar\r\n", SdpLineError.NulByte)]
    [InlineData("a=foo\rbar\r\n", SdpLineError.BareCarriageReturn)]
    public void Malformed_lines_are_reported_not_thrown(string body, object expectedError)
    {
        // object: SdpLineError is internal and a test method's parameters must be public.
        var expected = (SdpLineError)expectedError;
        List<Line> lines = ReadAll("v=0\r\n" + body + "s=-\r\n");
        Assert.Equal(expected, lines[1].Error);
        Assert.Equal('\0', lines[1].Type);
        Assert.Equal("", lines[1].Value);
        Assert.Equal('s', lines[^1].Type); // reading goes on after a malformed line
    }

    [Fact]
    public void Truncated_inside_a_CRLF_is_an_unterminated_line_not_an_error()
    {
        List<Line> lines = ReadAll("v=0\r\ns=-\r");
        Assert.Equal(new Line('s', "-", -1, SdpLineError.None, false), lines[1]);
    }

    [Fact]
    public void Reading_stops_past_the_line_limit()
    {
        string body = string.Concat(Enumerable.Repeat("a=x\n", SdpReader.MaxLines + 10));
        var reader = new SdpReader(Bytes(body));
        int count = 0;
        while (reader.Read())
        {
            count++;
        }

        Assert.Equal(SdpReader.MaxLines, count);
        Assert.True(reader.LimitExceeded);
    }

    [Fact]
    public void Empty_body_has_no_lines()
    {
        var reader = new SdpReader(default);
        Assert.False(reader.Read());
        Assert.False(reader.LimitExceeded);
        Assert.True(reader.IsSessionLevel);
    }

    [Theory]
    [InlineData(VolteOffer, "AMR-WB", 116, 16000, 1)]
    [InlineData(VideoFirstEvsAnswer, "EVS", 96, 16000, 1)]
    [InlineData(StaticPcmu, "PCMU", 0, 8000, 1)]
    public void First_audio_codec_of_VoLTE_shaped_bodies(string body, string codec, int payloadType, int clockRate, int channels)
    {
        Assert.True(SdpReader.TryGetFirstAudioRtpMap(Bytes(body), out SdpRtpMap map));
        Assert.Equal(codec, Text(map.EncodingName));
        Assert.Equal(payloadType, map.PayloadType);
        Assert.Equal(clockRate, map.ClockRate);
        Assert.Equal(channels, map.Channels);
        Assert.True(SdpReader.TryGetFirstAudioCodec(Bytes(body), out ReadOnlySpan<byte> name));
        Assert.Equal(codec, Text(name));
    }

    [Theory]
    [InlineData("0", "PCMU")]
    [InlineData("8", "PCMA")]
    [InlineData("9", "G722")]
    [InlineData("18", "G729")]
    [InlineData("3", "GSM")]
    [InlineData("13", "CN")]
    public void Static_payload_types_resolve_without_rtpmap(string payloadType, string codec)
    {
        string body = $"v=0\r\nm=audio 4000 RTP/AVP {payloadType} 101\r\na=rtpmap:101 telephone-event/8000\r\n";
        Assert.True(SdpReader.TryGetFirstAudioCodec(Bytes(body), out ReadOnlySpan<byte> name));
        Assert.Equal(codec, Text(name));
    }

    [Fact]
    public void An_rtpmap_overrides_the_static_assignment()
    {
        Assert.True(SdpReader.TryGetFirstAudioCodec(Bytes("m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"), out ReadOnlySpan<byte> name));
        Assert.Equal("PCMA", Text(name));
        Assert.True(SdpReader.TryGetFirstAudioCodec(Bytes("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 Custom/8000\r\n"), out name));
        Assert.Equal("Custom", Text(name));
    }

    [Theory]
    [InlineData("v=0\r\nm=audio 4000 RTP/AVP 96\r\n")] // dynamic, no rtpmap
    [InlineData("v=0\r\nm=audio 4000 RTP/AVP 96\r\nm=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n")] // rtpmap in another section
    [InlineData("v=0\r\nm=video 4002 RTP/AVP 0\r\n")] // no audio
    [InlineData("v=0\r\nm=audio 4000 udp fmt\r\n")] // not an RTP payload type
    [InlineData("v=0\r\nm=audio 4000 RTP/AVP 200\r\n")] // out of range
    [InlineData("v=0\r\nm=audio 4000 RTP/AVP 2\r\n")] // unassigned static type
    [InlineData("v=0\r\nm=audio\r\na=rtpmap:0 PCMU/8000\r\n")] // malformed m= line
    [InlineData("")]
    public void No_codec_when_none_can_be_named(string body)
    {
        Assert.False(SdpReader.TryGetFirstAudioCodec(Bytes(body), out ReadOnlySpan<byte> name));
        Assert.True(name.IsEmpty);
    }

    [Fact]
    public void Malformed_rtpmap_lines_are_skipped_for_a_later_good_one()
    {
        string body = "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 EVS\r\na=rtpmap:96\r\na=rtpmap:96 EVS/16000\r\n";
        Assert.True(SdpReader.TryGetFirstAudioCodec(Bytes(body), out ReadOnlySpan<byte> name));
        Assert.Equal("EVS", Text(name));
    }

    [Theory]
    [InlineData(VolteOffer, 84)] // session-level b=AS wins
    [InlineData(VideoFirstEvsAnswer, 25)] // audio TIAS 24400 bit/s, rounded up; the video b=AS is not the audio's
    [InlineData("v=0\r\nb=TIAS:128000\r\nm=audio 1 RTP/AVP 0\r\nb=AS:41\r\n", 128)] // session TIAS before media AS
    [InlineData("v=0\r\nm=audio 1 RTP/AVP 0\r\nb=TIAS:64000\r\nb=AS:41\r\n", 41)] // AS before TIAS at one level
    [InlineData("v=0\r\nb=AS:0\r\n", 0)]
    [InlineData("v=0\r\nb=AS:49\r\nb=AS:99\r\n", 49)] // first of a type counts
    public void Bandwidth_in_kbps(string body, long expected)
    {
        Assert.True(SdpReader.TryGetBandwidthKbps(Bytes(body), out long kbps));
        Assert.Equal(expected, kbps);
    }

    [Theory]
    [InlineData(StaticPcmu)]
    [InlineData("v=0\r\nb=RR:800\r\nm=audio 1 RTP/AVP 0\r\nb=RS:600\r\n")]
    [InlineData("v=0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\nb=AS:41\r\n")] // only the first audio section counts
    [InlineData("v=0\r\nb=AS:\r\nb=AS:x\r\nb=AS:-1\r\nb=AS:999999999999999999999\r\n")]
    [InlineData("")]
    public void No_bandwidth_when_none_is_given(string body)
    {
        Assert.False(SdpReader.TryGetBandwidthKbps(Bytes(body), out long kbps));
        Assert.Equal(0, kbps);
    }

    [Fact]
    public void Convenience_lookups_do_not_allocate()
    {
        byte[] offer = Bytes(VolteOffer);
        byte[] answer = Bytes(VideoFirstEvsAnswer);
        SdpReader.TryGetFirstAudioCodec(offer, out _);
        SdpReader.TryGetBandwidthKbps(offer, out _);
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                SdpReader.TryGetFirstAudioCodec(offer, out _);
                SdpReader.TryGetBandwidthKbps(offer, out _);
                SdpReader.TryGetFirstAudioCodec(answer, out _);
                SdpReader.TryGetBandwidthKbps(answer, out _);
            }
        });
    }
}
