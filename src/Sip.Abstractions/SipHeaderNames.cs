#if NET
using System.Numerics;
#endif
using System.Runtime.CompilerServices;
using System.Text;

namespace SipTraceContext.Sip;

/// <summary>
/// Canonical SIP header field names, as <see cref="string"/> constants and as UTF-8 spans, their
/// registered compact forms, and name matching that follows RFC 3261 §7.3: header names are
/// case-insensitive and a compact form names the same header as its long form.
/// </summary>
/// <remarks>
/// <para>
/// The compact forms are those in the IANA "Session Initiation Protocol (SIP) Parameters" registry,
/// "Header Fields" table: RFC 3261 §7.3.3 assigns <c>c e f i k l m s t v</c>; later RFCs added
/// <c>a</c> (Accept-Contact), <c>b</c> (Referred-By), <c>d</c> (Request-Disposition),
/// <c>j</c> (Reject-Contact), <c>n</c> (Identity-Info), <c>o</c> (Event), <c>r</c> (Refer-To),
/// <c>u</c> (Allow-Events), <c>x</c> (Session-Expires) and <c>y</c> (Identity).
/// </para>
/// <para>Every lookup here allocates nothing.</para>
/// </remarks>
public static partial class SipHeaderNames
{
    /// <summary><c>Accept</c> (RFC 3261 §20.1).</summary>
    public const string Accept = "Accept";

    /// <summary><c>Accept</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> AcceptUtf8 => "Accept"u8;

    /// <summary><c>Accept-Contact</c> (RFC 3841). Compact form <c>a</c>.</summary>
    public const string AcceptContact = "Accept-Contact";

    /// <summary><c>Accept-Contact</c> as UTF-8 bytes. Compact form <c>a</c>.</summary>
    public static ReadOnlySpan<byte> AcceptContactUtf8 => "Accept-Contact"u8;

    /// <summary><c>Accept-Encoding</c> (RFC 3261 §20.2).</summary>
    public const string AcceptEncoding = "Accept-Encoding";

    /// <summary><c>Accept-Encoding</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> AcceptEncodingUtf8 => "Accept-Encoding"u8;

    /// <summary><c>Accept-Language</c> (RFC 3261 §20.3).</summary>
    public const string AcceptLanguage = "Accept-Language";

    /// <summary><c>Accept-Language</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> AcceptLanguageUtf8 => "Accept-Language"u8;

    /// <summary><c>Alert-Info</c> (RFC 3261 §20.4).</summary>
    public const string AlertInfo = "Alert-Info";

    /// <summary><c>Alert-Info</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> AlertInfoUtf8 => "Alert-Info"u8;

    /// <summary><c>Allow</c> (RFC 3261 §20.5).</summary>
    public const string Allow = "Allow";

    /// <summary><c>Allow</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> AllowUtf8 => "Allow"u8;

    /// <summary><c>Allow-Events</c> (RFC 6665). Compact form <c>u</c>.</summary>
    public const string AllowEvents = "Allow-Events";

    /// <summary><c>Allow-Events</c> as UTF-8 bytes. Compact form <c>u</c>.</summary>
    public static ReadOnlySpan<byte> AllowEventsUtf8 => "Allow-Events"u8;

    /// <summary><c>Authentication-Info</c> (RFC 3261 §20.6).</summary>
    public const string AuthenticationInfo = "Authentication-Info";

    /// <summary><c>Authentication-Info</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> AuthenticationInfoUtf8 => "Authentication-Info"u8;

    /// <summary><c>Authorization</c> (RFC 3261 §20.7).</summary>
    public const string Authorization = "Authorization";

    /// <summary><c>Authorization</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> AuthorizationUtf8 => "Authorization"u8;

    /// <summary><c>Call-ID</c> (RFC 3261 §20.8). Compact form <c>i</c>.</summary>
    public const string CallId = "Call-ID";

    /// <summary><c>Call-ID</c> as UTF-8 bytes. Compact form <c>i</c>.</summary>
    public static ReadOnlySpan<byte> CallIdUtf8 => "Call-ID"u8;

    /// <summary><c>Call-Info</c> (RFC 3261 §20.9).</summary>
    public const string CallInfo = "Call-Info";

    /// <summary><c>Call-Info</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> CallInfoUtf8 => "Call-Info"u8;

    /// <summary><c>Contact</c> (RFC 3261 §20.10). Compact form <c>m</c>.</summary>
    public const string Contact = "Contact";

    /// <summary><c>Contact</c> as UTF-8 bytes. Compact form <c>m</c>.</summary>
    public static ReadOnlySpan<byte> ContactUtf8 => "Contact"u8;

    /// <summary><c>Content-Disposition</c> (RFC 3261 §20.11).</summary>
    public const string ContentDisposition = "Content-Disposition";

    /// <summary><c>Content-Disposition</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ContentDispositionUtf8 => "Content-Disposition"u8;

    /// <summary><c>Content-Encoding</c> (RFC 3261 §20.12). Compact form <c>e</c>.</summary>
    public const string ContentEncoding = "Content-Encoding";

    /// <summary><c>Content-Encoding</c> as UTF-8 bytes. Compact form <c>e</c>.</summary>
    public static ReadOnlySpan<byte> ContentEncodingUtf8 => "Content-Encoding"u8;

    /// <summary><c>Content-Language</c> (RFC 3261 §20.13).</summary>
    public const string ContentLanguage = "Content-Language";

    /// <summary><c>Content-Language</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ContentLanguageUtf8 => "Content-Language"u8;

    /// <summary><c>Content-Length</c> (RFC 3261 §20.14). Compact form <c>l</c>.</summary>
    public const string ContentLength = "Content-Length";

    /// <summary><c>Content-Length</c> as UTF-8 bytes. Compact form <c>l</c>.</summary>
    public static ReadOnlySpan<byte> ContentLengthUtf8 => "Content-Length"u8;

    /// <summary><c>Content-Type</c> (RFC 3261 §20.15). Compact form <c>c</c>.</summary>
    public const string ContentType = "Content-Type";

    /// <summary><c>Content-Type</c> as UTF-8 bytes. Compact form <c>c</c>.</summary>
    public static ReadOnlySpan<byte> ContentTypeUtf8 => "Content-Type"u8;

    /// <summary><c>CSeq</c> (RFC 3261 §20.16).</summary>
    public const string CSeq = "CSeq";

    /// <summary><c>CSeq</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> CSeqUtf8 => "CSeq"u8;

