using System.Diagnostics;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>Where a tracked call is.</summary>
internal enum CallPhase : byte
{
    /// <summary>The INVITE has no final response yet (or the call started with a BYE).</summary>
    Setup,

    /// <summary>The INVITE was answered; the dialog lives until a BYE completes.</summary>
    Confirmed,

    /// <summary>
    /// The call is over. The state lingers for one Timer B so that retransmitted final responses
    /// (resent until their ACK) are recognised as retransmissions, then goes.
    /// </summary>
    Terminated,
}

/// <summary>A response already seen in a transaction: its status and To tag, and in which directions.</summary>
internal struct SeenResponse
{
    public uint CSeq;
    public SipMethodKind Method;
    public byte Directions;
    public short Status;
    public ulong ToTag;

    /// <summary>Repeats of the response per direction after its first copy there (see <see cref="Repeats"/>).</summary>
    public Repeats Repeats;
}

/// <summary>
/// How often a request or response was seen again in each direction. A node that feeds both the copy it
/// received and the copy it forwarded (a proxy, or a HEP capture of one) sees each retransmission twice;
/// a repeat counts as a new retransmission only when its direction has now seen more repeats than the
/// other, so the mirrored copy of one retransmission is not counted again.
/// </summary>
internal struct Repeats
{
    public ushort In;
    public ushort Out;

    /// <summary>Notes a repeat in a direction; true when it is a retransmission not yet counted in the other direction.</summary>
    public bool Note(SipDirection direction)
    {
        if (direction == SipDirection.In)
        {
            In = (ushort)Math.Min(In + 1, ushort.MaxValue);
            return In > Out;
        }

        Out = (ushort)Math.Min(Out + 1, ushort.MaxValue);
        return Out > In;
    }
}

/// <summary>
/// An INVITE or BYE transaction of a tracked call and its span. Mutated only under its shard's lock.
/// </summary>
internal sealed class SipTransaction
{
    public uint CSeq;
    public SipMethodKind Method;

    /// <summary>The direction the request was first seen in; it decides the span kind.</summary>
    public byte FirstDirection;

    /// <summary>Bit per direction (<see cref="SipDirection"/> + 1) in which the request was seen.</summary>
    public byte RequestDirections;

    /// <summary>The top Via branch of the request per direction: a repeat in the same direction with the same branch is a retransmission.</summary>
    public ulong BranchIn;
    public ulong BranchOut;

    private readonly OpenSpans _openSpans;
    private int _spanSlot;
    private readonly KeptContexts _contexts;
    private KeptContext _context;

    public SipTransaction(OpenSpans openSpans, KeptContexts contexts)
    {
        _openSpans = openSpans;
        _contexts = contexts;
    }

    /// <summary>The transaction's span while it is open (kept in the shard's <see cref="OpenSpans"/>).</summary>
    public Activity? Activity
    {
        get => _openSpans[_spanSlot];
        set
        {
            if (value is not null)
            {
                if (_spanSlot == 0)
                {
                    _spanSlot = _openSpans.Open(value);
                }
                else
                {
                    _openSpans.Replace(_spanSlot, value);
                }
            }
            else if (_spanSlot != 0)
            {
                _openSpans.Close(_spanSlot);
                _spanSlot = 0;
            }
        }
    }

    /// <summary>The span's context, kept after the span ended: later messages of the transaction return it.</summary>
    public ActivityContext Context
    {
        get => _contexts.Get(in _context);
        set => _context = _contexts.Keep(value);
    }

    /// <summary><see cref="Context"/> as kept, for a call to share without converting it again.</summary>
    public KeptContext KeptContext => _context;

    /// <summary>When the request was sent or received (span time base).</summary>
    public DateTimeOffset Start;

    /// <summary>When it was recorded, on the tracer's clock (timer base).</summary>
    public long TrackedAtTicks;

    public long DeadlineTicks;
    public bool ProvisionalSeen;
    public bool Cancelled;
    public byte CancelDirections;

    /// <summary>Repeats of the request (same branch) per direction.</summary>
    public Repeats RequestRepeats;

    /// <summary>Repeats of the CANCEL per direction.</summary>
    public Repeats CancelRepeats;

    public int FinalStatus;
    public int RetransmissionCount;
    public string? Transport;

    public bool IsPending => FinalStatus == 0;

    public bool SeenBothDirections => RequestDirections == 0b11;

