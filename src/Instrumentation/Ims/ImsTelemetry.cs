using System.Diagnostics;
using System.Globalization;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;
using SipTraceContext.Sip.Ims;
using SipTraceContext.Sip.Sdp;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// Starting the IMS spans on the package's one activity source (<see cref="SipTelemetry"/>) and reading their
/// attributes from the SIP message.
/// </summary>
internal static class ImsTelemetry
{
    /// <summary>
    /// Starts an activity with exactly the given parent (a root when it is <c>default</c>), never the
    /// ambient <see cref="Activity.Current"/>, and leaves <see cref="Activity.Current"/> as it was. A span
    /// its sampler drops is not started (<see cref="SipTelemetry.Start"/>): <see langword="null"/>.
    /// <paramref name="context"/> is what the span propagates: its own, or <paramref name="parent"/> when
    /// nobody listens, so the trace is not cut at a node that does not trace.
    /// </summary>
    public static Activity? Start(string name, ActivityKind kind, in ActivityContext parent, ActivityLink[]? links, out ActivityContext context)
    {
        Activity? previous = Activity.Current;
        Activity.Current = null;
        try
        {
            Activity? activity = SipTelemetry.Start(name, kind, parent, links, startTime: default, out context);
            if (context == default)
            {
                context = parent;
            }

            return activity;
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>The status code as an <c>error.type</c> value.</summary>
    public static string ErrorType(int code) => code.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Adds the attributes of <paramref name="facts"/> read from the message to the activity; the subscriber
    /// identities (<c>ims.impu</c>, <c>ims.calling_party</c>, <c>ims.called_party</c>) as the node's privacy mode allows.
    /// </summary>
    public static void Describe(Activity activity, ReadOnlySpan<byte> message, ImsFacts facts, AddressFormatter addresses)
    {
        var reader = new SipMessageReader(message);
        if (!reader.HeadersComplete)
        {
            return;
        }

        if (reader.IsRequest)
        {
            activity.SetTag(SipAttributes.Method, Text(reader.Method));
        }

        if (reader.TryGetHeader(KnownSipHeader.CallId, out ReadOnlySpan<byte> callId))
        {
            activity.SetTag(SipAttributes.CallId, Text(callId));
        }

        ReadOnlySpan<byte> from = default;
        bool hasFrom = reader.TryGetHeader(KnownSipHeader.From, out ReadOnlySpan<byte> fromValue) && TryGetAddressUri(fromValue, out from);

        if ((facts & ImsFacts.Impu) != 0)
        {
            if (reader.TryGetHeader(KnownSipHeader.PPreferredIdentity, out ReadOnlySpan<byte> ppi) && SipIdentityList.TryGetFirstUri(ppi, out ReadOnlySpan<byte> impu))
            {
                activity.SetTag(ImsAttributes.Impu, addresses.FormatUri(impu));
            }
            else if (hasFrom)
            {
                activity.SetTag(ImsAttributes.Impu, addresses.FormatUri(from));
            }
        }

        if ((facts & ImsFacts.CallingParty) != 0)
        {
            if (reader.TryGetHeader(KnownSipHeader.PAssertedIdentity, out ReadOnlySpan<byte> pai) && SipIdentityList.TryGetFirstUri(pai, out ReadOnlySpan<byte> calling))
            {
                activity.SetTag(ImsAttributes.CallingParty, addresses.FormatUri(calling));
            }
            else if (hasFrom)
            {
                activity.SetTag(ImsAttributes.CallingParty, addresses.FormatUri(from));
            }
        }

        if ((facts & ImsFacts.CalledParty) != 0)
        {
            if (reader.IsRequest && !reader.RequestUri.IsEmpty)
            {
                activity.SetTag(ImsAttributes.CalledParty, addresses.FormatUri(reader.RequestUri));
            }
            else if (reader.TryGetHeader(KnownSipHeader.To, out ReadOnlySpan<byte> toValue) && TryGetAddressUri(toValue, out ReadOnlySpan<byte> to))
            {
                activity.SetTag(ImsAttributes.CalledParty, addresses.FormatUri(to));
            }
        }

        if ((facts & ImsFacts.AccessType) != 0
            && reader.TryGetHeader(KnownSipHeader.PAccessNetworkInfo, out ReadOnlySpan<byte> pani)
            && PAccessNetworkInfo.TryParse(pani, out PAccessNetworkInfo info)
            && !info.AccessType.IsEmpty)
        {
            activity.SetTag(ImsAttributes.AccessType, Text(info.AccessType));
        }

        // The call tracer's lenient reading, not PChargingVector's (which rejects an unquoted base64 icid and a value
        // with one malformed parameter): the same header must give the same ims.icid on both kinds of span.
        if ((facts & ImsFacts.Icid) != 0 && reader.TryGetHeader(KnownSipHeader.PChargingVector, out ReadOnlySpan<byte> pcv))
        {
            ReadOnlySpan<byte> icid = SipValueScanner.FindChargingId(pcv);
            if (!icid.IsEmpty)
            {
                activity.SetTag(ImsAttributes.Icid, Text(icid));
            }
        }

        if ((facts & ImsFacts.Sdp) != 0 && !reader.Body.IsEmpty)
        {
            ReadOnlySpan<byte> body = reader.Body;
            if (SdpReader.TryGetFirstAudioCodec(body, out ReadOnlySpan<byte> codec))
            {
                activity.SetTag(ImsAttributes.SdpCodec, Text(codec));
            }

            if (SdpReader.TryGetBandwidthKbps(body, out long kbps))
            {
                activity.SetTag(ImsAttributes.SdpBandwidth, kbps);
            }
        }
    }

    /// <summary>Reads the access type of the message's P-Access-Network-Info, or <c>null</c>.</summary>
    public static string? ReadAccessType(ReadOnlySpan<byte> message)
    {
        var reader = new SipMessageReader(message);
        return reader.HeadersComplete
            && reader.TryGetHeader(KnownSipHeader.PAccessNetworkInfo, out ReadOnlySpan<byte> pani)
            && PAccessNetworkInfo.TryParse(pani, out PAccessNetworkInfo info)
            && !info.AccessType.IsEmpty
            ? Text(info.AccessType)
            : null;
    }

    private static bool TryGetAddressUri(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> uri)
    {
        if (SipNameAddress.TryParse(value, out SipNameAddress address) && !address.Uri.IsEmpty)
        {
            uri = address.Uri;
            return true;
        }

        uri = default;
        return false;
    }

    private static string Text(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value);

}

/// <summary>Which attributes a span reads from its message.</summary>
[Flags]
internal enum ImsFacts
{
    None = 0,
    Impu = 1,
    CallingParty = 2,
    CalledParty = 4,
    AccessType = 8,
    Icid = 16,
    Sdp = 32,
}

/// <summary>What an <see cref="ImsSpan"/> is, which decides what its result code means and what it records.</summary>
internal enum ImsSpanRole
{
    PcscfRegister,
    PcscfInvite,
    IpsecSetup,
    RxAar,
    CscfRequest,
    ScscfInvite,
    HssQuery,
    IfcEval,
    AsInvoke,
}
