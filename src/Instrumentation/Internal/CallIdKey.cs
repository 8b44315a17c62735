using System.Runtime.InteropServices;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// A tracked call's Call-ID: the first <see cref="Length"/> bytes of the call's own reusable buffer, and
/// their hash. Call-IDs are case-sensitive byte strings (RFC 3261 §20.8), so they compare byte for byte.
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
