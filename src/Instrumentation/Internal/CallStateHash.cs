namespace SipTraceContext.Instrumentation.Internal;

/// <summary>How call state remembers a branch or a tag without keeping a copy of it.</summary>
internal static class CallStateHash
{
    /// <summary>
    /// A 64-bit FNV-1a hash: transaction branches and To tags are compared by hash, so call state
    /// keeps no copy of them. A collision could only make a copy of a message look like a
    /// retransmission, never lose a span.
    /// </summary>
    public static ulong Of(ReadOnlySpan<byte> value)
    {
        const ulong OffsetBasis = 14695981039346656037UL;
        const ulong Prime = 1099511628211UL;
        ulong hash = OffsetBasis;
        foreach (byte b in value)
        {
            hash = (hash ^ b) * Prime;
        }

        // 0 means "absent" in call state.
        return hash == 0 ? 1 : hash;
    }
}
