using Microsoft.Extensions.Hosting;
using SipTraceContext.Capture;

namespace HepCollector;

/// <summary>Prints the listener's counters every 10 seconds while anything changes, and once at the end.</summary>
internal sealed class StatusReporter(HepCaptureListener listener) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private long _lastReceived = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(Interval, stoppingToken);
                Report();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _lastReceived = -1;
        Report();
    }

    private void Report()
    {
        long received = listener.PacketsReceived;
        if (received == _lastReceived)
        {
            return;
        }

        _lastReceived = received;
        Console.WriteLine(
            $"HepCollector: {received} HEP packets received, {listener.PacketsRecorded} recorded, {listener.PacketsDropped} dropped " +
            $"(queue full {listener.GetPacketsDropped(HepDropReason.QueueFull)}, malformed {listener.GetPacketsDropped(HepDropReason.Malformed)}, " +
            $"not SIP {listener.GetPacketsDropped(HepDropReason.NotSip)}, processing error {listener.GetPacketsDropped(HepDropReason.ProcessingError)}), " +
            $"{listener.CaptureAgents} capture agents");
    }
}
