using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SipTraceContext.Capture;
using SipTraceContext.Capture.Tests;
using Xunit.Abstractions;

namespace SipTraceContext.Collector.Tests;

/// <summary>The collector's host in-process on 127.0.0.1: HEP in over UDP, the scrape and the health endpoint over HTTP.</summary>
public sealed class HostTests(ITestOutputHelper output)
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Series_exist_from_the_start_count_a_packet_and_the_host_stops_promptly()
    {
        using IHost host = Collector.Build(Collector.OnFreePorts(out string prometheus, out string health));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await host.StartAsync();
        HepCaptureListener listener = host.Services.GetRequiredService<HepCaptureListener>();

        using (HttpResponseMessage ready = await http.GetAsync(health + "healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync());
        }

        using (HttpResponseMessage other = await http.GetAsync(health + "other"))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }

        // Before any packet: every capture series, at zero.
        string scrape = await http.GetStringAsync(prometheus + "metrics");
        output.WriteLine(scrape);
        Assert.Equal(0, Sample(scrape, "sip_capture_packets_total"));
        foreach (string reason in new[] { "queue_full", "malformed", "not_sip", "compressed", "too_many_agents", "unauthorized", "socket_buffer", "processing_error" })
        {
            Assert.Equal(0, Sample(scrape, "sip_capture_packet_dropped_total", $"sip_capture_drop_reason=\"{reason}\""));
        }

        // One HEPv3 packet as Kamailio's siptrace sends it, and one that is not HEP.
        byte[] invite = Encoding.ASCII.GetBytes(
            "INVITE sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\nFrom: <sip:alice@192.0.2.10>;tag=1\r\n"
            + "To: <sip:bob@192.0.2.20>\r\nCall-ID: collector@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
        using (var agent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            agent.SendTo(
                HepBuilder.Capture(invite, new IPEndPoint(IPAddress.Parse("192.0.2.10"), 5060), new IPEndPoint(IPAddress.Parse("192.0.2.20"), 5060), DateTimeOffset.UtcNow),
                listener.LocalEndPoint!);
            agent.SendTo("not HEP"u8.ToArray(), listener.LocalEndPoint!);
        }

        var clock = Stopwatch.StartNew();
        while (Sample(scrape, "sip_capture_packets_total") < 2 || Sample(scrape, "sip_capture_packet_dropped_total", "sip_capture_drop_reason=\"malformed\"") < 1)
        {
            Assert.True(clock.Elapsed < WaitLimit, $"the scrape did not count the packets:\n{scrape}");
            await Task.Delay(100);
            scrape = await http.GetStringAsync(prometheus + "metrics");
        }

        output.WriteLine(scrape);
        Assert.Equal(2, Sample(scrape, "sip_capture_packets_total"));
        Assert.Equal(1, Sample(scrape, "sip_capture_packet_dropped_total", "sip_capture_drop_reason=\"malformed\""));
        Assert.Equal(0, Sample(scrape, "sip_capture_packet_dropped_total", "sip_capture_drop_reason=\"queue_full\""));

        // A graceful stop (what SIGINT and SIGTERM start) ends promptly and frees the ports.
        clock.Restart();
        using (var limit = new CancellationTokenSource(WaitLimit))
        {
            await host.StopAsync(limit.Token);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync(health + "healthz"));
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_with_its_message()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        string[] args = Collector.OnFreePorts(out _, out _, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var error = new StringWriter();

        int exitCode = await CollectorCommand.InvokeAsync(args, TextWriter.Null, error, CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Contains("cannot start: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The value of the sample of <paramref name="series"/> whose labels include <paramref name="label"/>; fails when there is none.</summary>
    private static double Sample(string scrape, string series, string? label = null)
    {
        foreach (string line in scrape.Split('\n'))
        {
            if (line.StartsWith(series + "{", StringComparison.Ordinal) || line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                if (label is null || line.Contains(label, StringComparison.Ordinal))
                {
                    string value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
                    return double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        Assert.Fail($"no sample of {series} {label} in the scrape:\n{scrape}");
        return double.NaN;
    }
}
