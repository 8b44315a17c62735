using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SipTraceContext.Conventions;
using SipTraceContext.Propagation;
using A = SipTraceContext.Conventions.SipAttributes;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// <c>AddSipInstrumentation</c> in a real host with the real OpenTelemetry SDK: the tracer it registers,
/// its options (Configure, IConfiguration, names, validation) and its lifetime.
/// </summary>
public sealed class DependencyInjectionTests
{
    private const string CallId = "di-call@atlanta.example.com";

    [Fact]
    public async Task The_one_liner_yields_spans_from_messages_fed_to_the_resolved_tracer()
    {
        List<Activity> spans = [];
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSipInstrumentation(o => o.RecordUserAgent = true).AddInMemoryExporter(spans));

        using (IHost host = builder.Build())
        {
            await host.StartAsync();
            SipCallTracer tracer = host.Services.GetRequiredService<SipCallTracer>();
            Assert.Same(tracer, host.Services.GetRequiredService<SipCallTracer>());
            Assert.Same(tracer, host.Services.GetRequiredKeyedService<SipCallTracer>(Options.DefaultName));
            AnsweredCall(tracer);
            await host.StopAsync();
        }

        Activity setup = Assert.Single(spans, s => s.OperationName == SipSpanNames.CallSetup);
        Assert.Equal(CallId, setup.GetTagItem(A.CallId));
        Assert.Equal("softphone/1.0", setup.GetTagItem("user_agent.original"));
        Assert.Single(spans, s => s.OperationName == SipSpanNames.CallTeardown);
    }

    [Fact]
    public async Task Configure_after_AddSipInstrumentation_is_honoured()
    {
        List<Activity> spans = [];
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSipInstrumentation().AddInMemoryExporter(spans));
        builder.Services.Configure<SipCallTracerOptions>(o => o.AddressPrivacy = SipAddressPrivacy.RedactUser);

        using (IHost host = builder.Build())
        {
            await host.StartAsync();
            AnsweredCall(host.Services.GetRequiredService<SipCallTracer>());
            await host.StopAsync();
        }

        Activity setup = Assert.Single(spans, s => s.OperationName == SipSpanNames.CallSetup);
        Assert.Equal("<sip:***@atlanta.example.com>;tag=1928301774", setup.GetTagItem(A.From));
    }

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        byte[] key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sip:Tracer:TrustMode"] = "Link",
            ["Sip:Tracer:TimerB"] = "00:00:05",
            ["Sip:Tracer:TimerC"] = "00:01:00",
            ["Sip:Tracer:MaxTrackedCalls"] = "5000",
            ["Sip:Tracer:MaxCallAge"] = "02:00:00",
            ["Sip:Tracer:SweepInterval"] = "00:00:00.250",
            ["Sip:Tracer:AddressPrivacy"] = "HashUser",
            ["Sip:Tracer:HashKey"] = Convert.ToBase64String(key),
            ["Sip:Tracer:RecordTrying"] = "true",
            ["Sip:Tracer:RecordUserAgent"] = "true",
            ["Sip:Tracer:Propagation:Style"] = "POTel",
            ["Sip:Tracer:Propagation:PropagateBaggage"] = "true",
        }).Build();
        List<Activity> spans = [];
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.Configure<SipCallTracerOptions>(configuration.GetSection("Sip:Tracer"));
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSipInstrumentation().AddInMemoryExporter(spans));

        using IHost host = builder.Build();
        await host.StartAsync();
        SipCallTracerOptions options = host.Services.GetRequiredService<IOptionsMonitor<SipCallTracerOptions>>().CurrentValue;
        Assert.Equal(SipTrustMode.Link, options.TrustMode);
        Assert.Equal(TimeSpan.FromSeconds(5), options.TimerB);
        Assert.Equal(TimeSpan.FromMinutes(1), options.TimerC);
        Assert.Equal(5000, options.MaxTrackedCalls);
        Assert.Equal(TimeSpan.FromHours(2), options.MaxCallAge);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.SweepInterval);
        Assert.Equal(SipAddressPrivacy.HashUser, options.AddressPrivacy);
        Assert.Equal(key, options.HashKey);
        Assert.True(options.RecordTrying);
        Assert.True(options.RecordUserAgent);
        Assert.Equal(SipHeaderStyle.POTel, options.Propagation.Style);
        Assert.True(options.Propagation.PropagateBaggage);
        Assert.Empty(options.MetricTags);

        AnsweredCall(host.Services.GetRequiredService<SipCallTracer>());
        Activity setup = Assert.Single(spans, s => s.OperationName == SipSpanNames.CallSetup);
        Assert.DoesNotContain("alice", (string?)setup.GetTagItem(A.From), StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Named_tracers_are_keyed_services_with_options_of_their_name()
    {
        List<Activity> spans = [];
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenTelemetry().WithTracing(t => t
            .AddSipInstrumentation("edge", o => o.MetricTags = [new("node", "edge")])
            .AddSipInstrumentation("core", configure: null)
            .AddInMemoryExporter(spans));
        builder.Services.Configure<SipCallTracerOptions>("edge", o => o.AddressPrivacy = SipAddressPrivacy.RedactUser);

        using (IHost host = builder.Build())
        {
            await host.StartAsync();
            SipCallTracer edge = host.Services.GetRequiredKeyedService<SipCallTracer>("edge");
            SipCallTracer core = host.Services.GetRequiredKeyedService<SipCallTracer>("core");
            Assert.NotSame(edge, core);
            Assert.Same(edge, host.Services.GetRequiredKeyedService<SipCallTracer>("edge"));
            Assert.Null(host.Services.GetService<SipCallTracer>());
            AnsweredCall(edge, "edge@x");
            AnsweredCall(core, "core@x");
            await host.StopAsync();
        }

        Activity edgeSetup = Assert.Single(spans, s => s.OperationName == SipSpanNames.CallSetup && (string?)s.GetTagItem(A.CallId) == "edge@x");
        Activity coreSetup = Assert.Single(spans, s => s.OperationName == SipSpanNames.CallSetup && (string?)s.GetTagItem(A.CallId) == "core@x");
        Assert.Equal("<sip:***@atlanta.example.com>;tag=1928301774", edgeSetup.GetTagItem(A.From));
        Assert.Equal("\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774", coreSetup.GetTagItem(A.From));
    }

    [Fact]
    public async Task Stopping_the_host_disposes_the_tracer_and_exports_its_open_spans()
    {
        List<Activity> spans = [];
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSipInstrumentation().AddInMemoryExporter(spans));

        SipCallTracer tracer;
        using (IHost host = builder.Build())
        {
            await host.StartAsync();
            tracer = host.Services.GetRequiredService<SipCallTracer>();
            tracer.Record(Sip.Invite(CallId), SipDirection.In);
            Assert.Equal(1, tracer.TrackedCalls);
            await host.StopAsync();
        }

        // The provider disposed the tracer before its exporter shut down: the open span ended and was exported.
        Assert.Single(spans, s => s.OperationName == SipSpanNames.CallSetup);
        Assert.Equal(default, tracer.Record(Sip.Invite("after@x"), SipDirection.In));
    }

    [Fact]
    public void Without_a_host_the_provider_owns_the_tracer_of_its_own_services()
    {
        List<Activity> spans = [];
        using (TracerProvider provider = Sdk.CreateTracerProviderBuilder().AddSipInstrumentation().AddInMemoryExporter(spans).Build()!)
        using (var tracer = new SipCallTracer())
        {
            AnsweredCall(tracer);
        }

        Assert.Single(spans, s => s.OperationName == SipSpanNames.CallSetup);
    }

    [Fact]
    public async Task The_meter_side_creates_no_tracer()
    {
        List<Metric> metrics = [];
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenTelemetry()
            .WithTracing(t => t.AddSipInstrumentation(o => o.MetricTags = [new("test", "meter-side")]))
            .WithMetrics(m => m.AddSipInstrumentation().AddInMemoryExporter(metrics));

        using IHost host = builder.Build();
        await host.StartAsync();
        MeterProvider meters = host.Services.GetRequiredService<MeterProvider>();
        Assert.False(HasCapacityOfThisTracer());

        _ = host.Services.GetRequiredService<SipCallTracer>();
        Assert.True(HasCapacityOfThisTracer());
        await host.StopAsync();

        bool HasCapacityOfThisTracer()
        {
            metrics.Clear();
            meters.ForceFlush();
            foreach (Metric metric in metrics.Where(m => m.Name == SipMetrics.CallLimit.Name))
            {
                foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
                {
                    foreach (KeyValuePair<string, object?> tag in point.Tags)
                    {
                        if (tag.Key == "test" && (string?)tag.Value == "meter-side")
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }
    }

    [Fact]
    public async Task Invalid_tracer_options_fail_at_host_start_naming_the_setting()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSipInstrumentation("edge", o => o.TimerB = TimeSpan.Zero));

        using IHost host = builder.Build();
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SipCallTracerOptions 'edge': TimerB = 00:00:00: Timer B must be positive.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metric_tags_in_configuration_fail_at_host_start_instead_of_binding_keyless_tags()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // "MetricTags": [{ "Key": "node", "Value": "edge" }] in appsettings.json.
            ["Sip:Tracer:MetricTags:0:Key"] = "node",
            ["Sip:Tracer:MetricTags:0:Value"] = "edge",
        }).Build();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSipInstrumentation());
        builder.Services.Configure<SipCallTracerOptions>(configuration.GetSection("Sip:Tracer"));

        using IHost host = builder.Build();
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("MetricTags: A metric tag has no key", e.Message, StringComparison.Ordinal);
    }

    private static void AnsweredCall(SipCallTracer tracer, string callId = CallId)
    {
        tracer.Record(Sip.Invite(callId, extra: "User-Agent: softphone/1.0"), SipDirection.In);
        tracer.Record(Sip.Response(200, "OK", callId), SipDirection.Out);
        tracer.Record(Sip.Ack(callId), SipDirection.In);
        tracer.Record(Sip.Bye(callId), SipDirection.In);
        tracer.Record(Sip.Response(200, "OK", callId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"), SipDirection.Out);
    }
}