    /// <summary>Forgets the transaction, so that the record can serve the call's next one.</summary>
    /// <remarks>It resets every field: a field added to this class must be reset here too.</remarks>
    public void Clear()
    {
        CSeq = 0;
        Method = SipMethodKind.Other;
        FirstDirection = 0;
        RequestDirections = 0;
        BranchIn = 0;
        BranchOut = 0;
        DropReferences();
        Start = default;
        TrackedAtTicks = 0;
        DeadlineTicks = 0;
        ProvisionalSeen = false;
        Cancelled = false;
        CancelDirections = 0;
        RequestRepeats = default;
        CancelRepeats = default;
        FinalStatus = 0;
        RetransmissionCount = 0;
    }

    /// <summary>
    /// Lets go of what the record refers to (its open span's slot, its context's trace state) without
    /// resetting the rest: a released call's records are cleared when a transaction next uses them.
    /// </summary>
    public void DropReferences()
    {
        Activity = null;
        _context = default;
        Transport = null;
    }

    public ulong BranchFor(SipDirection direction) => direction == SipDirection.In ? BranchIn : BranchOut;

    public void SetBranch(SipDirection direction, ulong branch)
    {
        if (direction == SipDirection.In)
        {
            BranchIn = branch;
        }
        else
        {
            BranchOut = branch;
        }

        RequestDirections |= DirectionBit(direction);
    }

    public static byte DirectionBit(SipDirection direction) => (byte)(direction == SipDirection.In ? 0b01 : 0b10);
}

/// <summary>
/// One tracked call (one Call-ID). Linked into its shard's list in the order calls were first seen,
/// which makes the list head the oldest call for eviction. Mutated only under its shard's lock.
/// </summary>
/// <remarks>
/// A shard reuses the state of a call it dropped for a new call (<see cref="Reuse"/>), and a call reuses
/// the record of its previous INVITE or BYE transaction for the next one (<see cref="BeginTransaction"/>):
/// nothing refers to either once it is replaced, so a busy table allocates no call state at all.
/// </remarks>
internal sealed class CallState
{
    // Responses remembered per call, to tell a proxy's second copy and retransmissions from new
    // responses. Forking to more targets than this only risks counting a copy twice.
    private const int MaxSeenResponses = 16;

    private SeenResponse[]? _seen;
    private int _seenCount;
    private int _seenNext;
    private SipTransaction? _inviteRecord;
    private SipTransaction? _byeRecord;

    /// <summary>How many cache lines a call's state spans (its fields take about 200 bytes).</summary>
    public const int LinesSpanned = 4;

    // The Call-ID's bytes, kept in a buffer that is reused with the state.
    private byte[] _callId = [];

    // The shard's: where the call's open spans are, and its span contexts as strings.
    private readonly OpenSpans _openSpans;
    private readonly KeptContexts _contexts;

    public CallState(ReadOnlySpan<byte> callId, int hash, long createdTicks, OpenSpans openSpans, KeptContexts contexts)
    {
        _openSpans = openSpans;
        _contexts = contexts;
        SetCallId(callId, hash);
        CreatedTicks = createdTicks;
    }

    /// <summary>The call's key in its shard's table; valid until the state is released.</summary>
    public CallIdKey Key { get; private set; }

    public long CreatedTicks { get; private set; }

    public CallState? Previous;
    public CallState? Next;
    public CallPhase Phase;

    /// <summary>Whether the call counts in <c>sip.calls.active</c> (it started with an INVITE and has not ended).</summary>
    public bool CountedActive;

    /// <summary>Whether the call gets spans (the filter said yes, or there is no filter).</summary>
    public bool Traced = true;

    public long LingerUntilTicks;

    /// <summary>
    /// No pending transaction of the call times out before this (a lower bound, <see cref="long.MaxValue"/>
    /// when none is pending): the sweep reads the transaction records only from then on, so a call that
    /// only lingers costs it one object, not three.
    /// </summary>
    public long EarliestDeadlineTicks = long.MaxValue;

    public SipTransaction? Invite;
    public SipTransaction? Bye;

    private KeptContext _setupContext;

    /// <summary>The setup span's context: the parent of every teardown span of the call.</summary>
    public ActivityContext SetupContext => _contexts.Get(in _setupContext);

    /// <summary>Makes the context of the call's INVITE transaction the setup context.</summary>
    public void ShareSetupContext(SipTransaction invite) => _setupContext = invite.KeptContext;