    /// <summary><c>Date</c> (RFC 3261 §20.17).</summary>
    public const string Date = "Date";

    /// <summary><c>Date</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> DateUtf8 => "Date"u8;

    /// <summary><c>Error-Info</c> (RFC 3261 §20.18).</summary>
    public const string ErrorInfo = "Error-Info";

    /// <summary><c>Error-Info</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ErrorInfoUtf8 => "Error-Info"u8;

    /// <summary><c>Event</c> (RFC 6665). Compact form <c>o</c>.</summary>
    public const string Event = "Event";

    /// <summary><c>Event</c> as UTF-8 bytes. Compact form <c>o</c>.</summary>
    public static ReadOnlySpan<byte> EventUtf8 => "Event"u8;

    /// <summary><c>Expires</c> (RFC 3261 §20.19).</summary>
    public const string Expires = "Expires";

    /// <summary><c>Expires</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ExpiresUtf8 => "Expires"u8;

    /// <summary><c>From</c> (RFC 3261 §20.20). Compact form <c>f</c>.</summary>
    public const string From = "From";

    /// <summary><c>From</c> as UTF-8 bytes. Compact form <c>f</c>.</summary>
    public static ReadOnlySpan<byte> FromUtf8 => "From"u8;

    /// <summary><c>History-Info</c> (RFC 7044).</summary>
    public const string HistoryInfo = "History-Info";

    /// <summary><c>History-Info</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> HistoryInfoUtf8 => "History-Info"u8;

    /// <summary><c>Identity</c> (RFC 8224). Compact form <c>y</c>.</summary>
    public const string Identity = "Identity";

    /// <summary><c>Identity</c> as UTF-8 bytes. Compact form <c>y</c>.</summary>
    public static ReadOnlySpan<byte> IdentityUtf8 => "Identity"u8;

    /// <summary><c>Identity-Info</c> (RFC 4474, obsoleted by RFC 8224; still registered and still seen). Compact form <c>n</c>.</summary>
    public const string IdentityInfo = "Identity-Info";

    /// <summary><c>Identity-Info</c> as UTF-8 bytes. Compact form <c>n</c>.</summary>
    public static ReadOnlySpan<byte> IdentityInfoUtf8 => "Identity-Info"u8;

    /// <summary><c>In-Reply-To</c> (RFC 3261 §20.21).</summary>
    public const string InReplyTo = "In-Reply-To";

    /// <summary><c>In-Reply-To</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> InReplyToUtf8 => "In-Reply-To"u8;

    /// <summary><c>Max-Forwards</c> (RFC 3261 §20.22).</summary>
    public const string MaxForwards = "Max-Forwards";

    /// <summary><c>Max-Forwards</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> MaxForwardsUtf8 => "Max-Forwards"u8;

    /// <summary><c>MIME-Version</c> (RFC 3261 §20.24).</summary>
    public const string MimeVersion = "MIME-Version";

    /// <summary><c>MIME-Version</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> MimeVersionUtf8 => "MIME-Version"u8;

    /// <summary><c>Min-Expires</c> (RFC 3261 §20.23).</summary>
    public const string MinExpires = "Min-Expires";

    /// <summary><c>Min-Expires</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> MinExpiresUtf8 => "Min-Expires"u8;

    /// <summary><c>Min-SE</c> (RFC 4028).</summary>
    public const string MinSE = "Min-SE";

    /// <summary><c>Min-SE</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> MinSEUtf8 => "Min-SE"u8;

    /// <summary><c>Organization</c> (RFC 3261 §20.25).</summary>
    public const string Organization = "Organization";

    /// <summary><c>Organization</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> OrganizationUtf8 => "Organization"u8;

    /// <summary><c>P-Access-Network-Info</c> (RFC 7315).</summary>
    public const string PAccessNetworkInfo = "P-Access-Network-Info";

    /// <summary><c>P-Access-Network-Info</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PAccessNetworkInfoUtf8 => "P-Access-Network-Info"u8;

    /// <summary><c>P-Asserted-Identity</c> (RFC 3325).</summary>
    public const string PAssertedIdentity = "P-Asserted-Identity";

    /// <summary><c>P-Asserted-Identity</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PAssertedIdentityUtf8 => "P-Asserted-Identity"u8;

    /// <summary><c>P-Associated-URI</c> (RFC 7315).</summary>
    public const string PAssociatedUri = "P-Associated-URI";

    /// <summary><c>P-Associated-URI</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PAssociatedUriUtf8 => "P-Associated-URI"u8;

    /// <summary><c>P-Called-Party-ID</c> (RFC 7315).</summary>
    public const string PCalledPartyId = "P-Called-Party-ID";

    /// <summary><c>P-Called-Party-ID</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PCalledPartyIdUtf8 => "P-Called-Party-ID"u8;

    /// <summary><c>P-Charging-Function-Addresses</c> (RFC 7315).</summary>
    public const string PChargingFunctionAddresses = "P-Charging-Function-Addresses";

    /// <summary><c>P-Charging-Function-Addresses</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PChargingFunctionAddressesUtf8 => "P-Charging-Function-Addresses"u8;

    /// <summary><c>P-Charging-Vector</c> (RFC 7315).</summary>
    public const string PChargingVector = "P-Charging-Vector";

    /// <summary><c>P-Charging-Vector</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PChargingVectorUtf8 => "P-Charging-Vector"u8;

    /// <summary><c>P-Preferred-Identity</c> (RFC 3325).</summary>
    public const string PPreferredIdentity = "P-Preferred-Identity";

    /// <summary><c>P-Preferred-Identity</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PPreferredIdentityUtf8 => "P-Preferred-Identity"u8;

    /// <summary><c>P-Visited-Network-ID</c> (RFC 7315).</summary>
    public const string PVisitedNetworkId = "P-Visited-Network-ID";

    /// <summary><c>P-Visited-Network-ID</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PVisitedNetworkIdUtf8 => "P-Visited-Network-ID"u8;

    /// <summary><c>Path</c> (RFC 3327).</summary>
    public const string Path = "Path";

    /// <summary><c>Path</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PathUtf8 => "Path"u8;

    /// <summary><c>Priority</c> (RFC 3261 §20.26).</summary>
    public const string Priority = "Priority";

    /// <summary><c>Priority</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PriorityUtf8 => "Priority"u8;

    /// <summary><c>Privacy</c> (RFC 3323).</summary>
    public const string Privacy = "Privacy";

