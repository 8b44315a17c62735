using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.ConventionsGenerator;

namespace SipTraceContext.Conventions.Tests;

public class NamingTests
{
    [Theory]
    [InlineData("call_id", "CallId")]
    [InlineData("eviction.reason", "EvictionReason")]
    [InlineData("x_cid", "XCid")]
    [InlineData("network.peer.address", "NetworkPeerAddress")]
    [InlineData("e_utran_fdd", "EUtranFdd")]
    [InlineData("user_agent.original", "UserAgentOriginal")]
    public void Pascal_capitalises_every_word(string name, string expected) =>
        Assert.Equal(expected, Naming.Pascal(name));

    [Theory]
    [InlineData("3gpp")]
    [InlineData("_")]
    [InlineData("")]
    public void Pascal_rejects_what_is_not_an_identifier(string name) =>
        Assert.Throws<InvalidDataException>(() => Naming.Pascal(name));

    [Property]
    public Property Pascal_of_a_model_name_is_a_CSharp_identifier()
    {
        var word = Gen.Elements("abcdefghijklmnopqrstuvwxyz".ToCharArray()).NonEmptyListOf().Select(c => new string([.. c]));
        var name = word.NonEmptyListOf().Zip(Gen.Elements(".", "_")).Select(t => string.Join(t.Item2, t.Item1));
        return Prop.ForAll(name.ToArbitrary(), n =>
        {
            var identifier = Naming.Pascal(n);
            return char.IsUpper(identifier[0]) && identifier.All(char.IsLetterOrDigit);
        });
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("line\r\nbreak", "\"line\\u000d\\u000abreak\"")]
    public void Literal_escapes_what_a_CSharp_string_cannot_hold(string value, string expected) =>
        Assert.Equal(expected, CSharpGenerator.Literal(value));

    [Property]
    public Property Literal_never_contains_a_raw_line_break_or_an_unescaped_quote(NonNull<string> value)
    {
        var literal = CSharpGenerator.Literal(value.Get);
        var inner = literal[1..^1].Replace("\\\\", string.Empty, StringComparison.Ordinal).Replace("\\\"", string.Empty, StringComparison.Ordinal);
        return (!literal.Any(c => c is '\r' or '\n' or '\u2028' or '\u2029' or '\u0085') && !inner.Contains('"', StringComparison.Ordinal)).ToProperty();
    }

    [Fact]
    public void Xml_escapes_markup_in_briefs() =>
        Assert.Equal("&lt;sip:a@b&gt; &amp; more", CSharpGenerator.Xml("<sip:a@b> & more"));

    [Fact]
    public void Repository_root_is_found_from_a_nested_folder_and_not_from_outside()
    {
        var nested = Path.Combine(RepositoryRoot.Path, "src", "Conventions", "model");

        Assert.Equal(RepositoryRoot.Path, ConventionsGeneration.FindRepositoryRoot(nested));
        Assert.Null(ConventionsGeneration.FindRepositoryRoot(Path.GetPathRoot(RepositoryRoot.Path)!));
    }
}
