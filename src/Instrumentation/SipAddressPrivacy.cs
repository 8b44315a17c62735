namespace SipTraceContext.Instrumentation;

/// <summary>
/// How <c>sip.from</c>, <c>sip.to</c> and <c>sip.initiated_by</c> (<see cref="SipCallTracerOptions.AddressPrivacy"/>)
/// and the IMS identities <c>ims.impu</c>, <c>ims.calling_party</c> and <c>ims.called_party</c>
/// (<see cref="Ims.ImsNodeOptions.AddressPrivacy"/>) are recorded: they carry phone numbers and user names.
/// </summary>
public enum SipAddressPrivacy
{
    /// <summary>The header value as it is on the wire.</summary>
    AsIs,

    /// <summary>
    /// The display name is dropped and the user part of the URI is replaced by <c>***</c>:
    /// <c>"Alice" &lt;sip:alice@example.com&gt;;tag=1</c> becomes <c>&lt;sip:***@example.com&gt;;tag=1</c>.
    /// </summary>
    RedactUser,

    /// <summary>
    /// The display name is dropped and the user part is replaced by the first 16 hex digits of its
    /// HMAC-SHA256 under <see cref="SipCallTracerOptions.HashKey"/> (<see cref="Ims.ImsNodeOptions.HashKey"/>), so the same user hashes the
    /// same way and traces of one subscriber can still be found, without the number being readable.
    /// </summary>
    HashUser,
}