    /// <summary><c>Privacy</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> PrivacyUtf8 => "Privacy"u8;

    /// <summary><c>Proxy-Authenticate</c> (RFC 3261 §20.27).</summary>
    public const string ProxyAuthenticate = "Proxy-Authenticate";

    /// <summary><c>Proxy-Authenticate</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ProxyAuthenticateUtf8 => "Proxy-Authenticate"u8;

    /// <summary><c>Proxy-Authorization</c> (RFC 3261 §20.28).</summary>
    public const string ProxyAuthorization = "Proxy-Authorization";

    /// <summary><c>Proxy-Authorization</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ProxyAuthorizationUtf8 => "Proxy-Authorization"u8;

    /// <summary><c>Proxy-Require</c> (RFC 3261 §20.29).</summary>
    public const string ProxyRequire = "Proxy-Require";

    /// <summary><c>Proxy-Require</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ProxyRequireUtf8 => "Proxy-Require"u8;

    /// <summary><c>RAck</c> (RFC 3262).</summary>
    public const string RAck = "RAck";

    /// <summary><c>RAck</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> RAckUtf8 => "RAck"u8;

    /// <summary><c>Reason</c> (RFC 3326).</summary>
    public const string Reason = "Reason";

    /// <summary><c>Reason</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ReasonUtf8 => "Reason"u8;

    /// <summary><c>Record-Route</c> (RFC 3261 §20.30).</summary>
    public const string RecordRoute = "Record-Route";

    /// <summary><c>Record-Route</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> RecordRouteUtf8 => "Record-Route"u8;

    /// <summary><c>Refer-To</c> (RFC 3515). Compact form <c>r</c>.</summary>
    public const string ReferTo = "Refer-To";

    /// <summary><c>Refer-To</c> as UTF-8 bytes. Compact form <c>r</c>.</summary>
    public static ReadOnlySpan<byte> ReferToUtf8 => "Refer-To"u8;

    /// <summary><c>Referred-By</c> (RFC 3892). Compact form <c>b</c>.</summary>
    public const string ReferredBy = "Referred-By";

    /// <summary><c>Referred-By</c> as UTF-8 bytes. Compact form <c>b</c>.</summary>
    public static ReadOnlySpan<byte> ReferredByUtf8 => "Referred-By"u8;

    /// <summary><c>Reject-Contact</c> (RFC 3841). Compact form <c>j</c>.</summary>
    public const string RejectContact = "Reject-Contact";

    /// <summary><c>Reject-Contact</c> as UTF-8 bytes. Compact form <c>j</c>.</summary>
    public static ReadOnlySpan<byte> RejectContactUtf8 => "Reject-Contact"u8;

    /// <summary><c>Replaces</c> (RFC 3891).</summary>
    public const string Replaces = "Replaces";

    /// <summary><c>Replaces</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ReplacesUtf8 => "Replaces"u8;

    /// <summary><c>Reply-To</c> (RFC 3261 §20.31).</summary>
    public const string ReplyTo = "Reply-To";

    /// <summary><c>Reply-To</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ReplyToUtf8 => "Reply-To"u8;

    /// <summary><c>Request-Disposition</c> (RFC 3841). Compact form <c>d</c>.</summary>
    public const string RequestDisposition = "Request-Disposition";

    /// <summary><c>Request-Disposition</c> as UTF-8 bytes. Compact form <c>d</c>.</summary>
    public static ReadOnlySpan<byte> RequestDispositionUtf8 => "Request-Disposition"u8;

    /// <summary><c>Require</c> (RFC 3261 §20.32).</summary>
    public const string Require = "Require";

    /// <summary><c>Require</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> RequireUtf8 => "Require"u8;

    /// <summary><c>Retry-After</c> (RFC 3261 §20.33).</summary>
    public const string RetryAfter = "Retry-After";

    /// <summary><c>Retry-After</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> RetryAfterUtf8 => "Retry-After"u8;

    /// <summary><c>Route</c> (RFC 3261 §20.34).</summary>
    public const string Route = "Route";

    /// <summary><c>Route</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> RouteUtf8 => "Route"u8;

    /// <summary><c>RSeq</c> (RFC 3262).</summary>
    public const string RSeq = "RSeq";

    /// <summary><c>RSeq</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> RSeqUtf8 => "RSeq"u8;

    /// <summary><c>Security-Client</c> (RFC 3329).</summary>
    public const string SecurityClient = "Security-Client";

    /// <summary><c>Security-Client</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> SecurityClientUtf8 => "Security-Client"u8;

    /// <summary><c>Security-Server</c> (RFC 3329).</summary>
    public const string SecurityServer = "Security-Server";

    /// <summary><c>Security-Server</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> SecurityServerUtf8 => "Security-Server"u8;

    /// <summary><c>Security-Verify</c> (RFC 3329).</summary>
    public const string SecurityVerify = "Security-Verify";

    /// <summary><c>Security-Verify</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> SecurityVerifyUtf8 => "Security-Verify"u8;

    /// <summary><c>Server</c> (RFC 3261 §20.35).</summary>
    public const string Server = "Server";

    /// <summary><c>Server</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ServerUtf8 => "Server"u8;

    /// <summary><c>Service-Route</c> (RFC 3608).</summary>
    public const string ServiceRoute = "Service-Route";

    /// <summary><c>Service-Route</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> ServiceRouteUtf8 => "Service-Route"u8;

    /// <summary><c>Session-Expires</c> (RFC 4028). Compact form <c>x</c>.</summary>
    public const string SessionExpires = "Session-Expires";

    /// <summary><c>Session-Expires</c> as UTF-8 bytes. Compact form <c>x</c>.</summary>
    public static ReadOnlySpan<byte> SessionExpiresUtf8 => "Session-Expires"u8;

    /// <summary><c>Session-ID</c> (RFC 7989).</summary>
    public const string SessionId = "Session-ID";

    /// <summary><c>Session-ID</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> SessionIdUtf8 => "Session-ID"u8;

    /// <summary><c>SIP-ETag</c> (RFC 3903).</summary>
    public const string SipETag = "SIP-ETag";

    /// <summary><c>SIP-ETag</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> SipETagUtf8 => "SIP-ETag"u8;

    /// <summary><c>SIP-If-Match</c> (RFC 3903).</summary>
    public const string SipIfMatch = "SIP-If-Match";

    /// <summary><c>SIP-If-Match</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> SipIfMatchUtf8 => "SIP-If-Match"u8;

