using System.Security.Cryptography;
using System.Text;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Turns an address (a From/To header value, or a bare URI) into the span attribute value the privacy mode allows:
/// the call tracer's <c>sip.from</c>, <c>sip.to</c>, <c>sip.initiated_by</c> and the IMS helpers' identities.
/// </summary>
internal sealed class AddressFormatter
{
    private const int HashKeyBytes = 32;
    private const int HashHexDigits = 16;
    private const int StackLimit = 256;
    private static ReadOnlySpan<byte> RedactedUser => "***"u8;
    private static ReadOnlySpan<byte> LowerHex => "0123456789abcdef"u8;

    private readonly SipAddressPrivacy _mode;
    private readonly byte[] _key;

    public AddressFormatter(SipAddressPrivacy mode, byte[]? key)
    {
        _mode = mode;
        _key = key is { Length: > 0 } ? (byte[])key.Clone() : RandomNumberGenerator.GetBytes(HashKeyBytes);
    }

    /// <summary>A From/To header value (name-addr or addr-spec, with parameters): the display name goes too.</summary>
    public string Format(ReadOnlySpan<byte> value)
    {
        if (_mode == SipAddressPrivacy.AsIs)
        {
            return Encoding.UTF8.GetString(value);
        }

        SipValueScanner.FindUser(value, out int uriStart, out int userStart, out int userLength);

        // The display name before the URI names the person as plainly as the number does: both go.
        return Replace(value[uriStart..], userStart - uriStart, userLength);
    }

    /// <summary>
    /// A bare URI (a Request-URI, the URI of a P-Asserted-Identity or of a From header): all of it is URI, so a
    /// <c>;</c> in the user part (<c>sip:+15551234;npdi@host</c>) does not end it.
    /// </summary>
    public string FormatUri(ReadOnlySpan<byte> uri)
    {
        if (_mode == SipAddressPrivacy.AsIs)
        {
            return Encoding.UTF8.GetString(uri);
        }

        SipValueScanner.FindUserInUri(uri, out int userStart, out int userLength);
        return Replace(uri, userStart, userLength);
    }

    /// <summary>The text with its user part (at <paramref name="userOffset"/>) redacted or hashed; as is without one.</summary>
    private string Replace(ReadOnlySpan<byte> uriAndRest, int userOffset, int userLength)
    {
        if (userLength == 0)
        {
            return Encoding.UTF8.GetString(uriAndRest);
        }

        Span<byte> replacement = stackalloc byte[HashHexDigits];
        int replacementLength;
        if (_mode == SipAddressPrivacy.RedactUser)
        {
            RedactedUser.CopyTo(replacement);
            replacementLength = RedactedUser.Length;
        }
        else
        {
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(_key, uriAndRest.Slice(userOffset, userLength), mac);
            for (int i = 0; i < HashHexDigits / 2; i++)
            {
                replacement[2 * i] = LowerHex[mac[i] >> 4];
                replacement[(2 * i) + 1] = LowerHex[mac[i] & 0xF];
            }

            replacementLength = HashHexDigits;
        }

        int length = uriAndRest.Length - userLength + replacementLength;
        Span<byte> buffer = length <= StackLimit ? stackalloc byte[StackLimit] : new byte[length];
        uriAndRest[..userOffset].CopyTo(buffer);
        replacement[..replacementLength].CopyTo(buffer[userOffset..]);
        uriAndRest[(userOffset + userLength)..].CopyTo(buffer[(userOffset + replacementLength)..]);
        return Encoding.UTF8.GetString(buffer[..length]);
    }
}
