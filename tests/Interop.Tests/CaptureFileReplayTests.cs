using System.Diagnostics;
using System.Globalization;
using System.Net;
using SipTraceContext.Capture;
using SipTraceContext.Interop.Tests.Infrastructure;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests;

/// <summary>
/// SIPp caller -> Kamailio -> SIPp callee, as in <see cref="HepCaptureTests"/>, with tcpdump capturing
/// Kamailio's SIP ports on the loopback interface while Kamailio's <c>siptrace</c> mirrors the same
/// messages as HEP to a <see cref="HepCaptureListener"/>. The capture file tcpdump wrote, replayed with
/// <see cref="SipCaptureFile"/>, must yield the spans the HEP feed did: names, kinds, statuses, status
/// codes, the parent/child shape, the tags, and the times (within a few milliseconds: Kamailio stamps its
/// HEP copies when siptrace runs, the kernel stamps the captured packets).
/// </summary>
[Collection(CallTracerTests.Name)]
public sealed class CaptureFileReplayTests(ITestOutputHelper output) : InteropTest(output, sipInstrumentation: true)
{
    private static readonly TimeSpan TimeTolerance = TimeSpan.FromMilliseconds(50);

    public static TheoryData<string, string, string> TcpdumpRuns()
    {
        var runs = new TheoryData<string, string, string>();
        foreach (string device in new[] { "lo", "any" })
        {
            runs.Add(device, "uac-answered.xml", "uas-answer-checked.xml");
            runs.Add(device, "uac-busy.xml", "uas-busy-checked.xml");
            runs.Add(device, "uac-cancel.xml", "uas-cancel-checked.xml");
        }

        return runs;
    }

    /// <summary>
    /// tcpdump on <c>lo</c> (Ethernet frames) or <c>any</c> (Linux cooked v2 frames, each loopback packet
    /// twice: sent and received); tcpdump writes pcap (libpcap has no pcapng writer).
    /// </summary>
    [InteropTheory(InteropTool.Kamailio | InteropTool.Sipp | InteropTool.Tcpdump)]
    [MemberData(nameof(TcpdumpRuns))]
    public Task A_tcpdump_capture_of_a_Kamailio_call_replays_into_the_spans_of_its_HEP_feed(string device, string callerScenario, string calleeScenario) => RunAsync(() =>
        CaptureAndCompareAsync(callerScenario, calleeScenario, ".pcap", "listening on", (file, filter) =>
            ChildProcess.Start(
                InteropTools.Tcpdump,
                ["-i", device, "-n", "-U", "-Z", "root", "--time-stamp-precision", "nano", "-w", file, filter],
                Path.GetTempPath())));

    /// <summary>
    /// dumpcap (what tshark and Wireshark capture with) writes pcapng. It prints "Capturing on" before it
    /// opens the interface and "File:" once the interface is open and the file created: only the second
    /// means a packet sent now is captured; packets sent in between are lost.
    /// </summary>
    [InteropTheory(InteropTool.Kamailio | InteropTool.Sipp | InteropTool.Dumpcap)]
    [InlineData("uac-answered.xml", "uas-answer-checked.xml")]
    [InlineData("uac-cancel.xml", "uas-cancel-checked.xml")]
    public Task A_dumpcap_pcapng_capture_of_a_Kamailio_call_replays_into_the_spans_of_its_HEP_feed(string callerScenario, string calleeScenario) => RunAsync(() =>
        CaptureAndCompareAsync(callerScenario, calleeScenario, ".pcapng", "File: ", (file, filter) =>
            ChildProcess.Start(InteropTools.Dumpcap, ["-i", "lo", "-n", "-q", "-w", file, "-f", filter], Path.GetTempPath())));

