using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Syntax;

/// <summary>A <c>Session-ID</c> header value (RFC 7989): the local and remote UUIDs of an end-to-end session.</summary>
internal readonly ref struct SipSessionId
{
    // session-id       = "Session-ID" HCOLON session-id-value
    // session-id-value = local-uuid *(SEMI sess-id-param)
    // local-uuid       = sess-uuid / null
    // remote-uuid      = sess-uuid / null
    // sess-uuid        = 32(DIGIT / %x61-66)  ;32 chars of [0-9a-f]
    // sess-id-param    = remote-param / generic-param
    // remote-param     = "remote" EQUAL remote-uuid
    // null             = 32("0")
    // (RFC 7989 §9. Upper-case hex is accepted on input: its meaning is not in doubt.)

    private const int UuidLength = 32; // "00000000000000000000000000000000".Length

    private SipSessionId(ReadOnlySpan<byte> localUuid, ReadOnlySpan<byte> remoteUuid, ReadOnlySpan<byte> parameters)
    {
        LocalUuid = localUuid;
        RemoteUuid = remoteUuid;
        Parameters = parameters;
    }

    /// <summary>The local UUID: 32 hex digits, all <c>0</c> for the null UUID.</summary>
    public ReadOnlySpan<byte> LocalUuid { get; }

    /// <summary>The <c>remote</c> parameter's UUID; empty when absent.</summary>
    public ReadOnlySpan<byte> RemoteUuid { get; }

    /// <summary>The parameters after the local UUID, without the leading <c>;</c>.</summary>
    public ReadOnlySpan<byte> Parameters { get; }

    /// <summary>Whether <see cref="LocalUuid"/> is the null UUID (32 zeros).</summary>
    public bool IsLocalNull => !LocalUuid.ContainsAnyExcept((byte)'0');

    /// <summary>Parses a <c>Session-ID</c> value.</summary>
    /// <param name="value">The header value, for example <c>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</c>.</param>
    /// <param name="sessionId">The parts; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when a UUID is not 32 hex digits or a parameter is malformed; never throws.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out SipSessionId sessionId)
    {
        sessionId = default;
        ReadOnlySpan<byte> text = SipGrammar.TrimLinearWhitespace(value);
        int semicolon = text.IndexOf(SipValueScanner.Semicolon);
        ReadOnlySpan<byte> local = SipGrammar.TrimLinearWhitespace(semicolon < 0 ? text : text[..semicolon]);
        ReadOnlySpan<byte> parameters = semicolon < 0 ? default : SipGrammar.TrimLinearWhitespace(text[(semicolon + 1)..]);
        if (!IsUuid(local) || (semicolon >= 0 && parameters.IsEmpty) || !SipValueScanner.AreValidParameters(parameters))
        {
            return false;
        }

        ReadOnlySpan<byte> remote = default;
        if (SipValueScanner.TryGetParameter(parameters, "remote"u8, out ReadOnlySpan<byte> found) && !IsUuid(remote = found))
        {
            return false;
        }

        sessionId = new SipSessionId(local, remote, parameters);
        return true;
    }

    private static bool IsUuid(ReadOnlySpan<byte> uuid)
    {
        if (uuid.Length != UuidLength)
        {
            return false;
        }

        foreach (byte b in uuid)
        {
            if (!char.IsAsciiHexDigit((char)b))
            {
                return false;
            }
        }

        return true;
    }
}
