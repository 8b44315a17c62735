namespace SipTraceContext.Sip.Syntax;

/// <summary>The URI schemes an IMS identity is written in.</summary>
internal enum SipUriScheme
{
    /// <summary>Another scheme, or not a URI.</summary>
    Unknown = 0,

    /// <summary><c>sip:</c> (RFC 3261 §19.1).</summary>
    Sip = 1,

    /// <summary><c>sips:</c> (RFC 3261 §19.1).</summary>
    Sips = 2,

    /// <summary><c>tel:</c> (RFC 3966).</summary>
    Tel = 3,
}