    /// <summary>
    /// The caller over TCP to Kamailio (which relays over UDP to the callee, and sends its HEP over TCP):
    /// the replay cuts the caller's messages out of the captured TCP stream by their Content-Length.
    /// </summary>
    [InteropTheory(InteropTool.Kamailio | InteropTool.Sipp | InteropTool.Tcpdump)]
    [InlineData("uac-answered.xml", "uas-answer-checked.xml")]
    [InlineData("uac-cancel.xml", "uas-cancel-checked.xml")]
    public Task A_tcpdump_capture_of_a_call_over_TCP_replays_into_the_spans_of_its_HEP_feed(string callerScenario, string calleeScenario) => RunAsync(() =>
        CaptureAndCompareAsync(callerScenario, calleeScenario, ".pcap", "listening on", (file, filter) =>
            ChildProcess.Start(
                InteropTools.Tcpdump,
                ["-i", "lo", "-n", "-U", "-Z", "root", "--time-stamp-precision", "nano", "-w", file, filter],
                Path.GetTempPath()), callerOverTcp: true));

    private async Task CaptureAndCompareAsync(string callerScenario, string calleeScenario, string extension, string readyText, Func<string, string, ChildProcess> startCapture, bool callerOverTcp = false)
    {
        TraceContextSample sent = TraceContextSample.Create();
        var replacements = new Dictionary<string, string>
        {
            ["TRACE_HEADER"] = "X-OTel-traceparent",
            ["TRACEPARENT_REGEX"] = $"00-{sent.TraceId.ToHexString()}-[0-9a-f]{{16}}-[0-9a-f]{{2}}",
            ["TRACESTATE_HEADER"] = "X-OTel-tracestate",
            ["TRACESTATE_REGEX"] = sent.TraceState,
        };
        SippProcess callee = await StartSippAsync("callee", calleeScenario, replacements: replacements);
        var collector = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.NextUdp());
        KamailioProcess kamailio = await StartKamailioAsync(callee.EndPoint, hepCollector: collector, hepOverTcp: callerOverTcp);
        var options = new HepCaptureOptions
        {
            Address = collector.Address.ToString(),
            Port = collector.Port,
            Transports = callerOverTcp ? HepTransports.Tcp : HepTransports.Udp,
        };
        options.NodeEndPoints.Add(kamailio.Trusted.ToString());
        options.NodeEndPoints.Add(kamailio.Untrusted.ToString());
        HepCaptureListener listener = OwnDisposable(new HepCaptureListener(options));
        await listener.StartAsync(CancellationToken.None);

