namespace SipTraceContext.Sip;

/// <summary>
/// The bounds a <see cref="SipMessageReader"/> enforces on untrusted input. <c>default(SipReaderLimits)</c>
/// is <see cref="Default"/>; set only the limits you want to change.
/// </summary>
/// <remarks>
/// The reader never allocates, so the limits do not protect memory; they bound the work done on
/// one message and tell a stream reader when to stop waiting for the end of a header section or body
/// that an attacker may never send.
/// </remarks>
public readonly struct SipReaderLimits : IEquatable<SipReaderLimits>
{
    /// <summary>
    /// Default for <see cref="MaxHeaderSectionBytes"/>: 64 KiB. A UDP datagram cannot carry more
    /// than 65,507 bytes, and a TCP peer that sends a larger header section is not a SIP stack.
    /// </summary>
    public const int DefaultMaxHeaderSectionBytes = 64 * 1024;

    /// <summary>
    /// Default for <see cref="MaxHeaderCount"/>: 512. An INVITE that has crossed a chain of IMS nodes
    /// carries 60 to 100 header fields (a Via and a Record-Route per hop); this leaves five times that.
    /// </summary>
    public const int DefaultMaxHeaderCount = 512;

    /// <summary>
    /// Default for <see cref="MaxLineLength"/>: 8 KiB per physical line. A STIR/SHAKEN Identity header
    /// (about 1 KB) or a long Contact list fits; the same bound HTTP servers and SIP stacks commonly use.
    /// </summary>
    public const int DefaultMaxLineLength = 8 * 1024;

    /// <summary>
    /// Default for <see cref="MaxBodyBytes"/>: 1 MiB. Far above any SDP or multipart body, low enough
    /// that a Content-Length chosen by an attacker does not make a stream reader buffer without end.
    /// </summary>
    public const int DefaultMaxBodyBytes = 1024 * 1024;

    private readonly int _maxHeaderSectionBytes;
    private readonly int _maxHeaderCount;
    private readonly int _maxLineLength;
    private readonly int _maxBodyBytes;

    /// <summary>The defaults: every limit at its <c>Default*</c> constant.</summary>
    public static SipReaderLimits Default => default;

    /// <summary>
    /// The largest number of bytes from the start of the input through the empty line that ends the
    /// header section (leading blank lines and the start line included).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxHeaderSectionBytes
    {
        get => _maxHeaderSectionBytes == 0 ? DefaultMaxHeaderSectionBytes : _maxHeaderSectionBytes;
        init => _maxHeaderSectionBytes = Positive(value, nameof(MaxHeaderSectionBytes));
    }

    /// <summary>The largest number of header fields; a folded field counts once.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxHeaderCount
    {
        get => _maxHeaderCount == 0 ? DefaultMaxHeaderCount : _maxHeaderCount;
        init => _maxHeaderCount = Positive(value, nameof(MaxHeaderCount));
    }

    /// <summary>The longest physical line (start line, header line or continuation line), line break excluded.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxLineLength
    {
        get => _maxLineLength == 0 ? DefaultMaxLineLength : _maxLineLength;
        init => _maxLineLength = Positive(value, nameof(MaxLineLength));
    }

    /// <summary>The largest body: the Content-Length value, or the bytes after the header section when there is none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxBodyBytes
    {
        get => _maxBodyBytes == 0 ? DefaultMaxBodyBytes : _maxBodyBytes;
        init => _maxBodyBytes = Positive(value, nameof(MaxBodyBytes));
    }

    /// <inheritdoc/>
    public bool Equals(SipReaderLimits other) =>
        MaxHeaderSectionBytes == other.MaxHeaderSectionBytes && MaxHeaderCount == other.MaxHeaderCount &&
        MaxLineLength == other.MaxLineLength && MaxBodyBytes == other.MaxBodyBytes;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SipReaderLimits other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(MaxHeaderSectionBytes, MaxHeaderCount, MaxLineLength, MaxBodyBytes);

    /// <summary>Whether two sets of limits are the same.</summary>
    /// <param name="left">The first set.</param>
    /// <param name="right">The second set.</param>
    /// <returns><see langword="true"/> when every limit is equal.</returns>
    public static bool operator ==(SipReaderLimits left, SipReaderLimits right) => left.Equals(right);

    /// <summary>Whether two sets of limits differ.</summary>
    /// <param name="left">The first set.</param>
    /// <param name="right">The second set.</param>
    /// <returns><see langword="true"/> when any limit differs.</returns>
    public static bool operator !=(SipReaderLimits left, SipReaderLimits right) => !left.Equals(right);

    private static int Positive(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);
        return value;
    }
}
