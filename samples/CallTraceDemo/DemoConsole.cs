using System.Diagnostics;
using System.Globalization;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Propagation;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace CallTraceDemo;

/// <summary>
/// Renders a run with Spectre.Console: each trace as a waterfall table (span tree, node, start, duration, a
/// timeline bar, status), then the metrics summary. Colours and box drawing come from the console's profile,
/// so a redirected run (CI) gets plain text: no ANSI sequences, ASCII-safe borders when the encoding needs it.
/// </summary>
public static class DemoConsole
{
    /// <summary>Wide enough that no column wraps; used for the plain text and when stdout is not a terminal.</summary>
    public const int PlainWidth = 140;

    private const int TimelineWidth = 24;

    /// <summary>Below this width the timeline column is left out, so span names and statuses stay on one line.</summary>
    private const int TimelineMinConsoleWidth = 120;
    private const int ShownTraces = 8;

    /// <summary>A console for stdout: detected capabilities, but plain and wide when stdout is redirected.</summary>
    public static IAnsiConsole ForStandardOutput()
    {
        if (!Console.IsOutputRedirected)
        {
            return AnsiConsole.Console;
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        console.Profile.Width = PlainWidth;
        return console;
    }

    /// <summary>The run as plain text, exactly what a redirected run prints.</summary>
    public static string RenderPlain(DemoResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = PlainWidth;
        console.Profile.Encoding = Encoding.UTF8;
        console.Profile.Capabilities.Unicode = true;
        Render(console, result);
        return writer.ToString();
    }

    public static void Render(IAnsiConsole console, DemoResult result)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(result);
        DemoOptions options = result.Options;
        string headers = options.EffectiveStyle == SipHeaderStyle.POTel ? "P-OTel-*" : "X-OTel-*";
        string path = options.Flow == DemoFlow.Ims
            ? "IMS: UE-A registers, then calls UE-B through P-CSCF, S-CSCF, AS, I-CSCF"
            : "caller -> P-CSCF -> S-CSCF -> callee";
        string carried = options.TraceHeaders
            ? $"[bold]{headers}[/] trace headers"
            : "[bold]no trace headers[/] (each node's ids derived from the SIP messages)";
        console.MarkupLine($"[bold]CallTraceDemo[/] {Markup.Escape(path)} over UDP on 127.0.0.1, {carried}");

        List<CallTrace> ordered = [.. result.Calls.OrderBy(c => c.Index).ThenBy(c => c.Scenario)];
        foreach (CallTrace call in ordered.Take(ShownTraces))
        {
            console.WriteLine();
            WriteWaterfall(console, call);
        }

        if (ordered.Count > ShownTraces)
        {
            console.WriteLine();
            console.MarkupLine($"[grey]... {ordered.Count - ShownTraces} more traces not shown[/]");
        }

        console.WriteLine();
        if (options.Flow == DemoFlow.Ims)
        {
            console.MarkupLine("[bold]IMS metrics[/] recorded by the IMS node helpers, per node (each node's metric tag)");
            console.Write(ImsMetricsTable(result.Metrics));
        }
        else
        {
            console.MarkupLine("[bold]metrics[/] per proxy, each from its own call tracer's series (its metric tag, not summed)");
            console.Write(ProxyMetricsTable(result.Metrics));
        }

        console.MarkupLine("[grey]latency: count: p50 / p95 / max in ms from the exported histograms: count and max exact, p50 and p95 interpolated in the buckets[/]");

        if (result.Errors.Count > 0)
        {
            console.WriteLine();
            console.MarkupLine("[red bold]errors[/]");
            foreach (string error in result.Errors)
            {
                console.MarkupLine($"  [red]{Markup.Escape(error)}[/]");
            }
        }
    }

