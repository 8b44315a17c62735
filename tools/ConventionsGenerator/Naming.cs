using System.Text;

namespace SipTraceContext.ConventionsGenerator;

/// <summary>How model names become C# class and member names.</summary>
internal static class Naming
{
    /// <summary>
    /// <c>call_id</c> becomes <c>CallId</c>, <c>eviction.reason</c> becomes <c>EvictionReason</c>:
    /// every dot-, underscore- or dash-separated word is capitalised and the separators dropped.
    /// </summary>
    public static string Pascal(string name)
    {
        var builder = new StringBuilder(name.Length);
        var upper = true;
        foreach (var c in name)
        {
            if (c is '.' or '_' or '-')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        if (builder.Length == 0 || !char.IsLetter(builder[0]))
        {
            throw new InvalidDataException($"'{name}' does not make a C# identifier");
        }

        return builder.ToString();
    }

    /// <summary>The constant of an attribute in its group's class: the id without the group's prefix.</summary>
    public static string AttributeMember(AttributeGroup group, AttributeDefinition attribute) =>
        Pascal(attribute.Id[group.CSharpStripPrefix.Length..]);

    /// <summary>The class that holds a signal's name: <c>SipSpanNames</c>, <c>ImsMetrics</c>, ...</summary>
    public static string SignalClass(SignalGroup signal) => Pascal(signal.Namespace) + signal.Kind switch
    {
        SignalKind.Span => "SpanNames",
        SignalKind.Event => "EventNames",
        _ => "Metrics",
    };

    /// <summary>The member of a signal in its class: the name without its namespace.</summary>
    public static string SignalMember(SignalGroup signal) => Pascal(signal.Name[(signal.Namespace.Length + 1)..]);

    /// <summary>The <c>InstrumentKind</c> member the generated code uses for an OpenTelemetry instrument name.</summary>
    public static string InstrumentKind(string instrument) => instrument switch
    {
        "counter" => "Counter",
        "updowncounter" => "UpDownCounter",
        "histogram" => "Histogram",
        "gauge" => "Gauge",
        _ => throw new InvalidDataException($"unknown instrument '{instrument}'"),
    };
}
