using System.Collections;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SipTraceContext.Instrumentation;
using S = SipTraceContext.Instrumentation.Tests.Sip;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// Failures are loud: what goes wrong in the listener reaches its <see cref="ILogger"/>, and a packet
/// that could not be processed counts as a drop, instead of only an event source nobody listens to.
/// </summary>
public sealed class HepCaptureLoggingTests
{
    private static readonly IPEndPoint Node = new(IPAddress.Loopback, 5060);
    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_packet_whose_processing_throws_is_dropped_counted_and_logged()
    {
        var logger = new RecordingLogger<HepCaptureListener>();
        await using CaptureHarness h = await CaptureHarness.StartAsync(TracerThatCannotBeCreated, logger: logger);
        h.Send(Invite("a"), Invite("b"), Invite("c"));
        await h.WaitForAsync(3);

        Assert.Equal(3, h.Listener.GetPacketsDropped(HepDropReason.ProcessingError));
        Assert.Equal(3, h.Listener.PacketsDropped);
        Assert.Equal(0, h.Listener.PacketsRecorded);
        Assert.Equal(3, h.Counter(M.CapturePacketDropped.Name, (A.CaptureDropReason, "processing_error")));

        // The first failure is logged with its exception; the next ones, within the minute, are held back.
        LogEntry error = Assert.Single(logger.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal("HepProcessingFailed", error.EventId.Name);
        Assert.IsType<MissingMethodException>(error.Exception);
        Assert.Equal(0L, error["SuppressedCount"]);

        LogEntry listening = Assert.Single(logger.Named("HepListening"));
        Assert.Equal(LogLevel.Information, listening.Level);
        Assert.Contains(h.Listener.LocalEndPoint!.ToString(), listening.Message, StringComparison.Ordinal);

        // Stopping logs the drops no summary has told yet.
        await h.StopAsync();
        LogEntry dropped = Assert.Single(logger.Named("HepPacketsDropped"));
        Assert.Equal(LogLevel.Warning, dropped.Level);
        Assert.Equal(3L, dropped["DroppedCount"]);
        Assert.Equal("processing_error 3", dropped["DropReasons"]);
    }

    [Fact]
    public async Task Repeated_failures_are_logged_once_a_minute_with_the_count_held_back()
    {
        var time = new FakeTimeProvider(T0);
        var logger = new RecordingLogger<HepCaptureListener>();
        await using CaptureHarness h = await CaptureHarness.StartAsync(TracerThatCannotBeCreated, time, logger);
        h.Send(Invite("a"), Invite("b"), Invite("c"));
        await h.WaitForAsync(3);
        Assert.Single(logger.Named("HepProcessingFailed"));

        time.Advance(HepCaptureListener.LogInterval);
        h.Send(Invite("d"));
        await h.WaitForAsync(4);

        IReadOnlyList<LogEntry> errors = logger.Named("HepProcessingFailed");
        Assert.Equal(2, errors.Count);
        Assert.Equal(2L, errors[1]["SuppressedCount"]);
    }

    [Fact]
    public async Task Drops_are_summed_up_by_reason_once_a_minute_when_there_were_any()
    {
        var time = new FakeTimeProvider(T0);
        var logger = new RecordingLogger<HepCaptureListener>();
        await using CaptureHarness h = await CaptureHarness.StartAsync(o => o.AuthKey = "secret", time, logger);
        h.Send(
            "not HEP"u8.ToArray(),
            "not HEP either"u8.ToArray(),
            HepBuilder.Capture(S.Invite("x"), Caller, Node, T0, authKey: "wrong"));
        await h.WaitForAsync(3);

        // Within the minute nothing; the housekeeping tick past it tells the drops since the start.
        time.Advance(HepCaptureListener.LogInterval - TimeSpan.FromSeconds(1));
        Assert.Empty(logger.Named("HepPacketsDropped"));
        time.Advance(TimeSpan.FromSeconds(1));
        LogEntry summary = Assert.Single(logger.Named("HepPacketsDropped"));
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Equal(3L, summary["DroppedCount"]);
        Assert.Equal("malformed 2, unauthorized 1", summary["DropReasons"]);

        // A minute without drops adds nothing, and neither does the stop.
        time.Advance(HepCaptureListener.LogInterval);
        await h.StopAsync();
        Assert.Single(logger.Named("HepPacketsDropped"));
    }

    [Fact]
    public async Task A_throwing_direction_resolver_is_logged_as_a_warning_and_the_packet_recorded()
    {
        var logger = new RecordingLogger<HepCaptureListener>();
        await using CaptureHarness h = await CaptureHarness.StartAsync(
            o => o.DirectionResolver = (in HepPacket _) => throw new InvalidOperationException("resolver bug"),
            logger: logger);
        h.Send(Invite("a"), Invite("b"));
        await h.WaitForAsync(2);

        Assert.Equal(2, h.Listener.PacketsRecorded);
        LogEntry warning = Assert.Single(logger.Named("HepDirectionResolverFailed"));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.IsType<InvalidOperationException>(warning.Exception);
        Assert.Equal(SipDirection.In, warning["DefaultDirection"]);
    }

    [Fact]
    public async Task A_port_in_use_is_logged_with_the_address_and_the_host_does_not_start()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var logs = new RecordingLoggerProvider();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddHepCaptureListener(o => o.Port = port);
        using IHost host = builder.Build();

        SocketException thrown = await Assert.ThrowsAsync<SocketException>(() => host.StartAsync());
        Assert.Equal(SocketError.AddressAlreadyInUse, thrown.SocketErrorCode);
        LogEntry error = Assert.Single(logs.Entries, e => e.EventId.Name == "HepBindFailed");
        Assert.Equal(typeof(HepCaptureListener).FullName, error.Category);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Same(thrown, error.Exception);
    }

    [Fact]
    public async Task A_logging_provider_that_throws_does_not_stop_the_capture()
    {
        await using CaptureHarness h = await CaptureHarness.StartAsync(TracerThatCannotBeCreated, logger: new ThrowingLogger());
        h.Send(Invite("a"), Invite("b"));
        // Both processed: the first failure's log call threw and the consumer carried on; so does the stop.
        await h.WaitForAsync(2);
        await h.StopAsync();
        Assert.Equal(2, h.Listener.GetPacketsDropped(HepDropReason.ProcessingError));
    }

    private static void TracerThatCannotBeCreated(HepCaptureOptions options) =>
        options.Tracer.MetricTags = new TagsThatThrow();

    private static byte[] Invite(string callId) => HepBuilder.Capture(S.Invite(callId), Caller, Node, T0);

    private sealed class ThrowingLogger : ILogger<HepCaptureListener>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Only failures: the start's Information must get through for the listener to start at all.
            if (logLevel >= LogLevel.Warning)
            {
                throw new InvalidOperationException("logging provider bug");
            }
        }
    }

    /// <summary>
    /// Tracer options whose use throws what a dependency of another version than the one built against
    /// throws: the listener cannot make the agent's call tracer, so every packet fails.
    /// </summary>
    private sealed class TagsThatThrow : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => throw Mismatch();

        public KeyValuePair<string, object?> this[int index] => throw Mismatch();

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => throw Mismatch();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private static MissingMethodException Mismatch() => new("Method not found: 'OpenTelemetry.Api 0.0 something'.");
    }
}
