using SipTraceContext.Capture;

namespace SipTraceContext.Collector.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void The_command_line_switches_bind_to_the_listener_options()
    {
        HepCaptureOptions options = Collector.Options(
            "--address", "0.0.0.0",
            "--port", "9999",
            "--transports", "Udp, Tcp",
            "--node", "2001=192.0.2.5:5060",
            "--node", "2001=[2001:db8::5]:5060",
            "--node", "2002=192.0.2.6",
            "--node", "192.0.2.7:5060",
            "--HepCapture:QueueCapacity", "1234",
            "--HepCapture:Tracer:AddressPrivacy=HashUser");

        Assert.Equal("0.0.0.0", options.Address);
        Assert.Equal(9999, options.Port);
        Assert.Equal(HepTransports.Udp | HepTransports.Tcp, options.Transports);
        Assert.Equal(["192.0.2.5:5060", "[2001:db8::5]:5060"], options.NodeEndPointsByAgent[2001]);
        Assert.Equal(["192.0.2.6"], options.NodeEndPointsByAgent[2002]);
        Assert.Equal(["192.0.2.7:5060"], options.NodeEndPoints);
        Assert.Equal(1234, options.QueueCapacity);
        Assert.Equal(SipTraceContext.Instrumentation.SipAddressPrivacy.HashUser, options.Tracer.AddressPrivacy);
    }

    [Fact]
    public void The_tool_records_on_one_consumer_per_processor_unless_configured()
    {
        // The library's default is one consumer (a user's DirectionResolver is never called
        // concurrently); the tool sets none, so it uses the cores, at most 4.
        Assert.Equal(Math.Min(Environment.ProcessorCount, 4), Collector.Options().ConsumerCount);
        Assert.Equal(7, Collector.Options("--HepCapture:ConsumerCount", "7").ConsumerCount);
    }

    [Fact]
    public void A_config_file_then_the_environment_then_the_command_line_win_in_that_order()
    {
        string file = Path.Combine(Path.GetTempPath(), $"collector-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "HepCapture": { "Port": 9100, "QueueCapacity": 50, "MaxCaptureAgents": 3, "AuthKey": "from-file" } }""");
        Environment.SetEnvironmentVariable("SIPTRACECONTEXT_HepCapture__QueueCapacity", "60");
        Environment.SetEnvironmentVariable("SIPTRACECONTEXT_HepCapture__AuthKey", "from-environment");
        Environment.SetEnvironmentVariable("HepCapture__MaxCaptureAgents", "99"); // no prefix: not read
        try
        {
            HepCaptureOptions options = Collector.Options("--config", file, "--HepCapture:QueueCapacity", "70");

            Assert.Equal(9100, options.Port);                // the file
            Assert.Equal(3, options.MaxCaptureAgents);       // the file, not the unprefixed variable
            Assert.Equal("from-environment", options.AuthKey); // the environment over the file
            Assert.Equal(70, options.QueueCapacity);         // the command line over both

            Assert.Equal(9200, Collector.Options("--config", file, "--port", "9200").Port);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SIPTRACECONTEXT_HepCapture__QueueCapacity", null);
            Environment.SetEnvironmentVariable("SIPTRACECONTEXT_HepCapture__AuthKey", null);
            Environment.SetEnvironmentVariable("HepCapture__MaxCaptureAgents", null);
            File.Delete(file);
        }
    }

    [Fact]
    public void The_example_configuration_in_deploy_binds()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SipTraceContext.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no SipTraceContext.sln above the test");
        }

        HepCaptureOptions options = Collector.Options("--config", Path.Combine(root, "deploy/collector/appsettings.json"));

        Assert.Equal(["127.0.0.1:5060"], options.NodeEndPointsByAgent[2001]);
        Assert.Equal(SipTraceContext.Instrumentation.SipAddressPrivacy.RedactUser, options.Tracer.AddressPrivacy);
    }

    [Fact]
    public async Task Help_lists_the_switches_and_the_pass_through_of_any_key()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        int exitCode = await CollectorCommand.InvokeAsync(["--help"], output, error, CancellationToken.None);

        Assert.Equal(0, exitCode);
        Assert.Contains("--node <agent=ip:port>", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("  --<Section>:<Key> <value>  Sets that configuration key, e.g. --HepCapture:QueueCapacity 20000", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }

    [Theory]
    [InlineData(new[] { "--port", "not-a-number" }, "not-a-number")]
    [InlineData(new[] { "--node", "kamailio=192.0.2.5:5060" }, "'kamailio' is not a capture agent id")]
    [InlineData(new[] { "--prot", "9060" }, "unknown option '--prot'")]
    [InlineData(new[] { "--HepCapture:Port" }, "--HepCapture:Port needs a value")]
    public async Task A_bad_command_line_is_reported_and_nothing_starts(string[] args, string message)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        int exitCode = await CollectorCommand.InvokeAsync(args, output, error, CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--address", "not-an-ip", "HepCaptureOptions.Address: 'not-an-ip' is not an IP address")]
    [InlineData("--transports", "Sctp", "Failed to convert configuration value 'Sctp' at 'HepCapture:Transports'")]
    [InlineData("--otlp", "localhost:4317", "Exporters:Otlp:Endpoint: 'localhost:4317' is not an http or https URI")]
    [InlineData("--prometheus", "http://127.0.0.1:9464", "Exporters:Prometheus:Prefix: 'http://127.0.0.1:9464' is not an HTTP prefix")]
    public async Task A_bad_setting_fails_the_start_with_its_message(string option, string value, string message)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args = Collector.OnFreePorts(out _, out _, option, value);

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int exitCode = await CollectorCommand.InvokeAsync(args, output, error, limit.Token);

        Assert.Equal(1, exitCode);
        Assert.Contains("cannot start: " + message, error.ToString(), StringComparison.Ordinal);
    }
}