    /// <summary><c>Subject</c> (RFC 3261 §20.36). Compact form <c>s</c>.</summary>
    public const string Subject = "Subject";

    /// <summary><c>Subject</c> as UTF-8 bytes. Compact form <c>s</c>.</summary>
    public static ReadOnlySpan<byte> SubjectUtf8 => "Subject"u8;

    /// <summary><c>Subscription-State</c> (RFC 6665).</summary>
    public const string SubscriptionState = "Subscription-State";

    /// <summary><c>Subscription-State</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> SubscriptionStateUtf8 => "Subscription-State"u8;

    /// <summary><c>Supported</c> (RFC 3261 §20.37). Compact form <c>k</c>.</summary>
    public const string Supported = "Supported";

    /// <summary><c>Supported</c> as UTF-8 bytes. Compact form <c>k</c>.</summary>
    public static ReadOnlySpan<byte> SupportedUtf8 => "Supported"u8;

    /// <summary><c>Timestamp</c> (RFC 3261 §20.38).</summary>
    public const string Timestamp = "Timestamp";

    /// <summary><c>Timestamp</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> TimestampUtf8 => "Timestamp"u8;

    /// <summary><c>To</c> (RFC 3261 §20.39). Compact form <c>t</c>.</summary>
    public const string To = "To";

    /// <summary><c>To</c> as UTF-8 bytes. Compact form <c>t</c>.</summary>
    public static ReadOnlySpan<byte> ToUtf8 => "To"u8;

    /// <summary><c>Unsupported</c> (RFC 3261 §20.40).</summary>
    public const string Unsupported = "Unsupported";

    /// <summary><c>Unsupported</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> UnsupportedUtf8 => "Unsupported"u8;

    /// <summary><c>User-Agent</c> (RFC 3261 §20.41).</summary>
    public const string UserAgent = "User-Agent";

    /// <summary><c>User-Agent</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> UserAgentUtf8 => "User-Agent"u8;

    /// <summary><c>Via</c> (RFC 3261 §20.42). Compact form <c>v</c>.</summary>
    public const string Via = "Via";

    /// <summary><c>Via</c> as UTF-8 bytes. Compact form <c>v</c>.</summary>
    public static ReadOnlySpan<byte> ViaUtf8 => "Via"u8;

    /// <summary><c>Warning</c> (RFC 3261 §20.43).</summary>
    public const string Warning = "Warning";

    /// <summary><c>Warning</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> WarningUtf8 => "Warning"u8;

    /// <summary><c>WWW-Authenticate</c> (RFC 3261 §20.44).</summary>
    public const string WwwAuthenticate = "WWW-Authenticate";

    /// <summary><c>WWW-Authenticate</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> WwwAuthenticateUtf8 => "WWW-Authenticate"u8;

    /// <summary><c>X-CID</c> (not registered; a cross-leg call correlator many B2BUAs add).</summary>
    public const string XCid = "X-CID";

    /// <summary><c>X-CID</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> XCidUtf8 => "X-CID"u8;

    /// <summary><c>X-OTel-traceparent</c> (this library: W3C traceparent in the X-OTel style).</summary>
    public const string XOTelTraceparent = "X-OTel-traceparent";

    /// <summary><c>X-OTel-traceparent</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> XOTelTraceparentUtf8 => "X-OTel-traceparent"u8;

    /// <summary><c>X-OTel-tracestate</c> (this library: W3C tracestate in the X-OTel style).</summary>
    public const string XOTelTracestate = "X-OTel-tracestate";

    /// <summary><c>X-OTel-tracestate</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> XOTelTracestateUtf8 => "X-OTel-tracestate"u8;

    /// <summary><c>X-OTel-baggage</c> (this library: W3C baggage in the X-OTel style).</summary>
    public const string XOTelBaggage = "X-OTel-baggage";

    /// <summary><c>X-OTel-baggage</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> XOTelBaggageUtf8 => "X-OTel-baggage"u8;

    /// <summary><c>P-OTel-Traceparent</c> (this library: W3C traceparent in the IMS private-header style).</summary>
    public const string POTelTraceparent = "P-OTel-Traceparent";

    /// <summary><c>P-OTel-Traceparent</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> POTelTraceparentUtf8 => "P-OTel-Traceparent"u8;

    /// <summary><c>P-OTel-Tracestate</c> (this library: W3C tracestate in the IMS private-header style).</summary>
    public const string POTelTracestate = "P-OTel-Tracestate";

    /// <summary><c>P-OTel-Tracestate</c> as UTF-8 bytes.</summary>
    public static ReadOnlySpan<byte> POTelTracestateUtf8 => "P-OTel-Tracestate"u8;

    /// <summary>
    /// Finds the known header that <paramref name="name"/> names, in any letter case, long or compact form.
    /// </summary>
    /// <param name="name">A header field name as UTF-8 bytes, without the colon or surrounding whitespace.</param>
    /// <returns>The header, or <see cref="KnownSipHeader.Unknown"/>.</returns>
    public static KnownSipHeader GetKnownHeader(ReadOnlySpan<byte> name)
    {
        KnownSipHeader candidate = GetCandidate(name);
        return candidate == KnownSipHeader.Unknown || name.Length == 1 || Ascii.EqualsIgnoreCase(name, GetNameUtf8(candidate))
            ? candidate
            : KnownSipHeader.Unknown;
    }

    /// <summary>
    /// Finds the known header that <paramref name="name"/> names, in any letter case, long or compact form.
    /// </summary>
    /// <param name="name">A header field name, without the colon or surrounding whitespace.</param>
    /// <returns>The header, or <see cref="KnownSipHeader.Unknown"/>.</returns>
    public static KnownSipHeader GetKnownHeader(ReadOnlySpan<char> name)
    {
        KnownSipHeader candidate = GetCandidate(name);
        return candidate == KnownSipHeader.Unknown || name.Length == 1 || Ascii.EqualsIgnoreCase(name, GetNameUtf8(candidate))
            ? candidate
            : KnownSipHeader.Unknown;
    }