    /// <summary>Forgets a call that failed so that a new INVITE with the same Call-ID (after a 401/407 challenge) starts afresh.</summary>
    public void Restart(long createdTicks)
    {
        CreatedTicks = createdTicks;
        Phase = CallPhase.Setup;
        CountedActive = false;
        Traced = true;
        LingerUntilTicks = 0;
        EarliestDeadlineTicks = long.MaxValue;
        Invite = null;
        Bye = null;
        _setupContext = default;
        _seenCount = 0;
        _seenNext = 0;
    }

    /// <summary>Makes this dropped call's state a new call's.</summary>
    public void Reuse(ReadOnlySpan<byte> callId, int hash, long createdTicks)
    {
        SetCallId(callId, hash);
        Previous = null;
        Next = null;
        Restart(createdTicks);
    }

    /// <summary>
    /// Starts loading the objects the state refers to that its release and its reuse for a new call
    /// touch: the transaction records, the Call-ID buffer, the seen responses (see <see cref="CacheLines"/>).
    /// </summary>
    public void PrefetchParts()
    {
        CacheLines.Prefetch(_inviteRecord, lines: 3);
        CacheLines.Prefetch(_byeRecord, lines: 3);
        CacheLines.Prefetch(_callId, lines: 2);
        CacheLines.Prefetch(_seen, lines: 2);
    }

    /// <summary>Drops every reference the call holds (spans, contexts, the Call-ID) once its shard has let it go.</summary>
    public void Release()
    {
        Key = default;
        Restart(0);
        _inviteRecord?.DropReferences();
        _byeRecord?.DropReferences();
    }

    /// <summary>
    /// A cleared record for the call's new INVITE or BYE transaction, now its <see cref="Invite"/> or
    /// <see cref="Bye"/>; the record of the previous transaction of that method, when there was one.
    /// </summary>
    private void SetCallId(ReadOnlySpan<byte> callId, int hash)
    {
        if (callId.Length > _callId.Length)
        {
            _callId = new byte[Math.Max(callId.Length, 64)];
        }

        callId.CopyTo(_callId);
        Key = new CallIdKey(_callId, callId.Length, hash);
    }

    public SipTransaction BeginTransaction(SipMethodKind method)
    {
        if (method == SipMethodKind.Invite)
        {
            return Invite = Cleared(ref _inviteRecord);
        }

        return Bye = Cleared(ref _byeRecord);
    }

    private SipTransaction Cleared(ref SipTransaction? record)
    {
        if (record is null)
        {
            record = new SipTransaction(_openSpans, _contexts);
        }
        else
        {
            record.Clear();
        }

        return record;
    }

    /// <summary>
    /// Notes a response in a direction. Returns whether it was new (first copy), sets
    /// <paramref name="retransmission"/> when this direction had it already, and
    /// <paramref name="countRetransmission"/> when that repeat is a retransmission not yet counted
    /// (not the mirrored copy of one seen in the other direction).
    /// </summary>
    public bool NoteResponse(uint cseq, SipMethodKind method, int status, ulong toTag, SipDirection direction, out bool retransmission, out bool countRetransmission)
    {
        countRetransmission = false;
        byte bit = SipTransaction.DirectionBit(direction);
        _seen ??= new SeenResponse[4];
        for (int i = 0; i < _seenCount; i++)
        {
            ref SeenResponse seen = ref _seen[i];
            if (seen.CSeq == cseq && seen.Method == method && seen.Status == status && seen.ToTag == toTag)
            {
                retransmission = (seen.Directions & bit) != 0;
                seen.Directions |= bit;
                if (retransmission)
                {
                    countRetransmission = seen.Repeats.Note(direction);
                }

                return false;
            }
        }

        retransmission = false;
        if (_seenCount < MaxSeenResponses)
        {
            if (_seenCount == _seen.Length)
            {
                Array.Resize(ref _seen, _seen.Length * 2);
            }

            _seen[_seenCount++] = new SeenResponse { CSeq = cseq, Method = method, Status = (short)status, ToTag = toTag, Directions = bit };
        }
        else
        {
            // Full: overwrite the oldest entries in turn.
            _seen[_seenNext] = new SeenResponse { CSeq = cseq, Method = method, Status = (short)status, ToTag = toTag, Directions = bit };
            _seenNext = (_seenNext + 1) % MaxSeenResponses;
        }

        return true;
    }
}
