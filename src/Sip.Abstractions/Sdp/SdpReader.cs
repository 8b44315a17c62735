using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Sdp;

/// <summary>
/// Reads an SDP body (RFC 8866, formerly RFC 4566) line by line without allocating: each line's type
/// and value, and whether it belongs to the session level or to a media section.
/// </summary>
/// <remarks>
/// <para>
/// Call <see cref="Read"/> until it returns <see langword="false"/>; after each call <see cref="Current"/>
/// is the line and <see cref="MediaIndex"/> the media section it belongs to (-1 for the session
/// level). A malformed line is returned with <see cref="SdpLine.Error"/> set and does not stop the
/// reader; an <c>m=</c> line starts a new media section even when its value is malformed.
/// </para>
/// <para>
/// Accepted beyond the letter of the RFC, because the meaning is not in doubt: a bare LF as a line
/// end, empty lines (skipped), and a last line without a line break. The reader checks line framing
/// only; it does not enforce the order of fields. It never throws, never reads outside the body and
/// stops after <see cref="MaxLines"/> lines.
/// </para>
/// </remarks>
internal ref struct SdpReader
{
    // session-description = version-field origin-field session-name-field [information-field]
    //                       [uri-field] *email-field *phone-field [connection-field]
    //                       *bandwidth-field 1*time-description [key-field] *attribute-field
    //                       *media-description
    // media-description   = media-field [information-field] *connection-field
    //                       *bandwidth-field [key-field] *attribute-field
    // (RFC 8866 §9; every field is   %s"<type>" "=" <value> CRLF)

    /// <summary>
    /// The most lines (empty ones included) the reader looks at: 4096. A VoLTE offer with audio,
    /// video and text, every codec and precondition attribute, is under 100 lines; a body past this
    /// limit is an attack or a mistake, and the reader stops with <see cref="LimitExceeded"/>.
    /// </summary>
    public const int MaxLines = 4096;

    private const byte Nul = 0;

    private readonly ReadOnlySpan<byte> _body;
    private int _position;
    private int _lineCount;
    private int _mediaIndex;
    private bool _limitExceeded;
    private SdpLine _current;

    /// <summary>Starts reading <paramref name="body"/> (for example <see cref="SipMessageReader.Body"/>).</summary>
    /// <param name="body">The SDP body bytes.</param>
    public SdpReader(ReadOnlySpan<byte> body)
    {
        _body = body;
        _mediaIndex = -1;
    }

    /// <summary>The line the last successful <see cref="Read"/> found.</summary>
    public readonly SdpLine Current => _current;

    /// <summary>
    /// The media section <see cref="Current"/> belongs to: -1 at session level, 0 for the first
    /// <c>m=</c> line and the lines after it, 1 for the second, and so on.
    /// </summary>
    public readonly int MediaIndex => _mediaIndex;

    /// <summary>Whether <see cref="Current"/> is at session level (before the first <c>m=</c> line).</summary>
    public readonly bool IsSessionLevel => _mediaIndex < 0;

    /// <summary>Whether reading stopped because the body has more than <see cref="MaxLines"/> lines.</summary>
    public readonly bool LimitExceeded => _limitExceeded;

    /// <summary>The offset just after the current line and its line break: where the next line starts.</summary>
    public readonly int Position => _position;

    /// <summary>Moves to the next non-empty line.</summary>
    /// <returns><see langword="true"/> when there is one; <see langword="false"/> at the end of the body or past <see cref="MaxLines"/>.</returns>
    public bool Read()
    {
        while (_position < _body.Length)
        {
            if (_lineCount >= MaxLines)
            {
                _limitExceeded = true;
                _current = default;
                return false;
            }

            _lineCount++;
            int start = _position;
            ReadOnlySpan<byte> rest = _body[start..];
            // One scan finds the line end and a NUL before it; only a line with a NUL scans twice.
            int end = rest.IndexOfAny(SipGrammar.CR, SipGrammar.LF, Nul);
            bool hasNul = false;
            if (end >= 0 && rest[end] == Nul)
            {
                hasNul = true;
                int after = rest[end..].IndexOfAny(SipGrammar.CR, SipGrammar.LF);
                end = after < 0 ? -1 : end + after;
            }

            SdpLineError error = SdpLineError.None;
            bool terminated = true;
            if (end < 0)
            {
                end = rest.Length;
                _position = _body.Length;
                terminated = false;
            }
            else if (rest[end] == SipGrammar.LF)
            {
                _position = start + end + 1;
            }
            else if (end + 1 < rest.Length && rest[end + 1] == SipGrammar.LF)
            {
                _position = start + end + 2;
            }
            else if (end + 1 == rest.Length)
            {
                // The body stops between CR and LF: the line break is cut short, not malformed.
                _position = _body.Length;
                terminated = false;
            }
            else
            {
                _position = start + end + 1;
                error = SdpLineError.BareCarriageReturn;
            }

            ReadOnlySpan<byte> line = rest[..end];
            if (line.IsEmpty && error == SdpLineError.None)
            {
                continue;
            }

            if (error == SdpLineError.None)
            {
                error = Validate(line, hasNul);
            }

            // An m= line opens the next section even if the rest of it is unreadable, so that the
            // lines after it are never mistaken for the previous section's.
            if (line.Length >= 2 && line[0] == (byte)'m' && line[1] == (byte)'=')
            {
                _mediaIndex++;
            }

            _current = new SdpLine(line, start, error, terminated);
            return true;
        }

        _current = default;
        return false;
    }

    // type = one lower-case letter (RFC 8866 §5: "<type> MUST be exactly one case-significant character").
    // Field values are byte-strings: any byte but NUL, CR and LF.
    private static SdpLineError Validate(ReadOnlySpan<byte> line, bool hasNul)
    {
        if (line.Length < 2 || line[1] != (byte)'=')
        {
            return SdpLineError.MissingEquals;
        }

        if (line[0] is < (byte)'a' or > (byte)'z')
        {
            return SdpLineError.InvalidType;
        }

        return hasNul ? SdpLineError.NulByte : SdpLineError.None;
    }

    /// <summary>
    /// Finds the codec of the first payload type on the first well-formed <c>m=audio</c> line: its
    /// <c>a=rtpmap</c> in that media section, or, for a static payload type without one, the RFC 3551
    /// assignment (0 = PCMU, 8 = PCMA, 9 = G722, 18 = G729, ...).
    /// </summary>
    /// <param name="body">The SDP body.</param>
    /// <param name="rtpMap">The mapping found; its <see cref="SdpRtpMap.EncodingName"/> points into the body or into static data.</param>
    /// <returns><see langword="false"/> when there is no audio m= line, its first format is not a payload type, or a dynamic payload type has no rtpmap.</returns>
    public static bool TryGetFirstAudioRtpMap(ReadOnlySpan<byte> body, out SdpRtpMap rtpMap)
    {
        var reader = new SdpReader(body);
        int audioSection = -1;
        int payloadType = -1;
        while (reader.Read())
        {
            SdpLine line = reader.Current;
            if (!line.IsValid)
            {
                continue;
            }

            if (line.Type == 'm')
            {
                if (audioSection >= 0)
                {
                    break; // past the audio section: no rtpmap for its payload type
                }

                if (SdpMediaDescription.TryParse(line.Value, out SdpMediaDescription media) && media.IsAudio)
                {
                    audioSection = reader.MediaIndex;
                    if (!media.TryGetFirstPayloadType(out payloadType))
                    {
                        break;
                    }
                }
            }
            else if (audioSection >= 0 && line.Type == 'a' &&
                     SdpAttributeField.TryParse(line.Value, out SdpAttributeField attribute) &&
                     attribute.IsRtpMap &&
                     SdpRtpMap.TryParse(attribute.Value, out SdpRtpMap found) &&
                     found.PayloadType == payloadType)
            {
                rtpMap = found;
                return true;
            }
        }

        if (payloadType >= 0 && SdpStaticPayloadTypes.TryGet(payloadType, out rtpMap))
        {
            return true;
        }

        rtpMap = default;
        return false;
    }

    /// <summary>
    /// The encoding name of the first audio codec offered (see <see cref="TryGetFirstAudioRtpMap"/>),
    /// for example <c>AMR-WB</c>, <c>EVS</c> or <c>PCMU</c>, as written in the body.
    /// </summary>
    /// <param name="body">The SDP body.</param>
    /// <param name="encodingName">The encoding name; empty when not found.</param>
    /// <returns>Whether a codec was found.</returns>
    public static bool TryGetFirstAudioCodec(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> encodingName)
    {
        if (TryGetFirstAudioRtpMap(body, out SdpRtpMap rtpMap))
        {
            encodingName = rtpMap.EncodingName;
            return true;
        }

        encodingName = default;
        return false;
    }

    /// <summary>
    /// The bandwidth of the session in kbit/s: the session-level <c>b=AS</c>, else the session-level
    /// <c>b=TIAS</c> / 1000 (rounded up); when the session level has neither, the same two from the
    /// first audio media section.
    /// </summary>
    /// <param name="body">The SDP body.</param>
    /// <param name="kilobitsPerSecond">The bandwidth; 0 when not found.</param>
    /// <returns>Whether a bandwidth was found.</returns>
    public static bool TryGetBandwidthKbps(ReadOnlySpan<byte> body, out long kilobitsPerSecond)
    {
        var reader = new SdpReader(body);
        long sessionAs = -1, sessionTias = -1, audioAs = -1, audioTias = -1;
        int audioSection = -1;
        while (reader.Read())
        {
            SdpLine line = reader.Current;
            if (!line.IsValid)
            {
                continue;
            }

            if (line.Type == 'm')
            {
                // The session level is complete at the first m= line, and a session value wins;
                // past the audio section nothing more can count.
                if (audioSection >= 0 || sessionAs >= 0 || sessionTias >= 0)
                {
                    break;
                }

                if (SdpMediaDescription.TryParse(line.Value, out SdpMediaDescription media) && media.IsAudio)
                {
                    audioSection = reader.MediaIndex;
                }
            }
            else if (line.Type == 'b' && SdpBandwidth.TryParse(line.Value, out SdpBandwidth bandwidth))
            {
                if (reader.IsSessionLevel)
                {
                    Keep(bandwidth, ref sessionAs, ref sessionTias);
                }
                else if (reader.MediaIndex == audioSection)
                {
                    Keep(bandwidth, ref audioAs, ref audioTias);
                    if (audioAs >= 0)
                    {
                        break; // b=AS wins over TIAS at one level, and the first b=AS counts
                    }
                }
            }
        }

        kilobitsPerSecond =
            sessionAs >= 0 ? sessionAs :
            sessionTias >= 0 ? SdpBandwidth.BitsToKilobits(sessionTias) :
            audioAs >= 0 ? audioAs :
            audioTias >= 0 ? SdpBandwidth.BitsToKilobits(audioTias) : -1;
        if (kilobitsPerSecond < 0)
        {
            kilobitsPerSecond = 0;
            return false;
        }

        return true;

        static void Keep(SdpBandwidth bandwidth, ref long applicationSpecific, ref long tias)
        {
            // The first of each type counts; a repeat is a sender's mistake.
            if (bandwidth.IsApplicationSpecific && applicationSpecific < 0)
            {
                applicationSpecific = bandwidth.Value;
            }
            else if (bandwidth.IsTias && tias < 0)
            {
                tias = bandwidth.Value;
            }
        }
    }
}