    // Picks the only known header that could have this name: switch on the length, then on a letter
    // that tells the names of that length apart (case folded by OR-ing 0x20). The caller confirms
    // the whole name; a one-letter name is a compact form and needs no confirmation.
    private static KnownSipHeader GetCandidate<TChar>(ReadOnlySpan<TChar> name)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged
#endif
    {
            KnownSipHeader candidate;
            switch (name.Length)
            {
                case 1:
                    return FromCompactForm(At(name, 0));
                case 2: // To
                    candidate = KnownSipHeader.To;
                    break;
                case 3: // Via
                    candidate = KnownSipHeader.Via;
                    break;
                case 4: // CSeq, Date, From, Path, RAck, RSeq
                    switch (At(name, 0) | 0x20)
                    {
                        case 'c':
                            candidate = KnownSipHeader.CSeq;
                            break;
                        case 'd':
                            candidate = KnownSipHeader.Date;
                            break;
                        case 'f':
                            candidate = KnownSipHeader.From;
                            break;
                        case 'p':
                            candidate = KnownSipHeader.Path;
                            break;
                        case 'r':
                            switch (At(name, 1) | 0x20)
                            {
                                case 'a':
                                    candidate = KnownSipHeader.RAck;
                                    break;
                                case 's':
                                    candidate = KnownSipHeader.RSeq;
                                    break;
                                default:
                                    return KnownSipHeader.Unknown;
                            }
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 5: // Allow, Event, Route, X-CID
                    switch (At(name, 0) | 0x20)
                    {
                        case 'a':
                            candidate = KnownSipHeader.Allow;
                            break;
                        case 'e':
                            candidate = KnownSipHeader.Event;
                            break;
                        case 'r':
                            candidate = KnownSipHeader.Route;
                            break;
                        case 'x':
                            candidate = KnownSipHeader.XCid;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 6: // Accept, Min-SE, Reason, Server
                    switch (At(name, 0) | 0x20)
                    {
                        case 'a':
                            candidate = KnownSipHeader.Accept;
                            break;
                        case 'm':
                            candidate = KnownSipHeader.MinSE;
                            break;
                        case 'r':
                            candidate = KnownSipHeader.Reason;
                            break;
                        case 's':
                            candidate = KnownSipHeader.Server;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 7: // Call-ID, Contact, Expires, Privacy, Require, Subject, Warning
                    switch (At(name, 2) | 0x20)
                    {
                        case 'b':
                            candidate = KnownSipHeader.Subject;
                            break;
                        case 'i':
                            candidate = KnownSipHeader.Privacy;
                            break;
                        case 'l':
                            candidate = KnownSipHeader.CallId;
                            break;
                        case 'n':
                            candidate = KnownSipHeader.Contact;
                            break;
                        case 'p':
                            candidate = KnownSipHeader.Expires;
                            break;
                        case 'q':
                            candidate = KnownSipHeader.Require;
                            break;
                        case 'r':
                            candidate = KnownSipHeader.Warning;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 8: // Identity, Priority, Refer-To, Replaces, Reply-To, SIP-ETag
                    switch (At(name, 3) | 0x20)
                    {
                        case '-':
                            candidate = KnownSipHeader.SipETag;
                            break;
                        case 'e':
                            candidate = KnownSipHeader.ReferTo;
                            break;
                        case 'l':
                            switch (At(name, 4) | 0x20)
                            {
                                case 'a':
                                    candidate = KnownSipHeader.Replaces;
                                    break;
                                case 'y':
                                    candidate = KnownSipHeader.ReplyTo;
                                    break;
                                default:
                                    return KnownSipHeader.Unknown;
                            }
                            break;
                        case 'n':
                            candidate = KnownSipHeader.Identity;
                            break;
                        case 'o':
                            candidate = KnownSipHeader.Priority;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 9: // Call-Info, Supported, Timestamp
                    switch (At(name, 0) | 0x20)
                    {
                        case 'c':
                            candidate = KnownSipHeader.CallInfo;
                            break;
                        case 's':
                            candidate = KnownSipHeader.Supported;
                            break;
                        case 't':
                            candidate = KnownSipHeader.Timestamp;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 10: // Alert-Info, Error-Info, Session-ID, User-Agent
                    switch (At(name, 0) | 0x20)
                    {
                        case 'a':
                            candidate = KnownSipHeader.AlertInfo;
                            break;
                        case 'e':
                            candidate = KnownSipHeader.ErrorInfo;
                            break;
                        case 's':
                            candidate = KnownSipHeader.SessionId;
                            break;
                        case 'u':
                            candidate = KnownSipHeader.UserAgent;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 11: // In-Reply-To, Min-Expires, Referred-By, Retry-After, Unsupported
                    switch (At(name, 2) | 0x20)
                    {
                        case '-':
                            candidate = KnownSipHeader.InReplyTo;
                            break;
                        case 'f':
                            candidate = KnownSipHeader.ReferredBy;
                            break;
                        case 'n':
                            candidate = KnownSipHeader.MinExpires;
                            break;
                        case 's':
                            candidate = KnownSipHeader.Unsupported;
                            break;
                        case 't':
                            candidate = KnownSipHeader.RetryAfter;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 12: // Allow-Events, Content-Type, History-Info, Max-Forwards, MIME-Version, Organization, Record-Route, SIP-If-Match
                    switch (At(name, 2) | 0x20)
                    {
                        case 'c':
                            candidate = KnownSipHeader.RecordRoute;
                            break;
                        case 'g':
                            candidate = KnownSipHeader.Organization;
                            break;
                        case 'l':
                            candidate = KnownSipHeader.AllowEvents;
                            break;
                        case 'm':
                            candidate = KnownSipHeader.MimeVersion;
                            break;
                        case 'n':
                            candidate = KnownSipHeader.ContentType;
                            break;
                        case 'p':
                            candidate = KnownSipHeader.SipIfMatch;
                            break;
                        case 's':
                            candidate = KnownSipHeader.HistoryInfo;
                            break;
                        case 'x':
                            candidate = KnownSipHeader.MaxForwards;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 13: // Authorization, Identity-Info, Proxy-Require, Service-Route
                    switch (At(name, 0) | 0x20)
                    {
                        case 'a':
                            candidate = KnownSipHeader.Authorization;
                            break;
                        case 'i':
                            candidate = KnownSipHeader.IdentityInfo;
                            break;
                        case 'p':
                            candidate = KnownSipHeader.ProxyRequire;
                            break;
                        case 's':
                            candidate = KnownSipHeader.ServiceRoute;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 14: // Accept-Contact, Content-Length, Reject-Contact, X-OTel-baggage
                    switch (At(name, 0) | 0x20)
                    {
                        case 'a':
                            candidate = KnownSipHeader.AcceptContact;
                            break;
                        case 'c':
                            candidate = KnownSipHeader.ContentLength;
                            break;
                        case 'r':
                            candidate = KnownSipHeader.RejectContact;
                            break;
                        case 'x':
                            candidate = KnownSipHeader.XOTelBaggage;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 15: // Accept-Encoding, Accept-Language, Security-Client, Security-Server, Security-Verify, Session-Expires
                    switch (At(name, 14) | 0x20)
                    {
                        case 'e':
                            candidate = KnownSipHeader.AcceptLanguage;
                            break;
                        case 'g':
                            candidate = KnownSipHeader.AcceptEncoding;
                            break;
                        case 'r':
                            candidate = KnownSipHeader.SecurityServer;
                            break;
                        case 's':
                            candidate = KnownSipHeader.SessionExpires;
                            break;
                        case 't':
                            candidate = KnownSipHeader.SecurityClient;
                            break;
                        case 'y':
                            candidate = KnownSipHeader.SecurityVerify;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 16: // Content-Encoding, Content-Language, P-Associated-URI, WWW-Authenticate
                    switch (At(name, 10) | 0x20)
                    {
                        case 'c':
                            candidate = KnownSipHeader.ContentEncoding;
                            break;
                        case 'e':
                            candidate = KnownSipHeader.PAssociatedUri;
                            break;
                        case 'n':
                            candidate = KnownSipHeader.ContentLanguage;
                            break;
                        case 't':
                            candidate = KnownSipHeader.WwwAuthenticate;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 17: // P-Called-Party-ID, P-Charging-Vector, X-OTel-tracestate, P-OTel-Tracestate
                    switch (At(name, 3) | 0x20)
                    {
                        case 'a':
                            candidate = KnownSipHeader.PCalledPartyId;
                            break;
                        case 'h':
                            candidate = KnownSipHeader.PChargingVector;
                            break;
                        case 't':
                            switch (At(name, 0) | 0x20)
                            {
                                case 'p':
                                    candidate = KnownSipHeader.POTelTracestate;
                                    break;
                                case 'x':
                                    candidate = KnownSipHeader.XOTelTracestate;
                                    break;
                                default:
                                    return KnownSipHeader.Unknown;
                            }
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 18: // Proxy-Authenticate, Subscription-State, X-OTel-traceparent, P-OTel-Traceparent
                    switch (At(name, 0) | 0x20)
                    {
                        case 'p':
                            switch (At(name, 1) | 0x20)
                            {
                                case '-':
                                    candidate = KnownSipHeader.POTelTraceparent;
                                    break;
                                case 'r':
                                    candidate = KnownSipHeader.ProxyAuthenticate;
                                    break;
                                default:
                                    return KnownSipHeader.Unknown;
                            }
                            break;
                        case 's':
                            candidate = KnownSipHeader.SubscriptionState;
                            break;
                        case 'x':
                            candidate = KnownSipHeader.XOTelTraceparent;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 19: // Authentication-Info, Content-Disposition, P-Asserted-Identity, Proxy-Authorization, Request-Disposition
                    switch (At(name, 1) | 0x20)
                    {
                        case '-':
                            candidate = KnownSipHeader.PAssertedIdentity;
                            break;
                        case 'e':
                            candidate = KnownSipHeader.RequestDisposition;
                            break;
                        case 'o':
                            candidate = KnownSipHeader.ContentDisposition;
                            break;
                        case 'r':
                            candidate = KnownSipHeader.ProxyAuthorization;
                            break;
                        case 'u':
                            candidate = KnownSipHeader.AuthenticationInfo;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 20: // P-Preferred-Identity, P-Visited-Network-ID
                    switch (At(name, 2) | 0x20)
                    {
                        case 'p':
                            candidate = KnownSipHeader.PPreferredIdentity;
                            break;
                        case 'v':
                            candidate = KnownSipHeader.PVisitedNetworkId;
                            break;
                        default:
                            return KnownSipHeader.Unknown;
                    }
                    break;
                case 21: // P-Access-Network-Info
                    candidate = KnownSipHeader.PAccessNetworkInfo;
                    break;
                case 29: // P-Charging-Function-Addresses
                    candidate = KnownSipHeader.PChargingFunctionAddresses;
                    break;
                default:
                    return KnownSipHeader.Unknown;
            }

            return candidate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int At<TChar>(ReadOnlySpan<TChar> name, int index)
#if NET
        where TChar : unmanaged, IBinaryInteger<TChar>
#else
        where TChar : unmanaged
#endif
        => int.CreateTruncating(name[index]);

    // ---- name <-> KnownSipHeader tables ----

    /// <summary>The canonical spelling of <paramref name="header"/> as UTF-8, or empty for <see cref="KnownSipHeader.Unknown"/>.</summary>
    /// <param name="header">A known header.</param>
    /// <returns>The canonical name; empty when <paramref name="header"/> is not a defined known header.</returns>
    public static ReadOnlySpan<byte> GetNameUtf8(KnownSipHeader header) =>
        header switch
        {
            KnownSipHeader.Accept => "Accept"u8,
            KnownSipHeader.AcceptContact => "Accept-Contact"u8,
            KnownSipHeader.AcceptEncoding => "Accept-Encoding"u8,
            KnownSipHeader.AcceptLanguage => "Accept-Language"u8,
            KnownSipHeader.AlertInfo => "Alert-Info"u8,
            KnownSipHeader.Allow => "Allow"u8,
            KnownSipHeader.AllowEvents => "Allow-Events"u8,
            KnownSipHeader.AuthenticationInfo => "Authentication-Info"u8,
            KnownSipHeader.Authorization => "Authorization"u8,
            KnownSipHeader.CallId => "Call-ID"u8,
            KnownSipHeader.CallInfo => "Call-Info"u8,
            KnownSipHeader.Contact => "Contact"u8,
            KnownSipHeader.ContentDisposition => "Content-Disposition"u8,
            KnownSipHeader.ContentEncoding => "Content-Encoding"u8,
            KnownSipHeader.ContentLanguage => "Content-Language"u8,
            KnownSipHeader.ContentLength => "Content-Length"u8,
            KnownSipHeader.ContentType => "Content-Type"u8,
            KnownSipHeader.CSeq => "CSeq"u8,
            KnownSipHeader.Date => "Date"u8,
            KnownSipHeader.ErrorInfo => "Error-Info"u8,
            KnownSipHeader.Event => "Event"u8,
            KnownSipHeader.Expires => "Expires"u8,
            KnownSipHeader.From => "From"u8,
            KnownSipHeader.HistoryInfo => "History-Info"u8,
            KnownSipHeader.Identity => "Identity"u8,
            KnownSipHeader.IdentityInfo => "Identity-Info"u8,
            KnownSipHeader.InReplyTo => "In-Reply-To"u8,
            KnownSipHeader.MaxForwards => "Max-Forwards"u8,
            KnownSipHeader.MimeVersion => "MIME-Version"u8,
            KnownSipHeader.MinExpires => "Min-Expires"u8,
            KnownSipHeader.MinSE => "Min-SE"u8,
            KnownSipHeader.Organization => "Organization"u8,
            KnownSipHeader.PAccessNetworkInfo => "P-Access-Network-Info"u8,
            KnownSipHeader.PAssertedIdentity => "P-Asserted-Identity"u8,
            KnownSipHeader.PAssociatedUri => "P-Associated-URI"u8,
            KnownSipHeader.PCalledPartyId => "P-Called-Party-ID"u8,
            KnownSipHeader.PChargingFunctionAddresses => "P-Charging-Function-Addresses"u8,
            KnownSipHeader.PChargingVector => "P-Charging-Vector"u8,
            KnownSipHeader.PPreferredIdentity => "P-Preferred-Identity"u8,
            KnownSipHeader.PVisitedNetworkId => "P-Visited-Network-ID"u8,
            KnownSipHeader.Path => "Path"u8,
            KnownSipHeader.Priority => "Priority"u8,
            KnownSipHeader.Privacy => "Privacy"u8,
            KnownSipHeader.ProxyAuthenticate => "Proxy-Authenticate"u8,
            KnownSipHeader.ProxyAuthorization => "Proxy-Authorization"u8,
            KnownSipHeader.ProxyRequire => "Proxy-Require"u8,
            KnownSipHeader.RAck => "RAck"u8,
            KnownSipHeader.Reason => "Reason"u8,
            KnownSipHeader.RecordRoute => "Record-Route"u8,
            KnownSipHeader.ReferTo => "Refer-To"u8,
            KnownSipHeader.ReferredBy => "Referred-By"u8,
            KnownSipHeader.RejectContact => "Reject-Contact"u8,
            KnownSipHeader.Replaces => "Replaces"u8,
            KnownSipHeader.ReplyTo => "Reply-To"u8,
            KnownSipHeader.RequestDisposition => "Request-Disposition"u8,
            KnownSipHeader.Require => "Require"u8,
            KnownSipHeader.RetryAfter => "Retry-After"u8,
            KnownSipHeader.Route => "Route"u8,
            KnownSipHeader.RSeq => "RSeq"u8,
            KnownSipHeader.SecurityClient => "Security-Client"u8,
            KnownSipHeader.SecurityServer => "Security-Server"u8,
            KnownSipHeader.SecurityVerify => "Security-Verify"u8,
            KnownSipHeader.Server => "Server"u8,
            KnownSipHeader.ServiceRoute => "Service-Route"u8,
            KnownSipHeader.SessionExpires => "Session-Expires"u8,
            KnownSipHeader.SessionId => "Session-ID"u8,
            KnownSipHeader.SipETag => "SIP-ETag"u8,
            KnownSipHeader.SipIfMatch => "SIP-If-Match"u8,
            KnownSipHeader.Subject => "Subject"u8,
            KnownSipHeader.SubscriptionState => "Subscription-State"u8,
            KnownSipHeader.Supported => "Supported"u8,
            KnownSipHeader.Timestamp => "Timestamp"u8,
            KnownSipHeader.To => "To"u8,
            KnownSipHeader.Unsupported => "Unsupported"u8,
            KnownSipHeader.UserAgent => "User-Agent"u8,
            KnownSipHeader.Via => "Via"u8,
            KnownSipHeader.Warning => "Warning"u8,
            KnownSipHeader.WwwAuthenticate => "WWW-Authenticate"u8,
            KnownSipHeader.XCid => "X-CID"u8,
            KnownSipHeader.XOTelTraceparent => "X-OTel-traceparent"u8,
            KnownSipHeader.XOTelTracestate => "X-OTel-tracestate"u8,
            KnownSipHeader.XOTelBaggage => "X-OTel-baggage"u8,
            KnownSipHeader.POTelTraceparent => "P-OTel-Traceparent"u8,
            KnownSipHeader.POTelTracestate => "P-OTel-Tracestate"u8,
            _ => [],
        };

    /// <summary>The canonical spelling of <paramref name="header"/>, or <see langword="null"/> for <see cref="KnownSipHeader.Unknown"/>.</summary>
    /// <param name="header">A known header.</param>
    /// <returns>The canonical name (a cached constant), or <see langword="null"/> when <paramref name="header"/> is not a defined known header.</returns>
    public static string? GetName(KnownSipHeader header) =>
        header switch
        {
            KnownSipHeader.Accept => Accept,
            KnownSipHeader.AcceptContact => AcceptContact,
            KnownSipHeader.AcceptEncoding => AcceptEncoding,
            KnownSipHeader.AcceptLanguage => AcceptLanguage,
            KnownSipHeader.AlertInfo => AlertInfo,
            KnownSipHeader.Allow => Allow,
            KnownSipHeader.AllowEvents => AllowEvents,
            KnownSipHeader.AuthenticationInfo => AuthenticationInfo,
            KnownSipHeader.Authorization => Authorization,
            KnownSipHeader.CallId => CallId,
            KnownSipHeader.CallInfo => CallInfo,
            KnownSipHeader.Contact => Contact,
            KnownSipHeader.ContentDisposition => ContentDisposition,
            KnownSipHeader.ContentEncoding => ContentEncoding,
            KnownSipHeader.ContentLanguage => ContentLanguage,
            KnownSipHeader.ContentLength => ContentLength,
            KnownSipHeader.ContentType => ContentType,
            KnownSipHeader.CSeq => CSeq,
            KnownSipHeader.Date => Date,
            KnownSipHeader.ErrorInfo => ErrorInfo,
            KnownSipHeader.Event => Event,
            KnownSipHeader.Expires => Expires,
            KnownSipHeader.From => From,
            KnownSipHeader.HistoryInfo => HistoryInfo,
            KnownSipHeader.Identity => Identity,
            KnownSipHeader.IdentityInfo => IdentityInfo,
            KnownSipHeader.InReplyTo => InReplyTo,
            KnownSipHeader.MaxForwards => MaxForwards,
            KnownSipHeader.MimeVersion => MimeVersion,
            KnownSipHeader.MinExpires => MinExpires,
            KnownSipHeader.MinSE => MinSE,
            KnownSipHeader.Organization => Organization,
            KnownSipHeader.PAccessNetworkInfo => PAccessNetworkInfo,
            KnownSipHeader.PAssertedIdentity => PAssertedIdentity,
            KnownSipHeader.PAssociatedUri => PAssociatedUri,
            KnownSipHeader.PCalledPartyId => PCalledPartyId,
            KnownSipHeader.PChargingFunctionAddresses => PChargingFunctionAddresses,
            KnownSipHeader.PChargingVector => PChargingVector,
            KnownSipHeader.PPreferredIdentity => PPreferredIdentity,
            KnownSipHeader.PVisitedNetworkId => PVisitedNetworkId,
            KnownSipHeader.Path => Path,
            KnownSipHeader.Priority => Priority,
            KnownSipHeader.Privacy => Privacy,
            KnownSipHeader.ProxyAuthenticate => ProxyAuthenticate,
            KnownSipHeader.ProxyAuthorization => ProxyAuthorization,
            KnownSipHeader.ProxyRequire => ProxyRequire,
            KnownSipHeader.RAck => RAck,
            KnownSipHeader.Reason => Reason,
            KnownSipHeader.RecordRoute => RecordRoute,
            KnownSipHeader.ReferTo => ReferTo,
            KnownSipHeader.ReferredBy => ReferredBy,
            KnownSipHeader.RejectContact => RejectContact,
            KnownSipHeader.Replaces => Replaces,
            KnownSipHeader.ReplyTo => ReplyTo,
            KnownSipHeader.RequestDisposition => RequestDisposition,
            KnownSipHeader.Require => Require,
            KnownSipHeader.RetryAfter => RetryAfter,
            KnownSipHeader.Route => Route,
            KnownSipHeader.RSeq => RSeq,
            KnownSipHeader.SecurityClient => SecurityClient,
            KnownSipHeader.SecurityServer => SecurityServer,
            KnownSipHeader.SecurityVerify => SecurityVerify,
            KnownSipHeader.Server => Server,
            KnownSipHeader.ServiceRoute => ServiceRoute,
            KnownSipHeader.SessionExpires => SessionExpires,
            KnownSipHeader.SessionId => SessionId,
            KnownSipHeader.SipETag => SipETag,
            KnownSipHeader.SipIfMatch => SipIfMatch,
            KnownSipHeader.Subject => Subject,
            KnownSipHeader.SubscriptionState => SubscriptionState,
            KnownSipHeader.Supported => Supported,
            KnownSipHeader.Timestamp => Timestamp,
            KnownSipHeader.To => To,
            KnownSipHeader.Unsupported => Unsupported,
            KnownSipHeader.UserAgent => UserAgent,
            KnownSipHeader.Via => Via,
            KnownSipHeader.Warning => Warning,
            KnownSipHeader.WwwAuthenticate => WwwAuthenticate,
            KnownSipHeader.XCid => XCid,
            KnownSipHeader.XOTelTraceparent => XOTelTraceparent,
            KnownSipHeader.XOTelTracestate => XOTelTracestate,
            KnownSipHeader.XOTelBaggage => XOTelBaggage,
            KnownSipHeader.POTelTraceparent => POTelTraceparent,
            KnownSipHeader.POTelTracestate => POTelTracestate,
            _ => null,
        };

    /// <summary>The registered compact form of <paramref name="header"/> as a lower-case ASCII letter, or 0 when it has none.</summary>
    /// <param name="header">A known header.</param>
    /// <returns>The compact form letter, or 0.</returns>
    public static byte GetCompactForm(KnownSipHeader header) =>
        header switch
        {
            KnownSipHeader.AcceptContact => (byte)'a',
            KnownSipHeader.AllowEvents => (byte)'u',
            KnownSipHeader.CallId => (byte)'i',
            KnownSipHeader.Contact => (byte)'m',
            KnownSipHeader.ContentEncoding => (byte)'e',
            KnownSipHeader.ContentLength => (byte)'l',
            KnownSipHeader.ContentType => (byte)'c',
            KnownSipHeader.Event => (byte)'o',
            KnownSipHeader.From => (byte)'f',
            KnownSipHeader.Identity => (byte)'y',
            KnownSipHeader.IdentityInfo => (byte)'n',
            KnownSipHeader.ReferTo => (byte)'r',
            KnownSipHeader.ReferredBy => (byte)'b',
            KnownSipHeader.RejectContact => (byte)'j',
            KnownSipHeader.RequestDisposition => (byte)'d',
            KnownSipHeader.SessionExpires => (byte)'x',
            KnownSipHeader.Subject => (byte)'s',
            KnownSipHeader.Supported => (byte)'k',
            KnownSipHeader.To => (byte)'t',
            KnownSipHeader.Via => (byte)'v',
            _ => 0,
        };

    /// <summary>The known header whose compact form is <paramref name="letter"/> (either case), or <see cref="KnownSipHeader.Unknown"/>.</summary>
    /// <param name="letter">A single byte or character.</param>
    /// <returns>The header, or <see cref="KnownSipHeader.Unknown"/>.</returns>
    public static KnownSipHeader FromCompactForm(int letter) =>
        // Only 'A'..'Z' and 'a'..'z' land on 'a'..'z' after OR-ing the case bit, so other bytes fall through.
        (letter | 0x20) switch
        {
            'a' => KnownSipHeader.AcceptContact,
            'b' => KnownSipHeader.ReferredBy,
            'c' => KnownSipHeader.ContentType,
            'd' => KnownSipHeader.RequestDisposition,
            'e' => KnownSipHeader.ContentEncoding,
            'f' => KnownSipHeader.From,
            'i' => KnownSipHeader.CallId,
            'j' => KnownSipHeader.RejectContact,
            'k' => KnownSipHeader.Supported,
            'l' => KnownSipHeader.ContentLength,
            'm' => KnownSipHeader.Contact,
            'n' => KnownSipHeader.IdentityInfo,
            'o' => KnownSipHeader.Event,
            'r' => KnownSipHeader.ReferTo,
            's' => KnownSipHeader.Subject,
            't' => KnownSipHeader.To,
            'u' => KnownSipHeader.AllowEvents,
            'v' => KnownSipHeader.Via,
            'x' => KnownSipHeader.SessionExpires,
            'y' => KnownSipHeader.Identity,
            _ => KnownSipHeader.Unknown,
        };
}
