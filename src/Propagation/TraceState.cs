using System.Buffers;
#if NET
using System.Numerics;
#endif
using System.Text;
using SipTraceContext.Propagation.Internal;

namespace SipTraceContext.Propagation;

/// <summary>
/// W3C Trace Context <c>tracestate</c> handling: validation against the grammar and limits,
/// combining several header instances in order, and trimming to a byte budget.
/// </summary>
/// <remarks>
/// <para>
/// Keys follow W3C Trace Context Level 2 (a key starts with a lower-case letter or a digit and may
/// hold <c>@</c> anywhere after that, up to 256 characters), which accepts every Level 1 key.
/// Normalising a list removes optional whitespace around commas and empty list members and keeps
/// the members in order. A key seen before is dropped with its value, the first one kept (Level
/// 2: vendors propagate the list and may discard duplicates). When the list is over the budget,
/// members longer than 128 characters are dropped first, from the end,
/// then other members from the end, until it fits; members are never cut (Level 2's trimming
/// order). A list that breaks the grammar anywhere (a bad key or value, more than
/// <see cref="MaxListMembers"/> members) is invalid as a whole and nothing of it is kept: W3C
/// asks that an invalid tracestate be discarded rather than partially propagated.
/// </para>
/// <para>
/// Because every character of the output has been checked against the grammar, the output can
/// never contain CR, LF, NUL, a comma inside a member, or any non-ASCII character: it is safe to
/// write into a SIP or HTTP header as it is.
/// </para>
/// </remarks>
public static class TraceState
{
    /// <summary>W3C: a tracestate list has at most 32 list members.</summary>
    public const int MaxListMembers = 32;

    /// <summary>
    /// W3C Level 2: when a list must be trimmed, members longer than this many characters are the
    /// first to go.
    /// </summary>
    internal const int LongMemberLength = 128;

    /// <summary>
    /// The default byte budget for a propagated tracestate. W3C asks vendors to propagate at least
    /// 512 characters when they trim, so this is the smallest budget that stays compliant.
    /// </summary>
    public const int DefaultMaxLength = 512;

    /// <summary>
    /// Inputs longer than this are rejected without being examined further. The longest valid list
    /// is 32 members of a 256-character key, '=' and a 256-character value, plus separators and some
    /// whitespace; anything far beyond that is an attack, not a tracestate.
    /// </summary>
    public const int MaxSourceLength = 32 * 1024;

    // Longest key: ( lcalpha / DIGIT ) 0*255( keychar ) = 256; value: 0*255(chr) nblk-chr = 256.
    private const int MaxKeyLength = 256;
    private const int MaxValueLength = 256;

    // Inputs up to this many chars are combined on the stack; longer ones use the array pool.
    private const int StackallocThreshold = 256;

    /// <summary>Whether <paramref name="value"/> is a valid tracestate list (an empty list is valid).</summary>
    /// <param name="value">The header value.</param>
    /// <returns>Whether the value follows the W3C grammar and limits.</returns>
    public static bool IsValid(ReadOnlySpan<char> value) => Scan<char>(value, default, out _);

    /// <summary>Whether the UTF-8 <paramref name="utf8Value"/> is a valid tracestate list (an empty list is valid).</summary>
    /// <param name="utf8Value">The header value as UTF-8 bytes.</param>
    /// <returns>Whether the value follows the W3C grammar and limits.</returns>
    public static bool IsValid(ReadOnlySpan<byte> utf8Value) => Scan<byte>(utf8Value, default, out _);

    /// <summary>
    /// Validates <paramref name="source"/> and writes its normalised form to <paramref name="destination"/>,
    /// keeping as many whole members from the start as fit in <c>destination.Length</c> characters.
    /// </summary>
    /// <param name="source">One tracestate header value, or several joined with commas.</param>
    /// <param name="destination">The buffer to write to; its length is the budget.</param>
    /// <param name="charsWritten">The characters written (0 when invalid or when no member fits).</param>
    /// <returns><c>false</c> when the source is invalid; nothing is written then.</returns>
    public static bool TryNormalize(ReadOnlySpan<char> source, Span<char> destination, out int charsWritten) =>
        Scan(source, destination, out charsWritten);

