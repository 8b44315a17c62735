using System.Buffers;
using System.Text;
using OpenTelemetry;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// W3C Baggage encoding with limits counted across every header instance (a peer can split one
/// huge value over many headers), and spaces written as <c>%20</c>, never <c>+</c>.
/// </summary>
internal static class BaggageCodec
{
    // W3C Baggage:
    //   baggage-string = list-member 0*179( OWS "," OWS list-member )
    //   list-member    = key OWS "=" OWS value *( OWS ";" OWS property )
    //   key            = token                      ; RFC 7230
    //   value          = *baggage-octet
    //   baggage-octet  = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
    // Anything outside baggage-octet is percent-encoded as UTF-8 bytes.
    private static readonly SearchValues<char> s_baggageOctets = SearchValues.Create(
        "!#$%&'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    // RFC 7230 tchar, the key alphabet.
    private static readonly SearchValues<char> s_tokenChars = SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Encodes <paramref name="baggage"/> within the limits; entries that do not fit are left out whole.</summary>
    public static string? Encode(Baggage baggage, int maxLength, int maxEntries)
    {
        if (baggage.Count == 0 || maxLength == 0 || maxEntries == 0)
        {
            return null;
        }

        var builder = new StringBuilder();
        int entries = 0;
        foreach (KeyValuePair<string, string> item in baggage)
        {
            if (entries == maxEntries)
            {
                break;
            }

            if (string.IsNullOrEmpty(item.Key) || item.Key.AsSpan().ContainsAnyExcept(s_tokenChars))
            {
                // A key that is not a token cannot be written without changing its meaning: skip it.
                continue;
            }

            int mark = builder.Length;
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(item.Key).Append('=');
            AppendPercentEncoded(builder, item.Value ?? string.Empty);
            if (builder.Length > maxLength)
            {
                builder.Length = mark;
                break;
            }

            entries++;
        }

        return builder.Length == 0 ? null : builder.ToString();
    }

    /// <summary>Decodes every instance in order, stopping at the limits; malformed members are skipped.</summary>
    public static Baggage Decode(IEnumerable<string> values, int maxLength, int maxEntries)
    {
        Dictionary<string, string>? items = null;
        int total = 0;
        foreach (string value in values)
        {
            ReadOnlySpan<char> remaining = value.AsSpan();
            while (!remaining.IsEmpty)
            {
                int comma = remaining.IndexOf(',');
                ReadOnlySpan<char> member = (comma < 0 ? remaining : remaining[..comma]).Trim(" \t");
                remaining = comma < 0 ? default : remaining[(comma + 1)..];
                if (member.IsEmpty)
                {
                    continue;
                }

                total += member.Length + 1;
                if (total > maxLength + 1 || (items?.Count ?? 0) >= maxEntries)
                {
                    return items is null ? default : Baggage.Create(items);
                }

                int semicolon = member.IndexOf(';');
                if (semicolon >= 0)
                {
                    // Properties are metadata for the hop that set them; OpenTelemetry's Baggage has no place for them.
                    member = member[..semicolon];
                }

                int equals = member.IndexOf('=');
                if (equals <= 0)
                {
                    continue;
                }

                ReadOnlySpan<char> key = member[..equals].Trim(" \t");
                ReadOnlySpan<char> encoded = member[(equals + 1)..].Trim(" \t");
                if (key.IsEmpty || key.ContainsAnyExcept(s_tokenChars) || encoded.ContainsAnyExcept(s_baggageOctets))
                {
                    continue;
                }

                items ??= new Dictionary<string, string>(StringComparer.Ordinal);
                items[key.ToString()] = Uri.UnescapeDataString(encoded.ToString());
            }
        }

        return items is null ? default : Baggage.Create(items);
    }

    private static void AppendPercentEncoded(StringBuilder builder, string value)
    {
        // '%' is a baggage-octet but must itself be encoded, or decoding would change the value.
        if (!value.AsSpan().ContainsAnyExcept(s_baggageOctets) && !value.Contains('%', StringComparison.Ordinal))
        {
            builder.Append(value);
            return;
        }

#if NET
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && s_baggageOctets.Contains((char)rune.Value) && rune.Value != '%')
            {
                builder.Append((char)rune.Value);
                continue;
            }

            int length = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < length; i++)
            {
                builder.Append('%').Append(Convert.ToHexString(utf8.Slice(i, 1)));
            }
        }
#else
        // netstandard2.0 has no Rune: the same scalar values, a surrogate pair at a time; a lone
        // surrogate encodes as U+FFFD, as EnumerateRunes gives it.
        Span<byte> utf8 = stackalloc byte[4];
        for (int index = 0; index < value.Length; index++)
        {
            char c = value[index];
            if (c < 0x80 && s_baggageOctets.Contains(c) && c != '%')
            {
                builder.Append(c);
                continue;
            }

            int length = char.IsHighSurrogate(c) && index + 1 < value.Length && char.IsLowSurrogate(value[index + 1])
                ? Encoding.UTF8.GetBytes(value.AsSpan(index++, 2), utf8)
                : Encoding.UTF8.GetBytes(char.IsSurrogate(c) ? "\uFFFD".AsSpan() : value.AsSpan(index, 1), utf8);
            for (int i = 0; i < length; i++)
            {
                builder.Append('%').Append(Convert.ToHexString(utf8.Slice(i, 1)));
            }
        }
#endif
    }
}
