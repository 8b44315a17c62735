using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using SipTraceContext.Capture;
using SipTraceContext.Instrumentation;
using Xunit.Abstractions;

namespace SipTraceContext.Docs.Tests;

/// <summary>
/// Scrapes a real OpenTelemetry Prometheus exporter (the AspNetCore package deploy/prometheus/README.md
/// shows, default options) in-process on 127.0.0.1, after a call tracer and a HEP capture listener have
/// recorded every call-tracer and capture metric, and checks the README's series table and every series
/// the alert rules select on against what the scrape actually shows.
/// </summary>
public sealed partial class PrometheusScrapeTests(ITestOutputHelper output)
{
    private const string Via = "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=";

    [Fact]
    public async Task The_readme_and_the_alert_rules_name_what_a_real_scrape_shows()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddSipInstrumentation().AddPrometheusExporter());
        await using WebApplication app = builder.Build();
        app.MapPrometheusScrapingEndpoint();
        await app.StartAsync();
        string endpoint = app.Urls.First() + "/metrics";

        using SipCallTracer tracer = Record();
        using var listener = new HepCaptureListener(new HepCaptureOptions { Address = "127.0.0.1", Port = 0 });
        await listener.StartAsync(CancellationToken.None);
        using (var agent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            agent.SendTo("not a HEP packet"u8.ToArray(), listener.LocalEndPoint!);
        }

        using var http = new HttpClient();
        Dictionary<string, List<Dictionary<string, string>>> scrape = [];
        string text = string.Empty;
        for (int attempt = 0; attempt < 50 && !scrape.ContainsKey("sip_capture_packet_dropped_total"); attempt++)
        {
            await Task.Delay(200);
            text = await http.GetStringAsync(endpoint);
            scrape = Parse(text);
        }

        output.WriteLine(text);

        await listener.StopAsync(CancellationToken.None);

        // Every sample of our instruments carries the meter's name and version as scope labels.
        var ours = scrape.Where(kv => kv.Key.StartsWith("sip_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ours);
        Assert.All(ours.SelectMany(kv => kv.Value), labels => Assert.Equal("SipTraceContext", labels["otel_scope_name"]));
        Assert.All(ours.SelectMany(kv => kv.Value), labels => Assert.Matches(@"^\d+\.\d+\.\d+$", labels["otel_scope_version"]));

        string readme = File.ReadAllText(Path.Combine(RepositoryRoot, "deploy/prometheus/README.md"));
        Assert.Contains("otel_scope_name=\"SipTraceContext\"", readme, StringComparison.Ordinal);

        // The README's table: each series exists, with exactly the attribute labels the table lists.
        var rows = ReadmeRows(readme).ToList();
        Assert.True(rows.Count >= 11, $"expected the README's series table, found {rows.Count} rows");
        foreach ((string series, string[] labels) in rows)
        {
            Assert.True(scrape.TryGetValue(series, out var samples), $"README names {series}; the scrape has: {string.Join(", ", scrape.Keys.Order())}");
            var seen = samples!.SelectMany(s => s.Keys).Where(k => k is not ("otel_scope_name" or "otel_scope_version" or "otel_scope_schema_url")).ToHashSet();
            Assert.True(seen.SetEquals(labels), $"{series}: README lists [{string.Join(", ", labels)}], the scrape has [{string.Join(", ", seen.Order())}]");
        }

        // Every series the alert rules and their promtool tests select on is in the scrape.
        foreach (string file in new[] { "deploy/prometheus/sip-alerts.rules.yml", "deploy/prometheus/sip-alerts.test.yml" })
        {
            string rules = File.ReadAllText(Path.Combine(RepositoryRoot, file));
            foreach (string series in SeriesName().Matches(rules).Select(m => m.Value).Distinct())
            {
                Assert.True(scrape.ContainsKey(series), $"{file} selects on {series}, which the exporter does not write");
            }
        }
    }

    [Fact]
    public void The_readme_table_lists_every_sip_metric_of_the_conventions_with_its_unit()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot, "deploy/prometheus/README.md"));
        string section = readme[readme.IndexOf("## Metric names as the exporter writes them", StringComparison.Ordinal)..];
        var listed = section.Split('\n')
            .Where(l => l.StartsWith("| `sip.", StringComparison.Ordinal))
            .Select(l => l.Split('|'))
            .ToDictionary(c => InstrumentName().Match(c[1]).Groups[1].Value, c => c[2]);
        var model = typeof(Conventions.SipMetrics).GetNestedTypes()
            .ToDictionary(t => (string)t.GetField("Name")!.GetValue(null)!, t => (string)t.GetField("Unit")!.GetValue(null)!);

        Assert.Equal(model.Keys.Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));
        Assert.All(model, m => Assert.Contains($"`{m.Value}`", listed[m.Key], StringComparison.Ordinal));
    }

    /// <summary>A tracer that recorded every one of its metrics; disposing it would remove its instruments from the scrape.</summary>
    private static SipCallTracer Record()
    {
        var tracer = new SipCallTracer(new SipCallTracerOptions { MaxTrackedCalls = 2 });

        // An answered call over UDP (with a retransmitted INVITE), torn down.
        tracer.Record(Invite("answered", "z9hG4bKa1"), SipDirection.In);
        tracer.Record(Invite("answered", "z9hG4bKa1"), SipDirection.In);
        tracer.Record(Response(200, "OK", "answered", 1, "INVITE", "z9hG4bKa1"), SipDirection.Out);
        tracer.Record(Bye("answered", "z9hG4bKa2"), SipDirection.In);
        tracer.Record(Response(200, "OK", "answered", 2, "BYE", "z9hG4bKa2"), SipDirection.Out);

        // A busy call, a malformed message, and enough new calls to evict one.
        tracer.Record(Invite("busy", "z9hG4bKb1"), SipDirection.In);
        tracer.Record(Response(486, "Busy Here", "busy", 1, "INVITE", "z9hG4bKb1"), SipDirection.Out);
        tracer.Record("garbage\r\n\r\n"u8, SipDirection.In);
        for (int i = 0; i < 4; i++)
        {
            tracer.Record(Invite($"pending-{i}", $"z9hG4bKp{i}"), SipDirection.In);
        }

        return tracer;
    }

    private static byte[] Invite(string callId, string branch) => Message(
        "INVITE sip:bob@example.com SIP/2.0", branch, callId, "1 INVITE", toTag: null);

    private static byte[] Bye(string callId, string branch) => Message(
        "BYE sip:alice@192.0.2.10:5060 SIP/2.0", branch, callId, "2 BYE", toTag: "b1");

    private static byte[] Response(int status, string reason, string callId, int cseq, string method, string branch) => Message(
        $"SIP/2.0 {status} {reason}", branch, callId, $"{cseq} {method}", toTag: "b1");

    private static byte[] Message(string startLine, string branch, string callId, string cseq, string? toTag) => Encoding.ASCII.GetBytes(
        $"{startLine}\r\n{Via}{branch}\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
        + $"To: <sip:bob@example.com>{(toTag is null ? string.Empty : ";tag=" + toTag)}\r\nCall-ID: {callId}\r\nCSeq: {cseq}\r\n"
        + "Contact: <sip:alice@192.0.2.10:5060>\r\nContent-Length: 0\r\n\r\n");

    /// <summary>Sample name -> the label sets of its samples, from the Prometheus text format.</summary>
    private static Dictionary<string, List<Dictionary<string, string>>> Parse(string text)
    {
        var result = new Dictionary<string, List<Dictionary<string, string>>>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            Match sample = Sample().Match(line);
            Assert.True(sample.Success, $"not a sample line: {line}");
            var labels = Label().Matches(sample.Groups["labels"].Value).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
            if (!result.TryGetValue(sample.Groups["name"].Value, out var list))
            {
                result[sample.Groups["name"].Value] = list = [];
            }

            list.Add(labels);
        }

        return result;
    }

    /// <summary>
    /// The rows of the README's "Metric names as the exporter writes them" table: the first series named in
    /// the third column (and for a histogram its <c>_sum</c> and <c>_count</c>) and the labels of the fourth.
    /// </summary>
    private static IEnumerable<(string Series, string[] Labels)> ReadmeRows(string readme)
    {
        string section = readme[readme.IndexOf("## Metric names as the exporter writes them", StringComparison.Ordinal)..];
        foreach (string line in section.Split('\n').Where(l => l.StartsWith("| `sip.", StringComparison.Ordinal)))
        {
            string[] cells = line.Split('|');
            string[] names = [.. Backticked().Matches(cells[3]).Select(m => m.Groups[1].Value)];
            string[] labels = [.. LabelCell().Matches(cells[4]).Select(m => m.Groups[1].Value)];
            string first = names[0];
            if (first.EndsWith("_bucket", StringComparison.Ordinal))
            {
                string stem = first[..^"_bucket".Length];
                yield return (first, labels);
                yield return (stem + "_sum", labels.Where(l => l != "le").ToArray());
                yield return (stem + "_count", labels.Where(l => l != "le").ToArray());
            }
            else
            {
                yield return (first, labels);
            }
        }
    }

    private static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SipTraceContext.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SipTraceContext.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? \S+( \d+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();

    [GeneratedRegex(@"`([a-z_]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"`([a-z_.]+)`")]
    private static partial Regex InstrumentName();

    /// <summary>A label name in the README's label column: a backticked name, optionally followed by example values in parentheses.</summary>
    [GeneratedRegex(@"`([a-z_]+)`(?![^(]*\))")]
    private static partial Regex LabelCell();

    /// <summary>A series name in the rules: our namespace, then sample names (not label names, which follow a '{' or ',' or '(' as keys).</summary>
    [GeneratedRegex(@"\bsip_[a-z_]+(?:_total|_bucket|_seconds|_milliseconds|_active|_limit)\b(?!\s*[=!]~?)")]
    private static partial Regex SeriesName();
}