        // tcpdump on lo, Kamailio's two SIP ports, nanosecond timestamps, each packet written as it comes
        // (-U); it says "listening on" once it captures. siptrace sends its HEP copies from those ports
        // too: the replay skips them as datagrams that are not SIP. tcpdump writes pcap (libpcap has no
        // pcapng writer); the pcapng reader is proven by the unit tests and, where tshark is installed, below.
        string file = Path.Combine(Path.GetTempPath(), $"siptracecontext-{Guid.NewGuid():N}{extension}");
        string filter = $"(udp or tcp) and (port {kamailio.Trusted.Port} or port {kamailio.Untrusted.Port})";
        ChildProcess tcpdump = Own(startCapture(file, filter));
        try
        {
            var ready = Stopwatch.StartNew();
            while (!tcpdump.Output.Contains(readyText, StringComparison.Ordinal))
            {
                Assert.False(tcpdump.HasExited, "the capture program exited: " + tcpdump.Output);
                Assert.True(ready.Elapsed < TimeSpan.FromSeconds(10), "the capture did not start: " + tcpdump.Output);
                await Task.Delay(50);
            }

            await RunSippCallAsync("caller", callerScenario, kamailio.Trusted, callee, sent, overTcp: callerOverTcp);
            await WaitForQuietAsync(listener);

            // SIGINT: tcpdump (and dumpcap) flushes and closes the file, then exits.
            using (var interrupt = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", tcpdump.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false }))
            {
                await interrupt!.WaitForExitAsync();
            }

            Assert.True(await tcpdump.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the capture program did not exit on SIGINT");
            Transcript.Note("tcpdump: " + tcpdump.Output.Replace('\n', ' '));

            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            {
                await listener.StopAsync(limit.Token);
            }

            FlushSpans();
            List<Activity> hep = [.. ExportedSpans.Where(s => s.TraceId == sent.TraceId)];
            int before = ExportedSpans.Count;

            SipCaptureReplayResult result = SipCaptureFile.Replay(
                file,
                options,
                new SipCaptureFileOptions { SipPorts = [kamailio.Trusted.Port, kamailio.Untrusted.Port], CaptureAgentId = KamailioProcess.HepCaptureId });
            FlushSpans();
            List<Activity> replayed = [.. ExportedSpans.Skip(before).Where(s => s.TraceId == sent.TraceId)];
            Output.WriteLine($"replay: {result.Frames} frames, {result.Messages} messages, {result.Recorded} recorded, {result.Skipped} skipped; HEP listener recorded {listener.PacketsRecorded}");
            Output.WriteLine(string.Join(Environment.NewLine, Describe(replayed, sent)));
            Transcript.Note($"replay: {result.Frames} frames, {result.Messages} messages, {result.Recorded} recorded, {result.Skipped} skipped, error {result.Error ?? "none"}; HEP listener recorded {listener.PacketsRecorded}");

            Assert.Null(result.Error);
            Assert.Equal(0, result.Fragments);
            Assert.True(result.Recorded > 0, "the capture held no SIP message");

            // The wire and siptrace saw the same messages: each of Kamailio's, received or sent.
            Assert.Equal(listener.PacketsRecorded, result.Recorded);
            Assert.NotEmpty(hep);
            AssertSameSpans(hep, replayed, sent);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void AssertSameSpans(List<Activity> hep, List<Activity> replayed, TraceContextSample sent)
    {
        Assert.Equal(Describe(hep, sent), Describe(replayed, sent));
        foreach ((Activity live, Activity replay) in hep.OrderBy(s => s.StartTimeUtc).Zip(replayed.OrderBy(s => s.StartTimeUtc)))
        {
            Assert.InRange(replay.StartTimeUtc - live.StartTimeUtc, -TimeTolerance, TimeTolerance);
            Assert.InRange(replay.Duration - live.Duration, -TimeTolerance, TimeTolerance);
            Assert.Equal(
                live.Events.Select(e => e.Name).Order(StringComparer.Ordinal),
                replay.Events.Select(e => e.Name).Order(StringComparer.Ordinal));
            foreach ((ActivityEvent liveEvent, ActivityEvent replayEvent) in live.Events.Zip(replay.Events))
            {
                Assert.InRange(replayEvent.Timestamp - liveEvent.Timestamp, -TimeTolerance, TimeTolerance);
            }
        }
    }

    /// <summary>Each span as text, in start order: name, kind, status, the tags that are not times, and its parent as a name.</summary>
    private static string[] Describe(List<Activity> spans, TraceContextSample sent)
    {
        string ParentName(Activity span) =>
            span.ParentSpanId == sent.SpanId ? "(sent)" : spans.FirstOrDefault(s => s.SpanId == span.ParentSpanId)?.DisplayName ?? "(other)";

        return
        [
            .. spans.OrderBy(s => s.StartTimeUtc).Select(s =>
                $"{s.DisplayName} {s.Kind} {s.Status} parent={ParentName(s)} "
                + string.Join(' ', s.TagObjects
                    .Where(t => !t.Key.EndsWith("_ms", StringComparison.Ordinal))
                    .OrderBy(t => t.Key, StringComparer.Ordinal)
                    .Select(t => $"{t.Key}={t.Value}"))),
        ];
    }

    private static async Task WaitForQuietAsync(HepCaptureListener listener)
    {
        // As HepCaptureTests: until no HEP packet came for two 400 ms rounds and every one is handled.
        long seen = -1;
        int quietRounds = 0;
        var clock = Stopwatch.StartNew();
        while (quietRounds < 2 && clock.Elapsed < TimeSpan.FromSeconds(8))
        {
            await Task.Delay(400);
            long received = listener.PacketsReceived;
            bool handled = listener.PacketsRecorded + listener.PacketsDropped >= received;
            quietRounds = received == seen && handled ? quietRounds + 1 : 0;
            seen = received;
        }
    }
}
