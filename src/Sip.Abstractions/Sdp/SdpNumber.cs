namespace SipTraceContext.Sip.Sdp;

/// <summary>Decimal parsing for the <c>1*DIGIT</c> fields of SDP and the IMS headers, without sign, space or overflow.</summary>
internal static class SdpNumber
{
    /// <summary>
    /// The most digits a value may have: 18 digits always fit a <see cref="long"/>, so the loop cannot
    /// overflow, and no SDP quantity (a bandwidth in bit/s, a clock rate, a port) comes near 10^18.
    /// </summary>
    public const int MaxDigits = 18;

    /// <summary>Parses <paramref name="digits"/> when it is 1 to <see cref="MaxDigits"/> ASCII digits and nothing else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > MaxDigits)
        {
            return false;
        }

        long result = 0;
        foreach (byte b in digits)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }

            result = (result * 10) + digit;
        }

        value = result;
        return true;
    }

    /// <summary>Parses <paramref name="digits"/> as an integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static bool TryParse(ReadOnlySpan<byte> digits, int min, int max, out int value)
    {
        if (TryParse(digits, out long parsed) && parsed >= min && parsed <= max)
        {
            value = (int)parsed;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Splits <paramref name="rest"/> at the first SP: the field before it, and what follows after any run of SP.</summary>
    public static ReadOnlySpan<byte> NextField(scoped ref ReadOnlySpan<byte> rest)
    {
        int space = rest.IndexOf((byte)' ');
        if (space < 0)
        {
            ReadOnlySpan<byte> last = rest;
            rest = default;
            return last;
        }

        ReadOnlySpan<byte> field = rest[..space];
        rest = rest[(space + 1)..].TrimStart((byte)' ');
        return field;
    }
}
