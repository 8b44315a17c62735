using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip;

/// <summary>
/// One header edit for <see cref="SipMessageEditor"/>: remove, set (replace) or add a header. It
/// holds spans, so building one allocates nothing; collect edits in a <see cref="SipHeaderEditList"/>.
/// </summary>
internal readonly ref struct SipHeaderEdit
{
    private readonly HeaderNameMatcher _matcher;

    private SipHeaderEdit(SipHeaderEditKind kind, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ReadOnlySpan<byte> state, SipHeaderValueWriter? writer, int maxValueLength)
    {
        Kind = kind;
        Name = name;
        Value = value;
        State = state;
        Writer = writer;
        MaxValueLength = writer is null ? value.Length : maxValueLength;

        // The other form is worked out once here rather than for every header line the edit is compared with.
        _matcher = new HeaderNameMatcher(name);
    }

    /// <summary>What the edit does.</summary>
    public SipHeaderEditKind Kind { get; }

    /// <summary>The header name; written as given by <see cref="SipHeaderEditKind.Set"/> and <see cref="SipHeaderEditKind.Add"/>, so pass the canonical spelling.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>The value to write, when the edit has no <see cref="Writer"/>.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The bytes handed to <see cref="Writer"/>.</summary>
    public ReadOnlySpan<byte> State { get; }

    /// <summary>Writes the value into the output, or <see langword="null"/> when <see cref="Value"/> is written.</summary>
    public SipHeaderValueWriter? Writer { get; }

    /// <summary>The most bytes the value can take: <see cref="Value"/>'s length, or the bound given with <see cref="Writer"/>.</summary>
    public int MaxValueLength { get; }

    internal ReadOnlySpan<byte> AlternateName => _matcher.Alternate;

    /// <summary>An edit that removes every instance of <paramref name="name"/> (any case, long or compact form).</summary>
    /// <param name="name">The header name.</param>
    /// <returns>The edit.</returns>
    public static SipHeaderEdit Remove(ReadOnlySpan<byte> name) => new(SipHeaderEditKind.Remove, name, default, default, null, 0);

    /// <summary>An edit that replaces every instance of <paramref name="name"/> with one holding <paramref name="value"/>.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="value">The value; must not hold CR, LF, NUL or another control byte but HTAB.</param>
    /// <returns>The edit.</returns>
    public static SipHeaderEdit Set(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => new(SipHeaderEditKind.Set, name, value, default, null, 0);

    /// <summary>An edit that replaces every instance of <paramref name="name"/> with one whose value <paramref name="writer"/> writes.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="state">The bytes to hand to <paramref name="writer"/>.</param>
    /// <param name="writer">Writes the value; a static lambda avoids allocating.</param>
    /// <param name="maxValueLength">The most bytes <paramref name="writer"/> writes.</param>
    /// <returns>The edit.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValueLength"/> is negative.</exception>
    public static SipHeaderEdit Set(ReadOnlySpan<byte> name, ReadOnlySpan<byte> state, SipHeaderValueWriter writer, int maxValueLength)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfNegative(maxValueLength);
        return new(SipHeaderEditKind.Set, name, default, state, writer, maxValueLength);
    }

    /// <summary>An edit that adds an instance of <paramref name="name"/> at the end of the header section.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="value">The value; must not hold CR, LF, NUL or another control byte but HTAB.</param>
    /// <returns>The edit.</returns>
    public static SipHeaderEdit Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => new(SipHeaderEditKind.Add, name, value, default, null, 0);

    /// <summary>An edit that adds an instance of <paramref name="name"/>, whose value <paramref name="writer"/> writes, at the end of the header section.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="state">The bytes to hand to <paramref name="writer"/>.</param>
    /// <param name="writer">Writes the value; a static lambda avoids allocating.</param>
    /// <param name="maxValueLength">The most bytes <paramref name="writer"/> writes.</param>
    /// <returns>The edit.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValueLength"/> is negative.</exception>
    public static SipHeaderEdit Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> state, SipHeaderValueWriter writer, int maxValueLength)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfNegative(maxValueLength);
        return new(SipHeaderEditKind.Add, name, default, state, writer, maxValueLength);
    }

    /// <summary>Whether this edit applies to the validated header line <paramref name="line"/>, compared on the line's first bytes.</summary>
    internal bool AppliesToLine(ReadOnlySpan<byte> line) => _matcher.MatchesLine(line);

    /// <summary>Whether this edit applies to a header named <paramref name="name"/> (any case, long or compact form).</summary>
    /// <param name="name">A header name.</param>
    /// <returns><see langword="true"/> when the names match.</returns>
    public bool AppliesTo(ReadOnlySpan<byte> name) => _matcher.Matches(name);
}
