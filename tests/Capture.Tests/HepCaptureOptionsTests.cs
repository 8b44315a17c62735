using System.Globalization;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using SipTraceContext.Instrumentation;
using S = SipTraceContext.Instrumentation.Tests.Sip;
using A = SipTraceContext.Conventions.SipAttributes;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// <see cref="HepCaptureOptions"/> through the options pattern in a real host: Configure, IConfiguration
/// binding, the string forms of the address and node endpoints, and validation at start.
/// </summary>
public sealed class HepCaptureOptionsTests
{
    private const string CallId = "options-call@atlanta.example.com";
    private static readonly IPEndPoint Node = new(IPAddress.Loopback, 5060);
    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly DateTimeOffset T0 = new(2026, 1, 15, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Configure_after_AddHepCaptureListener_is_honoured()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener(o => o.Port = 0);
        builder.Services.Configure<HepCaptureOptions>(o => o.AuthKey = "secret");

        using IHost host = builder.Build();
        await host.StartAsync();
        HepCaptureListener listener = host.Services.GetRequiredService<HepCaptureListener>();
        await SendAsync(listener, HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0));
        await host.StopAsync();

        Assert.Equal(1, listener.GetPacketsDropped(HepDropReason.Unauthorized));
    }

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HepCapture:Address"] = "127.0.0.1",
            ["HepCapture:Port"] = "0",
            ["HepCapture:QueueCapacity"] = "500",
            ["HepCapture:ConsumerCount"] = "3",
            ["HepCapture:QueueFullMode"] = "DropOldest",
            ["HepCapture:MaxCaptureAgents"] = "4",
            ["HepCapture:MaxTrackedCalls"] = "4000",
            ["HepCapture:CaptureAgentIdleTimeout"] = "00:05:00",
            ["HepCapture:ReceiveBufferSize"] = "0",
            ["HepCapture:Transports"] = "Udp, Tcp",
            ["HepCapture:MaxTcpConnections"] = "8",
            ["HepCapture:TcpIdleTimeout"] = "00:01:30",
            ["HepCapture:NodeEndPoints:0"] = "[2001:db8::5]:5060",
            ["HepCapture:NodeEndPoints:1"] = "127.0.0.1:5060",
            ["HepCapture:NodeEndPoints:2"] = "192.0.2.7",
            ["HepCapture:DefaultDirection"] = "Out",
            ["HepCapture:Tracer:TimerB"] = "00:00:05",
            ["HepCapture:Tracer:AddressPrivacy"] = "RedactUser",
        }).Build();
        var spans = new List<Activity>();
        using TracerProvider tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSipInstrumentation().AddInMemoryExporter(spans).Build()!;
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener();
        builder.Services.Configure<HepCaptureOptions>(configuration.GetSection("HepCapture"));

        using IHost host = builder.Build();
        await host.StartAsync();
        HepCaptureOptions options = host.Services.GetRequiredService<IOptions<HepCaptureOptions>>().Value;
        Assert.Equal("127.0.0.1", options.Address);
        Assert.Equal(500, options.QueueCapacity);
        Assert.Equal(3, options.ConsumerCount);
        Assert.Equal(HepQueueFullMode.DropOldest, options.QueueFullMode);
        Assert.Equal(4, options.MaxCaptureAgents);
        Assert.Equal(4000, options.MaxTrackedCalls);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CaptureAgentIdleTimeout);
        Assert.Equal(0, options.ReceiveBufferSize);
        Assert.Equal(HepTransports.Udp | HepTransports.Tcp, options.Transports);
        Assert.Equal(8, options.MaxTcpConnections);
        Assert.Equal(TimeSpan.FromSeconds(90), options.TcpIdleTimeout);
        Assert.Equal(["[2001:db8::5]:5060", "127.0.0.1:5060", "192.0.2.7"], options.NodeEndPoints);
        Assert.Equal(SipDirection.Out, options.DefaultDirection);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Tracer.TimerB);

        // The node rule from configuration decides the direction (received: not the Out default), and the
        // tracer subsection reaches the capture agent's tracer.
        HepCaptureListener listener = host.Services.GetRequiredService<HepCaptureListener>();
        await SendAsync(listener, HepBuilder.Capture(S.Invite(CallId), Caller, Node, T0));
        await host.StopAsync();
        tracing.ForceFlush();

        Activity setup = Assert.Single(spans);
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal("<sip:***@atlanta.example.com>;tag=1928301774", setup.GetTagItem(A.From));
    }

    [Theory]
    [InlineData("00:00:00", true)]
    [InlineData("00:00:05", true)]
    [InlineData("-00:00:00.001", false)]
    [InlineData("00:00:05.001", false)]
    public async Task The_reorder_window_binds_and_is_checked(string window, bool valid)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HepCapture:Port"] = "0",
            ["HepCapture:ReorderWindow"] = window,
        }).Build();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener();
        builder.Services.Configure<HepCaptureOptions>(configuration.GetSection("HepCapture"));
        using IHost host = builder.Build();
        if (valid)
        {
            await host.StartAsync();
            Assert.Equal(TimeSpan.Parse(window, CultureInfo.InvariantCulture), host.Services.GetRequiredService<IOptions<HepCaptureOptions>>().Value.ReorderWindow);
            await host.StopAsync();
            return;
        }

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("HepCaptureOptions.ReorderWindow = ", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Transports", "None")]
    [InlineData("Transports", "4")]
    [InlineData("MaxTcpConnections", "0")]
    [InlineData("TcpIdleTimeout", "00:00:00")]
    [InlineData("TcpIdleTimeout", "-00:00:01")]
    public async Task Tcp_settings_out_of_range_fail_at_host_start(string setting, string value)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HepCapture:Port"] = "0",
            ["HepCapture:Transports"] = "Tcp",
            ["HepCapture:" + setting] = value,
        }).Build();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener();
        builder.Services.Configure<HepCaptureOptions>(configuration.GetSection("HepCapture"));
        using IHost host = builder.Build();

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith($"HepCaptureOptions.{setting} = ", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    public async Task A_consumer_count_out_of_range_fails_at_host_start(string value)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HepCapture:Port"] = "0",
            ["HepCapture:ConsumerCount"] = value,
        }).Build();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener();
        builder.Services.Configure<HepCaptureOptions>(configuration.GetSection("HepCapture"));
        using IHost host = builder.Build();

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("HepCaptureOptions.ConsumerCount = ", Assert.Single(e.Failures), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HepCaptureListener(new HepCaptureOptions { ConsumerCount = int.Parse(value, CultureInfo.InvariantCulture) }));
    }

    [Fact]
    public void One_consumer_by_default() =>
        Assert.Equal(1, new HepCaptureOptions().ConsumerCount);

    [Fact]
    public void The_tcp_defaults_are_udp_only_64_connections_and_5_minutes()
    {
        var options = new HepCaptureOptions();
        Assert.Equal(HepTransports.Udp, options.Transports);
        Assert.Equal(64, options.MaxTcpConnections);
        Assert.Equal(TimeSpan.FromMinutes(5), options.TcpIdleTimeout);
    }

    [Fact]
    public async Task Invalid_options_fail_at_host_start_naming_each_bad_setting()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHepCaptureListener(o =>
        {
            o.Address = "localhost";
            o.NodeEndPoints.Add("192.0.2.5:5060");
            o.NodeEndPoints.Add("192.0.2.5:99999");
            o.QueueCapacity = 0;
            o.Tracer.TimerB = TimeSpan.Zero;
        });

        using IHost host = builder.Build();
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal(
            [
                "HepCaptureOptions.Address: 'localhost' is not an IP address (such as 127.0.0.1, 0.0.0.0 or ::).",
                "HepCaptureOptions.NodeEndPoints: [1] '192.0.2.5:99999' is not an IP address with an optional port (192.0.2.5:5060, [2001:db8::5]:5060, or 192.0.2.5 for any port).",
                "HepCaptureOptions.QueueCapacity = 0: QueueCapacity ('0') must be greater than or equal to '1'.",
                "HepCaptureOptions.Tracer.TimerB = 00:00:00: Timer B must be positive.",
            ],
            e.Failures);
    }

    [Theory]
    [InlineData("192.0.2.5:5060", "192.0.2.5", 5060)]
    [InlineData(" 192.0.2.5 ", "192.0.2.5", 0)]
    [InlineData("[2001:db8::5]:5060", "2001:db8::5", 5060)]
    [InlineData("[2001:db8::5]", "2001:db8::5", 0)]
    [InlineData("2001:db8::5", "2001:db8::5", 0)]
    [InlineData("::1", "::1", 0)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    public void Node_endpoints_parse_from_text(string text, string address, int port)
    {
        Assert.True(HepCaptureOptions.TryParseEndPoint(text, out IPEndPoint? endPoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("pbx.example.com:5060")]
    [InlineData("192.0.2.5:")]
    [InlineData("192.0.2.5:65536")]
    [InlineData("192.0.2.5:-1")]
    [InlineData("[2001:db8::5]5060")]
    [InlineData("[2001:db8::5")]
    [InlineData("[192.0.2.5]:5060")]
    public void Other_node_endpoint_text_is_refused(string? text)
    {
        Assert.False(HepCaptureOptions.TryParseEndPoint(text, out _));
        var options = new HepCaptureOptions();
        options.NodeEndPoints.Add(text!);
        Assert.ThrowsAny<ArgumentException>(() => new HepCaptureListener(options));
    }

    [Fact]
    public void Without_a_host_the_constructor_checks_the_address()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new HepCaptureListener(new HepCaptureOptions { Address = "::g" }));
        Assert.Equal("Address", e.ParamName);
    }

    private static async Task SendAsync(HepCaptureListener listener, byte[] datagram)
    {
        using var agent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        agent.SendTo(datagram, listener.LocalEndPoint!);
        var clock = Stopwatch.StartNew();
        while (listener.PacketsReceived < 1 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        // Received is counted before the packet is recorded or dropped; give the consumer a moment.
        while (listener.PacketsRecorded + listener.PacketsDropped < 1 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }
    }
}
