using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using SipTraceContext.Collector.Tests;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// The collector as an operator runs it: packed, installed with <c>dotnet tool install</c> from the
/// package, started with one command and a config file. Kamailio's <c>siptrace</c> mirrors an answered
/// and a busy SIPp call to it; its Prometheus scrape has the calls' series, which the real alert rules
/// (<c>deploy/prometheus</c>) evaluate under <c>promtool test rules</c>; its OTLP/HTTP exports reach a
/// receiver in the test; SIGINT stops it with exit code 0.
/// </summary>
public sealed class CollectorToolTests(ITestOutputHelper output) : InteropTest(output)
{
    private const string Job = "siptracecontext-collector";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [InteropFact]
    public Task Installed_tool_traces_Kamailio_calls_to_Prometheus_and_OTLP() => RunAsync(async () =>
    {
        using ToolPackage tool = await ToolPackage.PackAndInstallAsync();
        using var otlp = new OtlpReceiver(LoopbackPorts.NextTcp());

        // Two Kamailio nodes (one per call: each relays to a fixed callee), one capture id, one collector.
        var hep = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.NextUdp());
        var replacements = new Dictionary<string, string>
        {
            ["TRACE_HEADER"] = "X-OTel-traceparent",
            ["TRACESTATE_HEADER"] = "X-OTel-tracestate",
        };
        TraceContextSample answeredSent = TraceContextSample.Create(), busySent = TraceContextSample.Create();
        SippProcess answeredCallee = await StartSippAsync("callee-answered", "uas-answer-checked.xml", replacements: Checked(replacements, answeredSent));
        SippProcess busyCallee = await StartSippAsync("callee-busy", "uas-busy-checked.xml", replacements: Checked(replacements, busySent));
        KamailioProcess answeredProxy = await StartKamailioAsync(answeredCallee.EndPoint, hepCollector: hep);
        KamailioProcess busyProxy = await StartKamailioAsync(busyCallee.EndPoint, hepCollector: hep);

        int prometheusPort = LoopbackPorts.NextTcp();
        var settings = new Dictionary<string, object>
        {
            ["HepCapture"] = new Dictionary<string, object>
            {
                ["Address"] = "127.0.0.1",
                ["Port"] = hep.Port,
                ["NodeEndPointsByAgent"] = new Dictionary<string, string[]>
                {
                    [KamailioProcess.HepCaptureId.ToString(CultureInfo.InvariantCulture)] =
                        [answeredProxy.Trusted.ToString(), answeredProxy.Untrusted.ToString(), busyProxy.Trusted.ToString(), busyProxy.Untrusted.ToString()],
                },
            },
            ["Exporters"] = new Dictionary<string, object>
            {
                ["Prometheus"] = new Dictionary<string, string> { ["Prefix"] = $"http://127.0.0.1:{prometheusPort}/" },
                ["Otlp"] = new Dictionary<string, string> { ["Endpoint"] = $"http://127.0.0.1:{otlp.Port}/", ["Protocol"] = "HttpProtobuf" },
            },
        };

        // One command.
        CollectorProcess collectorProcess = await CollectorProcess.StartAsync(tool, "collector", settings, Transcript, Own);
        ChildProcess collector = collectorProcess.Process;
        try
        {
            await RunCallAsync("caller-answered", "uac-answered.xml", answeredProxy, answeredCallee, answeredSent);
            await RunCallAsync("caller-busy", "uac-busy.xml", busyProxy, busyCallee, busySent);

            string scrapeUri = $"http://127.0.0.1:{prometheusPort}/metrics";
            string scrape = await WaitForQuietAsync(scrapeUri);
            Output.WriteLine(scrape);
            List<Sample> samples = Sample.Parse(scrape);

            Assert.Equal(1, Value(samples, "sip_call_setup_latency_milliseconds_count"));
            Assert.Equal(1, Value(samples, "sip_call_teardown_duration_seconds_count"));
            Assert.Equal(1, Value(samples, "sip_response_count_total", ("sip_status_code", "486"), ("sip_method", "INVITE")));
            Assert.Equal(1, Value(samples, "sip_response_count_total", ("sip_status_code", "200"), ("sip_method", "INVITE")));
            Assert.Equal(1, Value(samples, "sip_response_count_total", ("sip_status_code", "200"), ("sip_method", "BYE")));
            Assert.Equal(1, Value(samples, "sip_call_failed_total", ("error_type", "486")));
            Assert.Equal(0, Value(samples, "sip_calls_active"));
            Assert.True(Value(samples, "sip_capture_packets_total") > 0, "no HEP packet counted");
            Assert.Contains(samples, s => s.Name == "sip_capture_packet_dropped_total");
            Assert.Equal(0, Value(samples, "sip_capture_packet_dropped_total"));

            await AssertRulesAsync(scrape, $"127.0.0.1:{prometheusPort}");
        }
        finally
        {
            Transcript.Note($"collector output:\n{collector.Output}");
        }

        // A graceful stop: SIGINT, exit code 0, the last exports flushed.
        await collectorProcess.InterruptAsync();
        Assert.Contains("Ready: receiving HEP on 127.0.0.1:" + hep.Port.ToString(CultureInfo.InvariantCulture), collector.Output, StringComparison.Ordinal);

        Transcript.Note($"OTLP requests: {string.Join(", ", otlp.Requests)}");
        Assert.Contains(otlp.Requests, r => r.Path == "/v1/traces" && r.ContentType == "application/x-protobuf" && r.Body.Length > 0);
        Assert.Contains(otlp.Requests, r => r.Path == "/v1/metrics" && r.ContentType == "application/x-protobuf" && r.Body.Length > 0);
        Assert.All(otlp.Requests, r => Assert.Contains(r.Path, new[] { "/v1/traces", "/v1/metrics" }));

        // Each call's setup span, and the answered call's teardown span, read back from the protobuf.
        IReadOnlyList<OtlpSpan> spans = otlp.Spans;
        Transcript.Note($"OTLP spans: {string.Join("; ", spans)}");
        Assert.Equal(2, spans.Count(s => s.Name == "sip.call.setup" && s.Kind == 2));
        Assert.Single(spans, s => s.Name == "sip.call.teardown");
        Assert.Contains(spans, s => s.Name == "sip.call.setup" && Equals(s.Attributes.GetValueOrDefault("sip.status_code"), 486L));
    });

    private static Dictionary<string, string> Checked(Dictionary<string, string> common, TraceContextSample sent) => new(common)
    {
        ["TRACEPARENT_REGEX"] = $"00-{sent.TraceId.ToHexString()}-[0-9a-f]{{16}}-[0-9a-f]{{2}}",
        ["TRACESTATE_REGEX"] = sent.TraceState,
    };

    private async Task RunCallAsync(string name, string scenario, KamailioProcess proxy, SippProcess callee, TraceContextSample sent)
    {
        await RunSippCallAsync(name, scenario, proxy.Trusted, callee, sent);
    }

    /// <summary>Scrapes until the HEP packet count stayed the same over two 500 ms rounds (Kamailio mirrors asynchronously; tm may resend).</summary>
    private static async Task<string> WaitForQuietAsync(string uri)
    {
        string scrape = string.Empty;
        double seen = -1;
        int quietRounds = 0;
        var clock = Stopwatch.StartNew();
        while (quietRounds < 2 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(500);
            scrape = await Http.GetStringAsync(new Uri(uri));
            double packets = Value(Sample.Parse(scrape), "sip_capture_packets_total");
            quietRounds = packets == seen && packets > 0 ? quietRounds + 1 : 0;
            seen = packets;
        }

        return scrape;
    }

    /// <summary>
    /// The scraped series as promtool input: this run's traffic repeated every minute for 30 minutes
    /// (counters and histograms growing by their scraped value each minute, gauges constant), with the
    /// <c>job</c> and <c>instance</c> labels Prometheus adds. The rules' expressions must select the
    /// series (the 486 and the setup latency count over 5 minutes), and at that volume (3 final
    /// responses a minute, under the error-ratio rule's 30 per 5 minutes) no alert fires. Ten times
    /// the traffic, the busy call's 486 makes the error-ratio alert fire, with its annotations, and no other.
    /// </summary>
    private async Task AssertRulesAsync(string scrape, string instance)
    {
        string rules = Path.Combine(ToolPackage.RepositoryRoot, "deploy", "prometheus", "sip-alerts.rules.yml");
        string[] alerts = [.. System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(rules), @"^\s*- alert: (\w+)", System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
        Assert.NotEmpty(alerts);

        var yaml = new StringBuilder();
        yaml.AppendLine("rule_files:").AppendLine(CultureInfo.InvariantCulture, $"  - '{rules}'");
        yaml.AppendLine("evaluation_interval: 1m").AppendLine("tests:");
        List<Sample> samples = Sample.Parse(scrape);
        AppendSeries(1);
        yaml.AppendLine("    promql_expr_test:");
        foreach (string expr in new[]
        {
            "sum by (job) (increase(sip_response_count_total{sip_status_code=\"486\"}[5m]))",
            "sum by (job) (increase(sip_call_setup_latency_milliseconds_count[5m]))",
        })
        {
            yaml.AppendLine("      - expr: '" + expr + "'").AppendLine("        eval_time: 10m").AppendLine("        exp_samples:")
                .AppendLine(CultureInfo.InvariantCulture, $"          - labels: '{{job=\"{Job}\"}}'").AppendLine("            value: 5");
        }

        yaml.AppendLine("    alert_rule_test:");
        foreach (string alert in alerts)
        {
            yaml.AppendLine("      - eval_time: 20m").AppendLine(CultureInfo.InvariantCulture, $"        alertname: {alert}").AppendLine("        exp_alerts: []");
        }

        // The same mix ten times a minute: 150 final responses in 5 minutes, a third of them the busy
        // call's 486. The error-ratio rule fires (sustained past its 10 minutes), and no other rule does.
        AppendSeries(10);
        double errors = samples.Where(s => s.Name == "sip_response_count_total" && IsStatus(s, "[45][0-9][0-9]", "401|407|487")).Sum(s => s.Value);
        double finals = samples.Where(s => s.Name == "sip_response_count_total" && IsStatus(s, "[2-6][0-9][0-9]", "401|407")).Sum(s => s.Value);
        Assert.True(errors / finals > 0.05, $"expected the 486 to be more than 5 % of the final responses, {errors} of {finals}");
        string percentage = (errors / finals * 100).ToString("G4", CultureInfo.InvariantCulture) + "%";
        yaml.AppendLine("    alert_rule_test:");
        foreach (string alert in alerts)
        {
            yaml.AppendLine("      - eval_time: 20m").AppendLine(CultureInfo.InvariantCulture, $"        alertname: {alert}");
            if (alert != "SipErrorResponseRatioHigh")
            {
                yaml.AppendLine("        exp_alerts: []");
                continue;
            }

            yaml.AppendLine("        exp_alerts:")
                .AppendLine("          - exp_labels:")
                .AppendLine("              severity: warning")
                .AppendLine(CultureInfo.InvariantCulture, $"              job: {Job}")
                .AppendLine("            exp_annotations:")
                .AppendLine(CultureInfo.InvariantCulture, $"              summary: \"SIP 4xx/5xx responses are above 5 % of final responses on {Job}\"")
                .AppendLine(CultureInfo.InvariantCulture, $"              description: \"{percentage} of the final SIP responses on {Job} over the last 5 minutes were 4xx/5xx (excluding 401, 407 and 487; threshold 5 %, sustained for 10 minutes). Usually a misconfigured trunk, routing or authentication problem; break sip_response_count_total down by sip_status_code and sip_method.\"");
        }

        void AppendSeries(int callsPerMinute)
        {
            yaml.AppendLine("  - interval: 1m").AppendLine("    input_series:");
            foreach (Sample sample in samples)
            {
                if (sample.Name == "target_info" || !double.IsFinite(sample.Value))
                {
                    continue;
                }

                string value = (sample.IsGauge ? sample.Value : sample.Value * callsPerMinute).ToString("0.############", CultureInfo.InvariantCulture);
                string labels = $"job=\"{Job}\",instance=\"{instance}\"" + (sample.Labels.Length > 0 ? "," + sample.Labels : string.Empty);
                yaml.AppendLine(CultureInfo.InvariantCulture, $"      - series: '{sample.Name}{{{labels.Replace("'", "''", StringComparison.Ordinal)}}}'");
                yaml.AppendLine(CultureInfo.InvariantCulture, $"        values: '{(sample.IsGauge ? value + "+0" : "0+" + value)}x30'");
            }
        }

        string test = Path.Combine(Path.GetTempPath(), $"collector-rules-{Guid.NewGuid():N}.test.yml");
        await File.WriteAllTextAsync(test, yaml.ToString());
        try
        {
            var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("test");
            start.ArgumentList.Add("rules");
            start.ArgumentList.Add(test);
            using Process promtool = Process.Start(start)!;
            Task<string> stdout = promtool.StandardOutput.ReadToEndAsync(), stderr = promtool.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await promtool.WaitForExitAsync(limit.Token);
            Transcript.Note($"promtool test rules:\n{await stdout}{await stderr}\n{yaml}");
            Assert.True(promtool.ExitCode == 0, $"promtool test rules exited {promtool.ExitCode}:\n{await stdout}{await stderr}\n{yaml}");
        }
        finally
        {
            File.Delete(test);
        }
    }

    private static bool IsStatus(Sample sample, string pattern, string excluded)
    {
        var match = System.Text.RegularExpressions.Regex.Match(sample.Labels, "sip_status_code=\"([^\"]*)\"");
        return match.Success
            && System.Text.RegularExpressions.Regex.IsMatch(match.Groups[1].Value, $"^(?:{pattern})$")
            && !System.Text.RegularExpressions.Regex.IsMatch(match.Groups[1].Value, $"^(?:{excluded})$");
    }

    private static double Value(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal))).Sum(s => s.Value);

    /// <summary>One line of the Prometheus text format: name, the label text inside the braces, value, and whether its family is a gauge.</summary>
    private sealed record Sample(string Name, string Labels, double Value, bool IsGauge)
    {
        public static List<Sample> Parse(string text)
        {
            var samples = new List<Sample>();
            var gauges = new HashSet<string>(StringComparer.Ordinal);
            foreach (string raw in text.Split('\n'))
            {
                string line = raw.Trim();
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ');
                    if (parts.Length >= 4 && parts[3] == "gauge")
                    {
                        gauges.Add(parts[2]);
                    }

                    continue;
                }

                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                int brace = line.IndexOf('{', StringComparison.Ordinal);
                string name, labels, rest;
                if (brace >= 0)
                {
                    int close = line.LastIndexOf('}');
                    name = line[..brace];
                    labels = line[(brace + 1)..close];
                    rest = line[(close + 1)..].Trim();
                }
                else
                {
                    int space = line.IndexOf(' ', StringComparison.Ordinal);
                    name = line[..space];
                    labels = string.Empty;
                    rest = line[(space + 1)..].Trim();
                }

                double value = double.Parse(rest.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture);
                samples.Add(new Sample(name, labels, value, gauges.Contains(name)));
            }

            return samples;
        }
    }
}
