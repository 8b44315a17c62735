using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CallTraceDemo;

/// <summary>Renders the calls' traces as indented waterfalls, then the metrics summary, as plain text.</summary>
public static class WaterfallRenderer
{
    private const int NameWidth = 44;

    public static string Render(IReadOnlyList<CallTrace> calls, MetricsSummary metrics, DemoOptions options, IReadOnlyList<string> errors)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"CallTraceDemo: caller -> P-CSCF -> S-CSCF -> callee over UDP on 127.0.0.1, {options.Style} trace headers");
        int shown = 0;
        foreach (CallTrace call in calls.OrderBy(c => c.Index))
        {
            if (shown++ == 8 && calls.Count > 8)
            {
                text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"... {calls.Count - 8} more calls not shown");
                break;
            }

            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"trace {call.TraceId}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  {"span",-NameWidth} {"node",-8} {"start",9} {"duration",9}  status");
            Append(text, call.Root, 1);
        }

        text.AppendLine().AppendLine("metrics (OpenTelemetry SDK, sip.* instruments of both proxies summed)");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"  setup latency     answered {metrics.AnsweredCalls}: p50 ~{metrics.SetupP50Ms:0.0} ms, p95 ~{metrics.SetupP95Ms:0.0} ms (from buckets), max {metrics.SetupMaxMs:0.0} ms");
        text.AppendLine("  responses         " + Join(metrics.ResponsesByCode));
        text.AppendLine("  failures          " + (metrics.FailuresByReason.Count == 0 ? "none" : Join(metrics.FailuresByReason)));
        text.AppendLine(CultureInfo.InvariantCulture, $"  retransmissions   {metrics.Retransmissions}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  active calls      {metrics.ActiveCalls}");
        if (errors.Count > 0)
        {
            text.AppendLine().AppendLine("errors");
            foreach (string error in errors)
            {
                text.AppendLine("  " + error);
            }
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, SpanNode span, int depth)
    {
        string indent = new(' ', depth * 2);
        string name = indent + span.Name + (span.Kind is ActivityKind.Server or ActivityKind.Client ? $" [{span.Kind.ToString().ToLowerInvariant()}]" : string.Empty);
        string status = span.Status switch
        {
            ActivityStatusCode.Error => "ERROR " + span.StatusDescription,
            ActivityStatusCode.Ok => "ok",
            _ => "unset",
        };
        text.AppendLine(CultureInfo.InvariantCulture, $"{name,-(NameWidth + 2)} {span.Node,-8} {Ms(span.Offset),9} {Duration(span.Duration),9}  {status}");
        foreach ((string eventName, TimeSpan offset) in span.Events)
        {
            string label = (indent + "  · " + eventName).PadRight(NameWidth + 2);
            text.AppendLine(CultureInfo.InvariantCulture, $"{label} {string.Empty,-8} {Ms(offset),9}");
        }

        foreach (SpanNode child in span.Children)
        {
            Append(text, child, depth + 1);
        }
    }

    private static string Duration(TimeSpan t) => t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + "ms";

    private static string Ms(TimeSpan t) => (t.TotalMilliseconds >= 0 ? "+" : string.Empty) + t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + "ms";

    private static string Join(IReadOnlyDictionary<string, long> counts) =>
        string.Join(", ", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"));
}
