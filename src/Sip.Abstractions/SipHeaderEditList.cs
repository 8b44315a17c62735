namespace SipTraceContext.Sip;

/// <summary>
/// Up to <see cref="Capacity"/> header edits, held on the stack, for <see cref="SipMessageEditor"/>.
/// Edits apply in the order added. Allocates nothing.
/// </summary>
/// <remarks>
/// Declare it <c>scoped</c> when a value lives in a <c>stackalloc</c> buffer, so the compiler lets the
/// list hold it: <c>scoped var edits = new SipHeaderEditList();</c>.
/// </remarks>
internal ref struct SipHeaderEditList
{
    /// <summary>
    /// The most edits one list holds: enough for every trace header of both styles plus baggage with
    /// room to spare, small enough to stay a few hundred bytes of stack.
    /// </summary>
    public const int Capacity = 8;

    private SipHeaderEdit _edit0;
    private SipHeaderEdit _edit1;
    private SipHeaderEdit _edit2;
    private SipHeaderEdit _edit3;
    private SipHeaderEdit _edit4;
    private SipHeaderEdit _edit5;
    private SipHeaderEdit _edit6;
    private SipHeaderEdit _edit7;

    /// <summary>The number of edits.</summary>
    public int Count { readonly get; private set; }

    /// <summary>The edit at <paramref name="index"/>.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public readonly SipHeaderEdit this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return index switch
            {
                0 => _edit0,
                1 => _edit1,
                2 => _edit2,
                3 => _edit3,
                4 => _edit4,
                5 => _edit5,
                6 => _edit6,
                _ => _edit7,
            };
        }
    }

    /// <summary>Appends an edit.</summary>
    /// <param name="edit">The edit.</param>
    /// <exception cref="InvalidOperationException">The list already holds <see cref="Capacity"/> edits.</exception>
    public void Append(SipHeaderEdit edit)
    {
        switch (Count)
        {
            case 0: _edit0 = edit; break;
            case 1: _edit1 = edit; break;
            case 2: _edit2 = edit; break;
            case 3: _edit3 = edit; break;
            case 4: _edit4 = edit; break;
            case 5: _edit5 = edit; break;
            case 6: _edit6 = edit; break;
            case 7: _edit7 = edit; break;
            default: throw new InvalidOperationException($"A {nameof(SipHeaderEditList)} holds at most {Capacity} edits.");
        }

        Count++;
    }

    /// <summary>Appends <see cref="SipHeaderEdit.Remove(ReadOnlySpan{byte})"/>.</summary>
    /// <param name="name">The header name.</param>
    public void Remove(ReadOnlySpan<byte> name) => Append(SipHeaderEdit.Remove(name));

    /// <summary>Appends <see cref="SipHeaderEdit.Set(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="value">The value.</param>
    public void Set(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Append(SipHeaderEdit.Set(name, value));

    /// <summary>Appends <see cref="SipHeaderEdit.Set(ReadOnlySpan{byte}, ReadOnlySpan{byte}, SipHeaderValueWriter, int)"/>.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="state">The bytes to hand to <paramref name="writer"/>.</param>
    /// <param name="writer">Writes the value.</param>
    /// <param name="maxValueLength">The most bytes <paramref name="writer"/> writes.</param>
    public void Set(ReadOnlySpan<byte> name, ReadOnlySpan<byte> state, SipHeaderValueWriter writer, int maxValueLength) =>
        Append(SipHeaderEdit.Set(name, state, writer, maxValueLength));

    /// <summary>Appends <see cref="SipHeaderEdit.Add(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="value">The value.</param>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Append(SipHeaderEdit.Add(name, value));

    /// <summary>Appends <see cref="SipHeaderEdit.Add(ReadOnlySpan{byte}, ReadOnlySpan{byte}, SipHeaderValueWriter, int)"/>.</summary>
    /// <param name="name">The header name, as it should be written.</param>
    /// <param name="state">The bytes to hand to <paramref name="writer"/>.</param>
    /// <param name="writer">Writes the value.</param>
    /// <param name="maxValueLength">The most bytes <paramref name="writer"/> writes.</param>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> state, SipHeaderValueWriter writer, int maxValueLength) =>
        Append(SipHeaderEdit.Add(name, state, writer, maxValueLength));
}
