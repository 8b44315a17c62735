using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Sip.Sdp;
using static SipTraceContext.Sip.Tests.Sdp.SdpBodies;

namespace SipTraceContext.Sip.Tests.Sdp;

/// <summary>
/// FsCheck properties of the SDP reader: no input throws or yields a span outside the input; a
/// strict prefix of a valid body reads as the same lines, the last one possibly cut; the order of
/// attribute lines in a media section does not change the rtpmap found for a payload type.
/// </summary>
public sealed class SdpReaderProperties
{
    private static readonly string[] Encodings = ["AMR-WB", "EVS", "AMR", "telephone-event", "PCMU", "opus", "H264"];

    private static readonly string[] OtherAttributes = ["sendrecv", "ptime:20", "maxptime:240", "curr:qos local none", "des:qos mandatory local sendrecv", "mid:1"];

    private sealed record Media(string Type, int[] PayloadTypes, string[] Attributes, string[] Bandwidth);

    private sealed record Body(string[] SessionLines, Media[] Media, string LineEnd);

    private static Gen<Media> MediaSections =>
        from type in Gen.Elements("audio", "video", "audio", "text")
        from count in Gen.Choose(1, 5)
        from payloadTypes in Gen.Shuffle(Enumerable.Range(0, 128).ToArray()).Select(all => all.Take(count).ToArray())
        from mapped in Gen.ArrayOf(Gen.Elements(true, true, false), count)
        from encodings in Gen.ArrayOf(Gen.Elements(Encodings), count)
        from clocks in Gen.ArrayOf(Gen.Elements(8000, 16000, 48000, 90000), count)
        from others in Gen.SubListOf(OtherAttributes)
        from fmtps in Gen.ArrayOf(Gen.Elements(true, false), count)
        from bandwidth in Gen.SubListOf(new[] { "b=AS:41", "b=TIAS:64000", "b=RS:0", "b=RR:1537" })
        let rtpmaps = payloadTypes.Where((_, i) => mapped[i]).Select((pt, i) => $"rtpmap:{pt} {encodings[i]}/{clocks[i]}")
        let fmtpLines = payloadTypes.Where((_, i) => fmtps[i]).Select(pt => $"fmtp:{pt} mode-change-capability=2")
        select new Media(type, payloadTypes, [.. rtpmaps, .. fmtpLines, .. others], [.. bandwidth]);

    private static Gen<Body> Bodies =>
        from sessionBandwidth in Gen.SubListOf(new[] { "b=AS:84", "b=TIAS:128000" })
        from ipv6 in Gen.Elements(true, false)
        from mediaCount in Gen.Choose(0, 3)
        from media in Gen.ArrayOf(MediaSections, mediaCount)
        from lineEnd in Gen.Elements("\r\n", "\n")
        select new Body(
            ["v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", ipv6 ? "c=IN IP6 2001:db8::1" : "c=IN IP4 192.0.2.1", .. sessionBandwidth, "t=0 0"],
            media,
            lineEnd);

