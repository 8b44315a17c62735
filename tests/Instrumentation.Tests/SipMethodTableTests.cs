using System.Reflection;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>The conventions' method values and the SIP layer's method table are one list.</summary>
public sealed class SipMethodTableTests
{
    public static TheoryData<string> ConventionMethods()
    {
        var methods = new TheoryData<string>();
        foreach (FieldInfo field in typeof(SipAttributes.MethodValues).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            string value = (string)field.GetRawConstantValue()!;
            if (value != SipAttributes.MethodValues.Other)
            {
                methods.Add(value);
            }
        }
        return methods;
    }

    [Theory]
    [MemberData(nameof(ConventionMethods))]
    public void Every_method_the_conventions_name_is_its_own_metric_value(string method) =>
        Assert.Equal(method, SipMethods.MetricValue(Encoding.ASCII.GetBytes(method)));

    [Theory]
    [InlineData("invite")]
    [InlineData("FOO")]
    [InlineData("")]
    public void Other_tokens_are_OTHER(string method) =>
        Assert.Equal(SipAttributes.MethodValues.Other, SipMethods.MetricValue(Encoding.ASCII.GetBytes(method)));
}
