using System.Runtime.InteropServices;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// A Call-ID as a dictionary key: the first <see cref="Length"/> bytes of a buffer (a tracked call's own,
/// or a shard's lookup probe) and their hash. Call-IDs are case-sensitive byte strings (RFC 3261 §20.8),
/// so keys compare byte for byte.
/// </summary>
internal readonly struct CallIdKey
{
    private readonly byte[] _bytes;

    public CallIdKey(byte[] bytes, int length, int hash)
    {
        _bytes = bytes;
        Length = length;
        HashCode = hash;
    }

    public int Length { get; }

    /// <summary>Whether both keys are views of the same buffer (a call's key compared with itself on removal).</summary>
    public bool SameBuffer(CallIdKey other) => ReferenceEquals(_bytes, other._bytes) && Length == other.Length;

    public int HashCode { get; }

    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Length);

    /// <summary>
    /// The hash of a Call-ID. Call-IDs come from the network, so the hash is randomized per process as
    /// string hashing is (Marvin on .NET, over the bytes taken two at a time): a sender cannot choose
    /// Call-IDs that collide.
    /// </summary>
    public static int Hash(ReadOnlySpan<byte> callId)
    {
        int hash = string.GetHashCode(MemoryMarshal.Cast<byte, char>(callId));
        return (callId.Length & 1) == 0 ? hash : System.HashCode.Combine(hash, callId[^1]);
    }
}

/// <summary>Compares <see cref="CallIdKey"/>s byte for byte.</summary>
internal sealed class CallIdKeyComparer : IEqualityComparer<CallIdKey>
{
    public static readonly CallIdKeyComparer Instance = new();

    // Same buffer first: removing an evicted call then never reads its (long cold) bytes.
    public bool Equals(CallIdKey x, CallIdKey y) => x.HashCode == y.HashCode && (x.SameBuffer(y) || x.Bytes.SequenceEqual(y.Bytes));

    public int GetHashCode(CallIdKey obj) => obj.HashCode;
}