    private static void WriteWaterfall(IAnsiConsole console, CallTrace call)
    {
        string flow = call.Scenario is CallScenario.ImsRegistration or CallScenario.ImsCall
            ? $"{Caller.Describe(call.Scenario)} {call.Index + 1}"
            : $"call {call.Index + 1}";
        console.MarkupLine($"[bold]{Markup.Escape(flow)}[/]  trace {call.TraceId}");
        bool timeline = console.Profile.Width >= TimelineMinConsoleWidth;
        var table = new Table()
            .Border(TableBorder.Horizontal)
            .AddColumn(new TableColumn("span").NoWrap())
            .AddColumn("node")
            .AddColumn(new TableColumn("start").RightAligned())
            .AddColumn(new TableColumn("duration").RightAligned());
        if (timeline)
        {
            table.AddColumn("timeline");
        }

        table.AddColumn("status");
        double total = Math.Max(call.Root.DescendantsAndSelf().Max(s => (s.Offset + s.Duration).TotalMilliseconds), 0.001);
        Glyphs glyphs = console.Profile.Capabilities.Unicode ? Glyphs.Unicode : Glyphs.Ascii;
        AddSpan(table, call.Root, string.Empty, string.Empty, total, timeline, glyphs);
        console.Write(table);
    }

    /// <summary>One span's row, its events' rows, then its children, with tree guides in the name column.</summary>
    private static void AddSpan(Table table, SpanNode span, string guide, string childIndent, double total, bool timeline, Glyphs glyphs)
    {
        string kind = span.Kind is ActivityKind.Server or ActivityKind.Client ? $" [grey][[{span.Kind.ToString().ToLowerInvariant()}]][/]" : string.Empty;
        bool failed = span.Status == ActivityStatusCode.Error;
        AddRow(
            table,
            timeline,
            new Markup($"[grey]{Markup.Escape(guide)}[/]{Markup.Escape(span.Name)}{kind}"),
            new Markup($"[cyan]{Markup.Escape(span.Node)}[/]"),
            new Text(Offset(span.Offset)),
            DurationCell(span.Duration),
            new Markup($"[{(failed ? "red" : "green")}]{Bar(span.Offset.TotalMilliseconds, span.Duration.TotalMilliseconds, total, glyphs)}[/]"),
            StatusCell(span));

        string eventIndent = childIndent + (span.Children.Count > 0 ? glyphs.Pipe : "   ");
        foreach ((string name, TimeSpan offset) in span.Events)
        {
            AddRow(
                table,
                timeline,
                new Markup($"[grey]{Markup.Escape(eventIndent)}{glyphs.Event} {Markup.Escape(name)}[/]"),
                Text.Empty,
                new Markup($"[grey]{Offset(offset)}[/]"),
                Text.Empty,
                new Markup($"[grey]{Marker(offset.TotalMilliseconds, total, glyphs)}[/]"),
                Text.Empty);
        }

        for (int i = 0; i < span.Children.Count; i++)
        {
            bool last = i == span.Children.Count - 1;
            AddSpan(table, span.Children[i], childIndent + (last ? glyphs.LastBranch : glyphs.Branch), childIndent + (last ? "   " : glyphs.Pipe), total, timeline, glyphs);
        }
    }

    private static void AddRow(Table table, bool timeline, Markup name, Renderable node, Renderable start, Renderable duration, Markup bar, Renderable status)
    {
        if (timeline)
        {
            table.AddRow(name, node, start, duration, bar, status);
        }
        else
        {
            table.AddRow(name, node, start, duration, status);
        }
    }

    private static Markup DurationCell(TimeSpan duration)
    {
        // Thresholds of the seed's alerts, scaled to one hop: a slow hop stands out before the call does.
        string colour = duration.TotalMilliseconds switch
        {
            >= 1000 => "red",
            >= 250 => "yellow",
            _ => "default",
        };
        return new Markup($"[{colour}]{Ms(duration.TotalMilliseconds)}[/]");
    }

    private static Markup StatusCell(SpanNode span) => span.Status switch
    {
        ActivityStatusCode.Error => new Markup($"[red bold]ERROR[/] [red]{Markup.Escape(span.StatusDescription ?? string.Empty)}[/]"),
        ActivityStatusCode.Ok => new Markup("[green]ok[/]"),
        _ => new Markup("[green]unset[/]"),
    };