    private static byte[] Render(Body body, Func<Media, string[], string[]> orderAttributes)
    {
        var text = new StringBuilder();
        foreach (string line in body.SessionLines)
        {
            text.Append(line).Append(body.LineEnd);
        }

        int port = 49152;
        foreach (Media media in body.Media)
        {
            text.Append($"m={media.Type} {port} RTP/AVP {string.Join(' ', media.PayloadTypes)}").Append(body.LineEnd);
            port += 2;
            foreach (string line in media.Bandwidth)
            {
                text.Append(line).Append(body.LineEnd);
            }

            foreach (string attribute in orderAttributes(media, media.Attributes))
            {
                text.Append("a=").Append(attribute).Append(body.LineEnd);
            }
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static byte[] Render(Body body) => Render(body, (_, attributes) => attributes);

    /// <summary>The rtpmap of a payload type in one media section, found through the public API.</summary>
    private static string? FindRtpMap(byte[] body, int section, int payloadType)
    {
        var reader = new SdpReader(body);
        while (reader.Read())
        {
            SdpLine line = reader.Current;
            if (reader.MediaIndex == section && line.Type == 'a' &&
                SdpAttributeField.TryParse(line.Value, out SdpAttributeField attribute) && attribute.IsRtpMap &&
                SdpRtpMap.TryParse(attribute.Value, out SdpRtpMap map) && map.PayloadType == payloadType)
            {
                return $"{Text(map.EncodingName)}/{map.ClockRate}/{map.Channels}";
            }
        }

        return null;
    }

    private static string? FirstAudio(byte[] body) =>
        SdpReader.TryGetFirstAudioRtpMap(body, out SdpRtpMap map) ? $"{map.PayloadType} {Text(map.EncodingName)}/{map.ClockRate}" : null;

    [Property(MaxTest = 200)]
    public Property Shuffling_attribute_lines_in_a_section_does_not_change_the_rtpmaps_found() =>
        Prop.ForAll(Bodies.ToArbitrary(), Gen.ArrayOf(Gen.Choose(0, 1000), 64).ToArbitrary(), (body, keys) =>
        {
            byte[] ordered = Render(body);
            byte[] shuffled = Render(body, (_, attributes) => [.. attributes.Select((a, i) => (a, k: keys[i % keys.Length] + i)).OrderBy(p => p.k).Select(p => p.a)]);
            for (int section = 0; section < body.Media.Length; section++)
            {
                foreach (int payloadType in body.Media[section].PayloadTypes)
                {
                    if (FindRtpMap(ordered, section, payloadType) != FindRtpMap(shuffled, section, payloadType))
                    {
                        return false;
                    }
                }
            }

            SdpReader.TryGetBandwidthKbps(ordered, out long kbpsOrdered);
            SdpReader.TryGetBandwidthKbps(shuffled, out long kbpsShuffled);
            return FirstAudio(ordered) == FirstAudio(shuffled) && kbpsOrdered == kbpsShuffled;
        });

    [Property(MaxTest = 200)]
    public Property First_audio_codec_is_the_model_s() =>
        Prop.ForAll(Bodies.ToArbitrary(), body =>
        {
            byte[] bytes = Render(body);
            Media? audio = body.Media.FirstOrDefault(m => m.Type == "audio");
            string? expected = null;
            if (audio is not null)
            {
                int payloadType = audio.PayloadTypes[0];
                string? mapped = audio.Attributes.FirstOrDefault(a => a.StartsWith($"rtpmap:{payloadType} ", StringComparison.Ordinal));
                if (mapped is not null)
                {
                    string rest = mapped[(mapped.IndexOf(' ', StringComparison.Ordinal) + 1)..];
                    expected = $"{payloadType} {rest}";
                }
                else if (SdpStaticPayloadTypes.TryGet(payloadType, out SdpRtpMap map))
                {
                    expected = $"{payloadType} {Text(map.EncodingName)}/{map.ClockRate}";
                }
            }

            return FirstAudio(bytes) == expected;
        });

    private static Gen<byte[]> ValidBodies => Gen.OneOf(
        Gen.Elements(VolteOffer, VideoFirstEvsAnswer, StaticPcmu).Select(Bytes),
        Bodies.Select(b => Render(b)));

    [Property(MaxTest = 60)]
    public Property Every_strict_prefix_reads_the_same_lines_and_nothing_beyond_it() =>
        Prop.ForAll(ValidBodies.ToArbitrary(), full =>
        {
            List<(int Offset, string Raw, int Media)> all = Lines(full);
            for (int length = 0; length < full.Length; length++)
            {
                ReadOnlySpan<byte> prefix = full.AsSpan(0, length);
                List<(int Offset, string Raw, int Media)> lines = Lines(prefix);
                for (int i = 0; i < lines.Count; i++)
                {
                    (int offset, string raw, int media) = lines[i];
                    // The last line may be cut; cut to one byte, an "m" does not yet open its section.
                    bool last = i == lines.Count - 1;
                    if (offset + raw.Length > length || offset != all[i].Offset ||
                        (media != all[i].Media && !(last && raw.Length < 2)) ||
                        !all[i].Raw.StartsWith(raw, StringComparison.Ordinal) || (!last && raw != all[i].Raw))
                    {
                        return false;
                    }
                }

                if ((SdpReader.TryGetFirstAudioCodec(prefix, out ReadOnlySpan<byte> codec) && !InsideOrStatic(prefix, codec)) ||
                    (SdpReader.TryGetBandwidthKbps(prefix, out long kbps) && kbps < 0))
                {
                    return false;
                }
            }

            return true;
        });

    private static bool InsideOrStatic(ReadOnlySpan<byte> body, ReadOnlySpan<byte> span) =>
        (body.Overlaps(span, out int offset) && offset >= 0 && offset + span.Length <= body.Length) ||
        SdpStaticNames.Contains(Text(span));

    private static readonly HashSet<string> SdpStaticNames = ["PCMU", "PCMA", "G722", "G729", "GSM", "G723", "DVI4", "LPC", "L16", "QCELP", "CN", "MPA", "G728", "CelB", "JPEG", "nv", "H261", "MPV", "MP2T", "H263"];

    private static List<(int Offset, string Raw, int Media)> Lines(ReadOnlySpan<byte> body)
    {
        var lines = new List<(int, string, int)>();
        var reader = new SdpReader(body);
        while (reader.Read())
        {
            lines.Add((reader.Current.Offset, Text(reader.Current.Raw), reader.MediaIndex));
        }

        return lines;
    }

    private static Gen<byte[]> HostileInputs =>
        Gen.OneOf(
            ArbMap.Default.GeneratorFor<byte[]>().Where(b => b is not null),
            from chars in Gen.ArrayOf(Gen.Elements("\r\n\t =:/\0vmabc0123456789 AS TIAS rtpmap audio RTP/AVP\u00ff".ToCharArray()))
            select Encoding.Latin1.GetBytes(chars),
            from valid in ValidBodies
            from position in Gen.Choose(0, valid.Length - 1)
            from action in Gen.Choose(0, 2)
            from b in Gen.Elements((byte)'\r', (byte)'\n', (byte)0, (byte)' ', (byte)'=', (byte)':', (byte)'/', (byte)'m', (byte)'9', (byte)0xFF)
            select Mutate(valid, position, action, b));

    private static byte[] Mutate(byte[] bytes, int position, int action, byte b) => action switch
    {
        0 => [.. bytes[..position], b, .. bytes[(position + 1)..]],
        1 => [.. bytes[..position], b, .. bytes[position..]],
        _ => [.. bytes[..position], .. bytes[(position + 1)..]],
    };

    [Property(MaxTest = 1000)]
    public Property Arbitrary_bytes_never_throw_and_every_span_lies_inside_the_input() =>
        Prop.ForAll(HostileInputs.ToArbitrary(), bytes =>
        {
            var reader = new SdpReader(bytes);
            int previousEnd = 0;
            int lines = 0;
            while (reader.Read())
            {
                SdpLine line = reader.Current;
                lines++;
                if (line.Offset < previousEnd || line.Offset + line.Raw.Length > bytes.Length || reader.Position > bytes.Length ||
                    (line.IsValid && line.Value.Length != line.Raw.Length - 2))
                {
                    return false;
                }

                previousEnd = line.Offset + line.Raw.Length;
                _ = SdpMediaDescription.TryParse(line.Value, out SdpMediaDescription media) && media.TryGetFirstPayloadType(out _);
                _ = SdpAttributeField.TryParse(line.Value, out SdpAttributeField attribute) && SdpRtpMap.TryParse(attribute.Value, out _);
                _ = SdpBandwidth.TryParse(line.Value, out SdpBandwidth bandwidth) && bandwidth.TryGetKbps(out _);
                _ = SdpConnection.TryParse(line.Value, out SdpConnection connection) && connection.Host.Length >= 0;
                _ = SdpRtpMap.TryParse(line.Raw, out _);
            }

            return lines <= SdpReader.MaxLines &&
                (!SdpReader.TryGetFirstAudioCodec(bytes, out ReadOnlySpan<byte> codec) || InsideOrStatic(bytes, codec)) &&
                (!SdpReader.TryGetBandwidthKbps(bytes, out long kbps) || kbps >= 0);
        });
}