    /// <summary>
    /// Validates the UTF-8 <paramref name="source"/> and writes its normalised form to <paramref name="destination"/>,
    /// keeping as many whole members from the start as fit in <c>destination.Length</c> bytes.
    /// </summary>
    /// <param name="source">One tracestate header value, or several joined with commas.</param>
    /// <param name="destination">The buffer to write to; its length is the budget.</param>
    /// <param name="bytesWritten">The bytes written (0 when invalid or when no member fits).</param>
    /// <returns><c>false</c> when the source is invalid; nothing is written then.</returns>
    public static bool TryNormalize(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten) =>
        Scan(source, destination, out bytesWritten);

    /// <summary>
    /// Validates and normalises one tracestate value, trimmed to <paramref name="maxLength"/> characters.
    /// </summary>
    /// <param name="value">The header value; <c>null</c> is treated as absent.</param>
    /// <param name="maxLength">The budget in characters (ASCII, so also in bytes).</param>
    /// <returns>The normalised list, or <c>null</c> when the input is absent, invalid or has no member that fits.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative.</exception>
    public static string? Normalize(string? value, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return NormalizeToString(value.AsSpan(), maxLength, value);
    }

    /// <summary>
    /// Combines several tracestate header values in order (RFC 3261 §7.3.1 and RFC 9110 allow a
    /// comma-separated list to be split across header instances), validates the whole list and
    /// trims it to <paramref name="maxLength"/> characters.
    /// </summary>
    /// <param name="values">The header values in the order they appeared; <c>null</c> entries are skipped.</param>
    /// <param name="maxLength">The budget in characters (ASCII, so also in bytes).</param>
    /// <returns>The combined normalised list, or <c>null</c> when there is none, it is invalid, or no member fits.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative.</exception>
    public static string? Combine(IEnumerable<string?>? values, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        if (values is null)
        {
            return null;
        }

        // Single-value fast path: the common case, and it can return the input string unchanged.
        if (values is IReadOnlyList<string?> list)
        {
            if (list.Count == 0)
            {
                return null;
            }

            if (list.Count == 1)
            {
                return Normalize(list[0], maxLength);
            }
        }

        int total = 0;
        foreach (string? value in values)
        {
            if (value is not null)
            {
                total += value.Length + 1;
                if (total > MaxSourceLength)
                {
                    return null;
                }
            }
        }

        if (total == 0)
        {
            return null;
        }

        char[]? rented = null;
        Span<char> joined = total <= StackallocThreshold
            ? stackalloc char[StackallocThreshold]
            : (rented = ArrayPool<char>.Shared.Rent(total));
        try
        {
            int length = 0;
            foreach (string? value in values)
            {
                if (value is null)
                {
                    continue;
                }

                if (length > 0)
                {
                    joined[length++] = ',';
                }

                value.AsSpan().CopyTo(joined[length..]);
                length += value.Length;
            }

            return NormalizeToString(joined[..length], maxLength, original: null);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Validates and normalises a UTF-8 tracestate value (several instances may be joined with commas)
    /// into a string trimmed to <paramref name="maxLength"/> bytes. This is the only allocation the
    /// raw-message extraction path makes for a tracestate.
    /// </summary>
    /// <param name="utf8Value">The header value bytes.</param>
    /// <param name="maxLength">The budget in bytes.</param>
    /// <returns>The normalised list, or <c>null</c> when it is empty, invalid, or no member fits.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative.</exception>
    public static string? Normalize(ReadOnlySpan<byte> utf8Value, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        if (utf8Value.IsEmpty)
        {
            return null;
        }

        return RecentHeaderValues.TryGetTraceState(utf8Value, maxLength, out string? recent)
            ? recent
            : NormalizeUnseen(utf8Value, maxLength);
    }

    /// <summary>
    /// <see cref="Normalize(ReadOnlySpan{byte}, int)"/> for a value the recent
    /// strings (<see cref="RecentHeaderValues"/>) do not hold: for the raw extract path, which looks
    /// there itself before paying for this method's stack buffer.
    /// </summary>
    internal static string? NormalizeUnseen(ReadOnlySpan<byte> utf8Value, int maxLength)
    {
        if (utf8Value.IsEmpty)
        {
            return null;
        }

        int budget = Math.Min(maxLength, utf8Value.Length);
        byte[]? rented = null;
        Span<byte> buffer = budget <= StackallocThreshold
            ? stackalloc byte[StackallocThreshold]
            : (rented = ArrayPool<byte>.Shared.Rent(budget));
        try
        {
            if (!Scan(utf8Value, buffer[..budget], out int written) || written == 0)
            {
                return null;
            }

            // Validated output is printable ASCII, so Latin-1 decoding is exact and cannot fail.
            string result = Encoding.Latin1.GetString(buffer[..written]);
            if (written == utf8Value.Length)
            {
                // Nothing was trimmed or dropped: the header already was this normalised list.
                RecentHeaderValues.AddTraceState(result);
            }

            return result;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string? NormalizeToString(ReadOnlySpan<char> source, int maxLength, string? original)
    {
        int budget = Math.Min(maxLength, source.Length);
        char[]? rented = null;
        Span<char> buffer = budget <= StackallocThreshold
            ? stackalloc char[StackallocThreshold]
            : (rented = ArrayPool<char>.Shared.Rent(budget));
        try
        {
            if (!Scan(source, buffer[..budget], out int written) || written == 0)
            {
                return null;
            }

            ReadOnlySpan<char> result = buffer[..written];
            // Most tracestates arrive already normalised: hand back the caller's string rather than a copy.
            return original is not null && result.SequenceEqual(original) ? original : result.ToString();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    // W3C Trace Context Level 2, tracestate:
    //   list        = list-member 0*31( OWS "," OWS list-member )
    //   list-member = (key "=" value) / OWS
    //   key         = ( lcalpha / DIGIT ) 0*255( keychar )
    //   keychar     = lcalpha / DIGIT / "_" / "-"/ "*" / "/" / "@"
    //   value       = 0*255(chr) nblk-chr
    //   nblk-chr    = %x21-2B / %x2D-3C / %x3E-7E
    //   chr         = %x20 / nblk-chr
    //   OWS         = *( SP / HTAB )
    // Empty list members are allowed and skipped; at most 32 non-empty members, repeated keys
    // included. A repeated key is dropped (the first one stays). Validation covers the whole
    // input before anything is written, so an invalid list writes nothing.
    private static bool Scan<TChar>(ReadOnlySpan<TChar> source, Span<TChar> destination, out int written)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        written = 0;
        int memberCount = 0;
        if (source.Length > MaxSourceLength)
        {
            return false;
        }

        // Member and key extents, for the duplicate check and the copy; 32 members bound both.
        Span<int> memberStart = stackalloc int[MaxListMembers];
        Span<int> memberLength = stackalloc int[MaxListMembers];
        Span<int> keyLength = stackalloc int[MaxListMembers];

        int kept = 0;
        int position = 0;
        while (true)
        {
            int comma = source[position..].IndexOf(Hex.CodeUnit<TChar>(','));
            int end = comma < 0 ? source.Length : position + comma;
            int start = position;
            while (start < end && IsOws(source[start]))
            {
                start++;
            }

            int stop = end;
            while (stop > start && IsOws(source[stop - 1]))
            {
                stop--;
            }

            if (stop > start)
            {
                if (memberCount == MaxListMembers)
                {
                    return false;
                }

                ReadOnlySpan<TChar> member = source[start..stop];
                int keyEnd = ValidateMember(member);
                if (keyEnd < 0)
                {
                    return false;
                }

                ReadOnlySpan<TChar> key = member[..keyEnd];
                bool repeated = false;
                for (int i = 0; i < kept && !repeated; i++)
                {
                    repeated = keyLength[i] == keyEnd && source.Slice(memberStart[i], keyEnd).SequenceEqual(key);
                }

                memberCount++;
                if (!repeated)
                {
                    memberStart[kept] = start;
                    memberLength[kept] = stop - start;
                    keyLength[kept] = keyEnd;
                    kept++;
                }
            }

            if (comma < 0)
            {
                break;
            }

            position = end + 1;
        }

        // Trim to the destination (Level 2): long members go first, from the end; then any member
        // from the end. A dropped member also frees its comma.
        uint dropped = 0;
        int total = kept - 1;
        for (int i = 0; i < kept; i++)
        {
            total += memberLength[i];
        }

        for (int i = kept - 1; i >= 0 && total > destination.Length; i--)
        {
            if (memberLength[i] > LongMemberLength)
            {
                dropped |= 1u << i;
                total -= memberLength[i] + 1;
            }
        }

        for (int i = kept - 1; i >= 0 && total > destination.Length; i--)
        {
            if ((dropped & (1u << i)) == 0)
            {
                dropped |= 1u << i;
                total -= memberLength[i] + 1;
            }
        }

        int length = 0;
        for (int i = 0; i < kept; i++)
        {
            if ((dropped & (1u << i)) != 0)
            {
                continue;
            }

            if (length > 0)
            {
                destination[length++] = Hex.CodeUnit<TChar>(',');
            }

            source.Slice(memberStart[i], memberLength[i]).CopyTo(destination[length..]);
            length += memberLength[i];
        }

        written = length;
        return true;
    }

    /// <summary>Validates one trimmed, non-empty member; returns the key length, or -1 when invalid.</summary>
    private static int ValidateMember<TChar>(ReadOnlySpan<TChar> member)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        int equals = member.IndexOf(Hex.CodeUnit<TChar>('='));
        if (equals <= 0)
        {
            return -1;
        }

        if (!IsValidKey(member[..equals]))
        {
            return -1;
        }

        ReadOnlySpan<TChar> value = member[(equals + 1)..];
        // The member was trimmed of trailing OWS, so a non-empty value already ends in a nblk-chr
        // unless it ended in HTAB, which the character check below rejects.
        if (value.IsEmpty || value.Length > MaxValueLength)
        {
            return -1;
        }

        foreach (TChar c in value)
        {
            uint code = uint.CreateTruncating(c);
            if (code < 0x20 || code > 0x7E || code == ',' || code == '=')
            {
                return -1;
            }
        }

        return equals;
    }

    private static bool IsValidKey<TChar>(ReadOnlySpan<TChar> key)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
        => key.Length <= MaxKeyLength && (IsLcAlpha(key[0]) || IsDigit(key[0])) && AreKeyChars(key[1..]);

    private static bool AreKeyChars<TChar>(ReadOnlySpan<TChar> chars)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
    {
        foreach (TChar c in chars)
        {
            uint code = uint.CreateTruncating(c);
            bool ok = (code - 'a' <= 'z' - 'a') || (code - '0' <= 9) || code is '_' or '-' or '*' or '/' or '@';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLcAlpha<TChar>(TChar c)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
        => uint.CreateTruncating(c) - 'a' <= 'z' - 'a';

    private static bool IsDigit<TChar>(TChar c)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
        => uint.CreateTruncating(c) - '0' <= 9;

    private static bool IsOws<TChar>(TChar c)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged, IEquatable<TChar>
#endif
        => uint.CreateTruncating(c) is ' ' or '\t';
}
