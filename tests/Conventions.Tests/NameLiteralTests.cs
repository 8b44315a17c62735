namespace SipTraceContext.Conventions.Tests;

/// <summary>
/// Every sip.* and ims.* name the instrumentation emits comes from the Conventions constants: no code under
/// src/ outside src/Conventions spells one as a string literal.
/// </summary>
public class NameLiteralTests
{
    private static readonly string[] s_forbiddenPrefixes = ["sip.", "ims."];

    [Fact]
    public void No_sip_or_ims_name_literals_in_src_outside_Conventions()
    {
        var src = Path.Combine(RepositoryRoot.Path, "src");
        var conventions = Path.Combine(src, "Conventions") + Path.DirectorySeparatorChar;
        var offenders = new List<string>();
        var scanned = 0;
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            if (file.StartsWith(conventions, StringComparison.Ordinal) || IsBuildOutput(src, file))
            {
                continue;
            }

            scanned++;
            foreach (var literal in StringLiteralScanner.Scan(File.ReadAllText(file)))
            {
                if (IsForbidden(literal.Text))
                {
                    offenders.Add($"{Path.GetRelativePath(RepositoryRoot.Path, file)}:{literal.Line}: \"{literal.Text}\"");
                }
            }
        }

        Assert.True(scanned > 0, $"no .cs files found under {src}");
        Assert.True(
            offenders.Count == 0,
            "Use the constants of SipTraceContext.Conventions (SipAttributes, ImsAttributes, SipSpanNames, " +
            "ImsSpanNames, SipEventNames, SipMetrics, ImsMetrics) instead of these literals:\n" + string.Join("\n", offenders));
    }

    [Theory]
    [InlineData("var name = \"sip.call_id\";", "sip.call_id")]
    [InlineData("var name = @\"ims.impu\";", "ims.impu")]
    [InlineData("var name = $\"sip.{x}\";", "sip.{x}")]
    [InlineData("var name = $@\"ims.sdp.{codec}\";", "ims.sdp.{codec}")]
    [InlineData("var name = \"sip.method\"u8;", "sip.method")]
    [InlineData("var name = \"\"\"\n    sip.raw\n    \"\"\";", "sip.raw\n    ")]
    [InlineData("Call(\"other\", \"sip.to\");", "sip.to")]
    public void Scanner_finds_name_literals_of_every_string_form(string source, string expected)
    {
        var literals = StringLiteralScanner.Scan(source);

        Assert.Contains(literals, l => l.Text == expected);
        Assert.Contains(literals, l => IsForbidden(l.Text));
    }

    [Theory]
    [InlineData("// \"sip.call_id\" in a comment")]
    [InlineData("/* \"ims.impu\" in a block comment */")]
    [InlineData("/// <summary>Records <c>\"sip.method\"</c>.</summary>")]
    [InlineData("var uri = \"sip:alice@atlanta.example.com\";")]
    [InlineData("var version = \"SIP/2.0\";")]
    [InlineData("var param = \"+sip.instance\";")]
    [InlineData("var c = '\"'; var s = \"x\"; // \"sip.x\"")]
    [InlineData("var s = \"a \\\" sip.call_id\";")]
    public void Scanner_ignores_comments_and_other_literals(string source)
    {
        Assert.DoesNotContain(StringLiteralScanner.Scan(source), l => IsForbidden(l.Text));
    }

    [Fact]
    public void Scanner_reports_the_line_of_the_literal()
    {
        var source = "class C\n{\n    /* one\n       two */\n    string S = \"sip.call_id\";\n}\n";

        var literal = Assert.Single(StringLiteralScanner.Scan(source));

        Assert.Equal(5, literal.Line);
    }

    private static bool IsForbidden(string text) =>
        s_forbiddenPrefixes.Any(p => text.StartsWith(p, StringComparison.Ordinal));

    private static bool IsBuildOutput(string src, string file)
    {
        var parts = Path.GetRelativePath(src, file).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return parts.Contains("bin") || parts.Contains("obj");
    }
}
