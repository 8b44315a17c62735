// netstandard2.0 only: System.Index and System.Range, which the compiler needs for `^1` and `a..b`
// (spans and strings are sliced through their Length and Slice/Substring).
#pragma warning disable CA1066, CA1067, CA1305, CA2231, IDE0290

using System.Runtime.CompilerServices;

namespace System;

internal readonly struct Index : IEquatable<Index>
{
    private readonly int _value; // ~value when from the end

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Index(int value, bool fromEnd = false)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Non-negative number required.");
        }

        _value = fromEnd ? ~value : value;
    }

    private Index(int value, int _) => _value = value;

    public static Index Start => new(0, 0);

    public static Index End => new(~0, 0);

    public int Value => _value < 0 ? ~_value : _value;

    public bool IsFromEnd => _value < 0;

    public static Index FromStart(int value) => new(value);

    public static Index FromEnd(int value) => new(value, fromEnd: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOffset(int length) => _value < 0 ? length + _value + 1 : _value;

    public static implicit operator Index(int value) => FromStart(value);

    public bool Equals(Index other) => _value == other._value;

    public override bool Equals(object? obj) => obj is Index other && Equals(other);

    public override int GetHashCode() => _value;

    public override string ToString() => IsFromEnd ? "^" + Value.ToString() : Value.ToString();
}

internal readonly struct Range(Index start, Index end) : IEquatable<Range>
{
    public Index Start { get; } = start;

    public Index End { get; } = end;

    public static Range All => new(Index.Start, Index.End);

    public static Range StartAt(Index start) => new(start, Index.End);

    public static Range EndAt(Index end) => new(Index.Start, end);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (int Offset, int Length) GetOffsetAndLength(int length)
    {
        int start = Start.GetOffset(length);
        int end = End.GetOffset(length);
        if ((uint)end > (uint)length || (uint)start > (uint)end)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        return (start, end - start);
    }

    public bool Equals(Range other) => Start.Equals(other.Start) && End.Equals(other.End);

    public override bool Equals(object? obj) => obj is Range other && Equals(other);

    public override int GetHashCode() => (Start.GetHashCode() * 31) + End.GetHashCode();

    public override string ToString() => Start.ToString() + ".." + End.ToString();
}
