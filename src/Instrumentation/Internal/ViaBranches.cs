using SipTraceContext.Sip;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The branch parameters of the top <see cref="Capacity"/> Via entries of a message, top first,
/// across Via lines and comma-separated entries alike (RFC 3261 §7.3.1). An entry without a branch
/// (RFC 2543) counts, with an empty branch. Spans point into the message, as <see cref="SipMessageFacts"/>'.
/// </summary>
/// <remarks>
/// Three are what span derivation needs: a node that sent an INVITE names itself by the entry under
/// its own and its parent by the one under that. Read only for an initial INVITE that gets derived ids,
/// never per message.
/// </remarks>
internal ref struct ViaBranches
{
    /// <summary>How many entries are read: the top three.</summary>
    public const int Capacity = 3;

    private ReadOnlySpan<byte> _first;
    private ReadOnlySpan<byte> _second;
    private ReadOnlySpan<byte> _third;

    /// <summary>The entries read: the message's Via entries, up to <see cref="Capacity"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The branch of the top entry.</summary>
    public readonly ReadOnlySpan<byte> Top => _first;

    /// <summary>The branch of entry <paramref name="index"/> (0 the top); empty past <see cref="Count"/>.</summary>
    public readonly ReadOnlySpan<byte> this[int index] => index switch
    {
        0 => _first,
        1 => _second,
        2 => _third,
        _ => default,
    };

    /// <summary>Reads the branches of <paramref name="reader"/>'s Via entries.</summary>
    public static ViaBranches Read(in SipMessageReader reader)
    {
        var branches = default(ViaBranches);
        foreach (SipHeaderField field in reader.GetHeaders(KnownSipHeader.Via))
        {
            if (!branches.TakeBranches(field.UnfoldedValue()))
            {
                break;
            }
        }

        return branches;
    }

    /// <summary>
    /// Adds the branches of the entries of one Via field value, in order, until <see cref="Capacity"/> are
    /// held. Returns <see langword="false"/> once full: the fields after it need not be read.
    /// </summary>
    public bool TakeBranches(ReadOnlySpan<byte> value)
    {
        foreach (ReadOnlySpan<byte> entry in new SipValueList(value))
        {
            if (!Add(SipValueScanner.FindParameter(entry, "branch"u8)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Branches given directly, top first (tests, and a caller that already has them).</summary>
    public static ViaBranches From(ReadOnlySpan<byte> top, ReadOnlySpan<byte> second = default, ReadOnlySpan<byte> third = default, int count = 1)
    {
        var branches = default(ViaBranches);
        branches._first = top;
        branches._second = second;
        branches._third = third;
        branches.Count = Math.Min(Math.Max(count, 0), Capacity);
        return branches;
    }

    private bool Add(ReadOnlySpan<byte> branch)
    {
        switch (Count)
        {
            case 0:
                _first = branch;
                break;
            case 1:
                _second = branch;
                break;
            case 2:
                _third = branch;
                break;
            default:
                return false;
        }

        Count++;
        return Count < Capacity;
    }
}
