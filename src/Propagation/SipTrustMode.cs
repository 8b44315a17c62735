namespace SipTraceContext.Propagation;

/// <summary>What the trace headers of an incoming message mean, decided per message at a trust boundary.</summary>
public enum SipTrustMode
{
    /// <summary>The sender is trusted: its context becomes the parent of our spans.</summary>
    Parent,

    /// <summary>
    /// The sender is not trusted: a new trace starts and the remote context is only recorded as a
    /// span link, so a forged header cannot join our trace or force sampling.
    /// </summary>
    Link,

    /// <summary>The sender is not trusted and its trace headers are ignored altogether.</summary>
    Ignore,
}
