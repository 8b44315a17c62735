using System.Diagnostics;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Instrumentation.Internal;

// Tag writing for the spans the tracer starts: the attributes every request span carries, and how they
// are appended.
internal sealed partial class CallSpans
{
    private static string DirectionValue(SipDirection direction) =>
        direction == SipDirection.In ? SipAttributes.DirectionValues.In : SipAttributes.DirectionValues.Out;

    private static string Text(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value);

    // Each byte widened to a char: distinct Call-IDs stay distinct whatever bytes they hold.
    private static string CallIdText(ReadOnlySpan<byte> callId) => Encoding.Latin1.GetString(callId);

    private static void SetCommonRequestTags(StartTags tags, in RecordedMessage message, in SipSpanHeaders headers, string? trustMode)
    {
        ref readonly SipMessageFacts facts = ref message.Facts;
        tags.Add(SipAttributes.Cseq, (long)facts.CSeq);
        if (!facts.Branch.IsEmpty)
        {
            tags.Add(SipAttributes.Branch, Text(facts.Branch));
        }

        tags.Add(SipAttributes.Direction, DirectionValue(message.Direction));
        if (NetworkTransport.FromVia(facts.TopVia) is { } transport)
        {
            tags.Add(OtelAttributes.NetworkTransport, transport);
        }

        if (SipValueScanner.TryGetHostPort(facts.RequestUri, out ReadOnlySpan<byte> host, out int port))
        {
            tags.Add(OtelAttributes.ServerAddress, Text(host));
            if (port > 0)
            {
                tags.Add(OtelAttributes.ServerPort, port);
            }
        }

        // Cross-leg correlators: a B2BUA changes the Call-ID, these survive it.
        if (!headers.SessionId.IsEmpty)
        {
            tags.Add(SipAttributes.SessionId, Text(SipValueScanner.FindSessionUuid(headers.SessionId)));
        }

        if (!headers.XCid.IsEmpty)
        {
            tags.Add(SipAttributes.XCid, Text(headers.XCid));
        }

        if (!headers.ChargingVector.IsEmpty)
        {
            ReadOnlySpan<byte> icid = SipValueScanner.FindChargingId(headers.ChargingVector);
            if (!icid.IsEmpty)
            {
                tags.Add(ImsAttributes.Icid, Text(icid));
            }
        }

        if (trustMode is not null)
        {
            tags.Add(SipAttributes.TrustMode, trustMode);
        }
    }

    /// <summary>
    /// Writes the tracer's tags on a span it has just started. <see cref="Activity.SetTag"/> first walks the
    /// span's tags for one of the same name; the tracer writes each name once, so on a span that has no tags
    /// yet (no sampler attributes) each is appended instead. Tags written later (the caller's, enrichers',
    /// a response's) still replace.
    /// </summary>
    private readonly struct StartTags
    {
        private readonly Activity _activity;
        private readonly bool _append;

        public StartTags(Activity activity)
        {
            _activity = activity;
            _append = IsUntagged(activity);
        }

        public void Add(string name, object value)
        {
            if (_append)
            {
                _activity.AddTag(name, value);
            }
            else
            {
                _activity.SetTag(name, value);
            }
        }

        private static bool IsUntagged(Activity activity)
        {
            foreach (KeyValuePair<string, object?> tag in activity.EnumerateTagObjects())
            {
                return false;
            }

            return true;
        }
    }

    private static void SetSpanTags(Activity activity, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            activity.SetTag(tag.Key, tag.Value);
        }
    }
}