    private static string Bar(double start, double duration, double total, Glyphs glyphs)
    {
        int from = Math.Clamp((int)Math.Floor(start / total * TimelineWidth), 0, TimelineWidth - 1);
        int length = Math.Clamp((int)Math.Round(duration / total * TimelineWidth), 1, TimelineWidth - from);
        return new string(' ', from) + new string(glyphs.Bar, length) + new string(' ', TimelineWidth - from - length);
    }

    private static string Marker(double at, double total, Glyphs glyphs)
    {
        int position = Math.Clamp((int)Math.Floor(at / total * TimelineWidth), 0, TimelineWidth - 1);
        return new string(' ', position) + glyphs.Marker + new string(' ', TimelineWidth - position - 1);
    }

    private static Table ProxyMetricsTable(MetricsSummary metrics)
    {
        var table = new Table()
            .Border(TableBorder.Rounded)
            .AddColumn("instrument");
        foreach (ProxyMetrics proxy in metrics.Proxies)
        {
            table.AddColumn(new TableColumn($"[cyan]{Markup.Escape(proxy.Node)}[/]"));
        }

        AddRow(SipMetrics.CallSetupLatency.Name, p => Latency(p.Setup));
        AddRow(SipMetrics.CallTeardownDuration.Name, p => Latency(p.Teardown));
        AddRow(SipMetrics.ResponseCount.Name, p => Counts(p.ResponsesByCode, "default"));
        AddRow(SipMetrics.CallFailed.Name, p => p.FailuresByReason.Count == 0 ? "[green]none[/]" : Counts(p.FailuresByReason, "red"));
        AddRow(SipMetrics.MessageRetransmissions.Name, p => Number(p.Retransmissions, p.Retransmissions > 0 ? "yellow" : "default"));
        AddRow(SipMetrics.CallsActive.Name, p => Number(p.ActiveCalls, p.ActiveCalls == 0 ? "green" : "yellow"));
        return table;

        void AddRow(string instrument, Func<ProxyMetrics, string> cell) =>
            table.AddRow([new Markup(Markup.Escape(instrument)), .. metrics.Proxies.Select(p => new Markup(cell(p)))]);
    }

    private static Table ImsMetricsTable(MetricsSummary metrics)
    {
        var table = new Table()
            .Border(TableBorder.Rounded)
            .AddColumn("instrument")
            .AddColumn("node")
            .AddColumn("tag")
            .AddColumn("value");
        foreach (ImsMetric metric in metrics.Ims)
        {
            string value = metric.Latency is { } latency ? Latency(latency) : Number(metric.Value ?? 0, metric.Value == 0 ? "green" : "yellow");
            table.AddRow(
                new Markup(Markup.Escape(metric.Name)),
                new Markup($"[cyan]{Markup.Escape(metric.Node)}[/]"),
                new Markup(Markup.Escape(metric.Detail)),
                new Markup(value));
        }

        return table;
    }

    private static string Latency(LatencySummary latency) =>
        latency.Count == 0
            ? "[grey]none[/]"
            : string.Create(CultureInfo.InvariantCulture, $"{latency.Count}: {latency.P50Ms:0.0} / {latency.P95Ms:0.0} / [bold]{latency.MaxMs:0.0}[/] ms");

    private static string Counts(IReadOnlyDictionary<string, long> counts, string colour) =>
        string.Join("\n", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"[{colour}]{Markup.Escape(kv.Key)}[/]: {kv.Value}"));

    private static string Number(long value, string colour) => $"[{colour}]{value.ToString(CultureInfo.InvariantCulture)}[/]";

    private static string Ms(double milliseconds) => milliseconds.ToString("0.0", CultureInfo.InvariantCulture) + "ms";

    private static string Offset(TimeSpan t) => (t.TotalMilliseconds >= 0 ? "+" : string.Empty) + Ms(t.TotalMilliseconds);

    /// <summary>The characters of the tree guides, timeline and events; ASCII when the output encoding has no box drawing.</summary>
    private sealed record Glyphs(string Branch, string LastBranch, string Pipe, char Bar, char Marker, char Event)
    {
        public static readonly Glyphs Unicode = new("├─ ", "└─ ", "│  ", '━', '╵', '·');

        public static readonly Glyphs Ascii = new("|- ", "`- ", "|  ", '=', '\'', '-');
    }
}
