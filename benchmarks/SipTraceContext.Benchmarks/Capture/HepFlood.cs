using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SipTraceContext.Capture;

namespace SipTraceContext.Benchmarks.Capture;

/// <summary>
/// A load test, not a timed test: floods a <see cref="HepCaptureListener"/> on 127.0.0.1 with HEPv3
/// packets of answered calls (a proxy's 12 mirrored copies each, a new Call-ID per call) at rising
/// rates, and reports per rate what was sent, received and recorded and what was dropped (the
/// kernel's socket buffer, the listener's queue), then the highest rate with no loss. Each stage of the
/// pipeline is measured apart by running the same flood with less of it listening: no OpenTelemetry
/// provider (socket, decode, reorder, tracer state), then with the SDK sampling every span and a
/// discarding exporter.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project benchmarks/SipTraceContext.Benchmarks -- --hep-flood [--agents N] [--consumers N] [seconds per rate] [rates...]</c>.
/// With <c>--agents N</c> the calls take turns among N capture agent ids (2001, 2002, ...), a whole call
/// per agent, as several proxies' agents would send them; the default is one agent. <c>--consumers N</c>
/// sets <see cref="HepCaptureOptions.ConsumerCount"/> (the default otherwise).
/// One sender thread paces the datagrams; on a loaded machine the sender itself may fall short of the
/// rate asked for, which the table shows (sent per second).
/// </remarks>
internal static class HepFlood
{
    private const int PacketsPerCall = 12;
    private const string CallIdTemplate = "0000000000-flood@192.0.2.10";

    public static int Run(string[] args)
    {
        int agents = 1;
        int? consumers = null;
        while (args.Length > 1 && args[0] is "--agents" or "--consumers")
        {
            int value = int.Parse(args[1], CultureInfo.InvariantCulture);
            if (args[0] == "--agents")
            {
                agents = value;
            }
            else
            {
                consumers = value;
            }

            args = args[2..];
        }

        int consumerCount = consumers ?? new HepCaptureOptions().ConsumerCount;

        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int[] rates = args.Length > 1
            ? [.. args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture))]
            : [20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 160_000, 200_000];
        foreach (bool sdk in new[] { false, true })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{agents} capture agent(s), {consumerCount} consumer(s), {Environment.ProcessorCount} processors"));
            Console.WriteLine(sdk
                ? "With the OpenTelemetry SDK: every span sampled, a batch processor, a discarding exporter; metrics collected"
                : "No OpenTelemetry provider: socket, decode, reorder window, call tracer state");
            Console.WriteLine("| rate asked | sent/s | received | recorded | socket buffer drops | queue drops | loss-free |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|:---:|");
            int best = 0;
            foreach (int rate in rates)
            {
                Step step = RunStep(rate, seconds, sdk, agents, consumerCount);
                bool lossFree = step.Received == step.Sent && step.Recorded == step.Sent && step.SocketDrops == 0 && step.QueueDrops == 0;
                if (lossFree)
                {
                    best = Math.Max(best, (int)step.SentPerSecond);
                }

                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {rate:N0} | {step.SentPerSecond:N0} | {step.Received:N0} | {step.Recorded:N0} | {step.SocketDrops:N0} | {step.QueueDrops:N0} | {(lossFree ? "yes" : "no")} |"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"highest loss-free rate: {best:N0} packets/s"));
            Console.WriteLine();
        }

        return 0;
    }

    private static Step RunStep(int rate, double seconds, bool sdk, int agents, int consumers)
    {
        using TracerProvider? tracing = sdk
            ? Sdk.CreateTracerProviderBuilder().SetSampler(new AlwaysOnSampler()).AddSipInstrumentation().AddProcessor(new BatchActivityExportProcessor(new DiscardingExporter())).Build()
            : null;
        using MeterProvider? metrics = sdk
            ? Sdk.CreateMeterProviderBuilder().AddSipInstrumentation().AddReader(new PeriodicExportingMetricReader(new DiscardingMetricExporter(), 10_000)).Build()
            : null;
        var options = new HepCaptureOptions { Port = 0, MaxTrackedCalls = 1_000_000, ConsumerCount = consumers };
        options.Tracer.MaxTrackedCalls = 1_000_000;
        using var listener = new HepCaptureListener(options);
        listener.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        IPEndPoint target = listener.LocalEndPoint!;
        uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        byte[][][] packetsByAgent = [.. Enumerable.Range(0, agents).Select(a => HepSamples.MirroredAnsweredCall(CallIdTemplate, now, (uint)(2001 + a)))];
        int[] offsets = [.. packetsByAgent[0].Select(p => p.AsSpan().IndexOf(Encoding.ASCII.GetBytes(CallIdTemplate)))];
        byte[][] packets = packetsByAgent[0];
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Connect(target);

        long total = (long)(rate * seconds);
        long sent = 0;
        long call = 0;
        var clock = Stopwatch.StartNew();
        while (sent < total)
        {
            // Pace: the packets due by now, in bursts of at most one call.
            long due = (long)(clock.Elapsed.TotalSeconds * rate);
            if (sent >= due)
            {
                Thread.SpinWait(50);
                continue;
            }

            if (sent % PacketsPerCall == 0)
            {
                packets = packetsByAgent[call % agents];
                HepSamples.NextCall(packets, offsets, ++call);
            }

            sender.Send(packets[sent % PacketsPerCall]);
            sent++;
        }

        double elapsed = clock.Elapsed.TotalSeconds;

        // Until the listener has handled everything it received (and the reorder window has passed).
        long last = -1;
        var quiet = Stopwatch.StartNew();
        while (quiet.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(200);
            long handled = listener.PacketsRecorded + listener.PacketsDropped;
            if (handled == last && handled >= listener.PacketsReceived)
            {
                break;
            }

            last = handled;
        }

        listener.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new Step(
            sent,
            sent / elapsed,
            listener.PacketsReceived,
            listener.PacketsRecorded,
            listener.GetPacketsDropped(HepDropReason.SocketBuffer),
            listener.GetPacketsDropped(HepDropReason.QueueFull));
    }

    private readonly record struct Step(long Sent, double SentPerSecond, long Received, long Recorded, long SocketDrops, long QueueDrops);

    private sealed class DiscardingExporter : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }

    private sealed class DiscardingMetricExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
