namespace SipTraceContext.Sip;

/// <summary>
/// The SIP header fields this library knows by name: the RFC 3261 set, the extensions a proxy or an
/// IMS node meets every day, every header field with a registered compact form, and the trace-context
/// headers this library writes. Get one from a name or compact form with
/// <see cref="SipHeaderNames.GetKnownHeader(ReadOnlySpan{byte})"/>.
/// </summary>
/// <remarks>The numeric values are not part of the contract: compare with the named members.</remarks>
public enum KnownSipHeader
{
    /// <summary>Not one of the header fields this library knows by name.</summary>
    Unknown = 0,
    /// <summary><c>Accept</c> (RFC 3261 §20.1).</summary>
    Accept,
    /// <summary><c>Accept-Contact</c> (RFC 3841). Compact form <c>a</c>.</summary>
    AcceptContact,
    /// <summary><c>Accept-Encoding</c> (RFC 3261 §20.2).</summary>
    AcceptEncoding,
    /// <summary><c>Accept-Language</c> (RFC 3261 §20.3).</summary>
    AcceptLanguage,
    /// <summary><c>Alert-Info</c> (RFC 3261 §20.4).</summary>
    AlertInfo,
    /// <summary><c>Allow</c> (RFC 3261 §20.5).</summary>
    Allow,
    /// <summary><c>Allow-Events</c> (RFC 6665). Compact form <c>u</c>.</summary>
    AllowEvents,
    /// <summary><c>Authentication-Info</c> (RFC 3261 §20.6).</summary>
    AuthenticationInfo,
    /// <summary><c>Authorization</c> (RFC 3261 §20.7).</summary>
    Authorization,
    /// <summary><c>Call-ID</c> (RFC 3261 §20.8). Compact form <c>i</c>.</summary>
    CallId,
    /// <summary><c>Call-Info</c> (RFC 3261 §20.9).</summary>
    CallInfo,
    /// <summary><c>Contact</c> (RFC 3261 §20.10). Compact form <c>m</c>.</summary>
    Contact,
    /// <summary><c>Content-Disposition</c> (RFC 3261 §20.11).</summary>
    ContentDisposition,
    /// <summary><c>Content-Encoding</c> (RFC 3261 §20.12). Compact form <c>e</c>.</summary>
    ContentEncoding,
    /// <summary><c>Content-Language</c> (RFC 3261 §20.13).</summary>
    ContentLanguage,
    /// <summary><c>Content-Length</c> (RFC 3261 §20.14). Compact form <c>l</c>.</summary>
    ContentLength,
    /// <summary><c>Content-Type</c> (RFC 3261 §20.15). Compact form <c>c</c>.</summary>
    ContentType,
    /// <summary><c>CSeq</c> (RFC 3261 §20.16).</summary>
    CSeq,
    /// <summary><c>Date</c> (RFC 3261 §20.17).</summary>
    Date,
    /// <summary><c>Error-Info</c> (RFC 3261 §20.18).</summary>
    ErrorInfo,
    /// <summary><c>Event</c> (RFC 6665). Compact form <c>o</c>.</summary>
    Event,
    /// <summary><c>Expires</c> (RFC 3261 §20.19).</summary>
    Expires,
    /// <summary><c>From</c> (RFC 3261 §20.20). Compact form <c>f</c>.</summary>
    From,
    /// <summary><c>History-Info</c> (RFC 7044).</summary>
    HistoryInfo,
    /// <summary><c>Identity</c> (RFC 8224). Compact form <c>y</c>.</summary>
    Identity,
    /// <summary><c>Identity-Info</c> (RFC 4474, obsoleted by RFC 8224; still registered and still seen). Compact form <c>n</c>.</summary>
    IdentityInfo,
    /// <summary><c>In-Reply-To</c> (RFC 3261 §20.21).</summary>
    InReplyTo,
    /// <summary><c>Max-Forwards</c> (RFC 3261 §20.22).</summary>
    MaxForwards,
    /// <summary><c>MIME-Version</c> (RFC 3261 §20.24).</summary>
    MimeVersion,
    /// <summary><c>Min-Expires</c> (RFC 3261 §20.23).</summary>
    MinExpires,
    /// <summary><c>Min-SE</c> (RFC 4028).</summary>
    MinSE,
    /// <summary><c>Organization</c> (RFC 3261 §20.25).</summary>
    Organization,
    /// <summary><c>P-Access-Network-Info</c> (RFC 7315).</summary>
    PAccessNetworkInfo,
    /// <summary><c>P-Asserted-Identity</c> (RFC 3325).</summary>
    PAssertedIdentity,
    /// <summary><c>P-Associated-URI</c> (RFC 7315).</summary>
    PAssociatedUri,
    /// <summary><c>P-Called-Party-ID</c> (RFC 7315).</summary>
    PCalledPartyId,
    /// <summary><c>P-Charging-Function-Addresses</c> (RFC 7315).</summary>
    PChargingFunctionAddresses,
    /// <summary><c>P-Charging-Vector</c> (RFC 7315).</summary>
    PChargingVector,
    /// <summary><c>P-Preferred-Identity</c> (RFC 3325).</summary>
    PPreferredIdentity,
    /// <summary><c>P-Visited-Network-ID</c> (RFC 7315).</summary>
    PVisitedNetworkId,
    /// <summary><c>Path</c> (RFC 3327).</summary>
    Path,
    /// <summary><c>Priority</c> (RFC 3261 §20.26).</summary>
    Priority,
    /// <summary><c>Privacy</c> (RFC 3323).</summary>
    Privacy,
    /// <summary><c>Proxy-Authenticate</c> (RFC 3261 §20.27).</summary>
    ProxyAuthenticate,
    /// <summary><c>Proxy-Authorization</c> (RFC 3261 §20.28).</summary>
    ProxyAuthorization,
    /// <summary><c>Proxy-Require</c> (RFC 3261 §20.29).</summary>
    ProxyRequire,
    /// <summary><c>RAck</c> (RFC 3262).</summary>
    RAck,
    /// <summary><c>Reason</c> (RFC 3326).</summary>
    Reason,
    /// <summary><c>Record-Route</c> (RFC 3261 §20.30).</summary>
    RecordRoute,
    /// <summary><c>Refer-To</c> (RFC 3515). Compact form <c>r</c>.</summary>
    ReferTo,
    /// <summary><c>Referred-By</c> (RFC 3892). Compact form <c>b</c>.</summary>
    ReferredBy,
    /// <summary><c>Reject-Contact</c> (RFC 3841). Compact form <c>j</c>.</summary>
    RejectContact,
    /// <summary><c>Replaces</c> (RFC 3891).</summary>
    Replaces,
    /// <summary><c>Reply-To</c> (RFC 3261 §20.31).</summary>
    ReplyTo,
    /// <summary><c>Request-Disposition</c> (RFC 3841). Compact form <c>d</c>.</summary>
    RequestDisposition,
    /// <summary><c>Require</c> (RFC 3261 §20.32).</summary>
    Require,
    /// <summary><c>Retry-After</c> (RFC 3261 §20.33).</summary>
    RetryAfter,
    /// <summary><c>Route</c> (RFC 3261 §20.34).</summary>
    Route,
    /// <summary><c>RSeq</c> (RFC 3262).</summary>
    RSeq,
    /// <summary><c>Security-Client</c> (RFC 3329).</summary>
    SecurityClient,
    /// <summary><c>Security-Server</c> (RFC 3329).</summary>
    SecurityServer,
    /// <summary><c>Security-Verify</c> (RFC 3329).</summary>
    SecurityVerify,
    /// <summary><c>Server</c> (RFC 3261 §20.35).</summary>
    Server,
    /// <summary><c>Service-Route</c> (RFC 3608).</summary>
    ServiceRoute,
    /// <summary><c>Session-Expires</c> (RFC 4028). Compact form <c>x</c>.</summary>
    SessionExpires,
    /// <summary><c>Session-ID</c> (RFC 7989).</summary>
    SessionId,
    /// <summary><c>SIP-ETag</c> (RFC 3903).</summary>
    SipETag,
    /// <summary><c>SIP-If-Match</c> (RFC 3903).</summary>
    SipIfMatch,
    /// <summary><c>Subject</c> (RFC 3261 §20.36). Compact form <c>s</c>.</summary>
    Subject,
    /// <summary><c>Subscription-State</c> (RFC 6665).</summary>
    SubscriptionState,
    /// <summary><c>Supported</c> (RFC 3261 §20.37). Compact form <c>k</c>.</summary>
    Supported,
    /// <summary><c>Timestamp</c> (RFC 3261 §20.38).</summary>
    Timestamp,
    /// <summary><c>To</c> (RFC 3261 §20.39). Compact form <c>t</c>.</summary>
    To,
    /// <summary><c>Unsupported</c> (RFC 3261 §20.40).</summary>
    Unsupported,
    /// <summary><c>User-Agent</c> (RFC 3261 §20.41).</summary>
    UserAgent,
    /// <summary><c>Via</c> (RFC 3261 §20.42). Compact form <c>v</c>.</summary>
    Via,
    /// <summary><c>Warning</c> (RFC 3261 §20.43).</summary>
    Warning,
    /// <summary><c>WWW-Authenticate</c> (RFC 3261 §20.44).</summary>
    WwwAuthenticate,
    /// <summary><c>X-CID</c> (not registered; a cross-leg call correlator many B2BUAs add).</summary>
    XCid,
    /// <summary><c>X-OTel-traceparent</c> (this library: W3C traceparent in the X-OTel style).</summary>
    XOTelTraceparent,
    /// <summary><c>X-OTel-tracestate</c> (this library: W3C tracestate in the X-OTel style).</summary>
    XOTelTracestate,
    /// <summary><c>X-OTel-baggage</c> (this library: W3C baggage in the X-OTel style).</summary>
    XOTelBaggage,
    /// <summary><c>P-OTel-Traceparent</c> (this library: W3C traceparent in the IMS private-header style).</summary>
    POTelTraceparent,
    /// <summary><c>P-OTel-Tracestate</c> (this library: W3C tracestate in the IMS private-header style).</summary>
    POTelTracestate,
}
