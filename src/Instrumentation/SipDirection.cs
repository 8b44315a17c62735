namespace SipTraceContext.Instrumentation;

/// <summary>Whether the node received or sent a SIP message.</summary>
public enum SipDirection
{
    /// <summary>The node received the message.</summary>
    In,

    /// <summary>The node sent the message.</summary>
    Out,
}
