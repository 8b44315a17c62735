using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SipTraceContext.Docs.Tests;

/// <summary>
/// Every <c>```csharp</c> block of a documentation page is compiled against the packages, so a
/// page cannot show an API that was renamed or removed. A page's blocks are read top to bottom as
/// one program, as a reader reads them: a later block may use what an earlier one declared. What a
/// page leaves to the reader (its own bytes, its host builder, its SIP stack's types) is declared
/// in <see cref="Contexts"/>.
/// </summary>
public sealed class SnippetCompilationTests
{
    /// <summary>
    /// Declarations a page's snippets take for granted: <c>Before</c> runs ahead of the first
    /// block, <c>After</c> holds the types and functions the blocks refer to.
    /// </summary>
    private static readonly Dictionary<string, (string Before, string After)> Contexts = new()
    {
        ["src/Sip.Abstractions/README.md"] = (
            """
            byte[] datagram = [];
            byte[] message = [];
            byte[] traceparent = [];
            byte[] destination = new byte[2048];
            """,
            ""),
        ["src/Propagation/README.md"] = (
            """
            byte[] datagram = [];
            byte[] received = [];
            byte[] forwarded = new byte[2048];
            var options = new SipPropagationOptions();
            using var source = new ActivitySource("MyProxy");
            """,
            ""),
        ["src/Conventions/README.md"] = (
            """
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            using var meter = new Meter("MyProxy");
            """,
            ""),
        ["src/Instrumentation/README.md"] = (
            """
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            byte[] secretKeyBytes = new byte[32];
            byte[] datagram = [];
            byte[] received = [];
            byte[] packet = [];
            int finalStatus = 200;
            byte[] bytesFromUe = [];
            byte[] buffer = new byte[2048];
            string rxSessionId = "pcscf.example.net;1;1";
            object message = new();
            object scscf = new();
            DateTimeOffset captureTimestamp = DateTimeOffset.UtcNow;
            var propagator = new SipTraceContext.Propagation.SipRawPropagator();
            """,
            """
            static byte[] Rewrite(byte[] message) => message;
            static void Send(object node, ReadOnlyMemory<byte> bytes) { }

            sealed class MyStackCarrier(object message) : SipTraceContext.Sip.ISipMessageCarrier
            {
                public object Message { get; } = message;
                public bool IsRequest => true;
                public string? Method => "INVITE";
                public string? RequestUri => "sip:bob@example.com";
                public int StatusCode => 0;
                public string? ReasonPhrase => null;
                public void Add(string name, string value) { }
                public void Set(string name, string value) { }
                public bool Remove(string name) => false;
                public IReadOnlyList<string> GetValues(string name) => [];
                public bool TryGetValue(string name, out string? value) { value = null; return false; }
            }
            """),
        ["docs/how-it-decides.md"] = (
            """
            byte[] datagram = [];
            byte[] message = [];
            byte[] destination = new byte[2048];
            byte[] tracestate = [];
            var reader = new SipTraceContext.Sip.SipMessageReader(datagram);
            var propagator = new SipTraceContext.Propagation.SipTextMapPropagator();
            var carrier = new SipTraceContext.Sip.SipHeaderCollection();
            using var activity = new Activity("INVITE");
            """,
            """
            sealed record StackHeader(string Name, string Value);
            sealed class StackMessage { public List<StackHeader> Headers { get; } = []; }
            """),
        ["deploy/prometheus/README.md"] = (
            """
            var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
            Microsoft.AspNetCore.Builder.WebApplication app = null!;
            """,
            ""),
        ["README.md"] = (
            """
            byte[] datagram = [];
            byte[] sendBuffer = new byte[2048];
            using var activity = new Activity("INVITE").Start();
            """,
            ""),
        ["src/Capture/README.md"] = (
            """
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            """,
            ""),
    };

    /// <summary>What a new console app has without writing it (the SDK's implicit usings).</summary>
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http",
        "System.Threading", "System.Threading.Tasks",
    ];

    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string>();
        foreach (string page in DocumentationPages())
        {
            pages.Add(page);
        }
        return pages;
    }

    [Fact]
    public void Every_page_with_csharp_has_a_test_and_every_context_a_page()
    {
        var withCode = DocumentationPages().Where(p => ExtractBlocks(File.ReadAllText(Path.Combine(RepositoryRoot, p))).Count > 0).ToHashSet();
        Assert.Contains("src/Propagation/README.md", withCode);
        foreach (string page in Contexts.Keys)
        {
            Assert.True(File.Exists(Path.Combine(RepositoryRoot, page)), $"{page} has a snippet context but no longer exists");
        }
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Csharp_snippets_compile(string page)
    {
        List<Block> blocks = ExtractBlocks(File.ReadAllText(Path.Combine(RepositoryRoot, page)));
        if (blocks.Count == 0)
        {
            return; // a page without C# has nothing that can rot
        }

        (string before, string after) = Contexts.TryGetValue(page, out var context) ? context : ("", "");

        // Each block is split into its using directives (hoisted, as a file has them once at its
        // top), its statements (run in page order) and its type declarations (moved after every
        // statement, as top-level programs require). #line directives map errors to the page.
        var usings = new SortedSet<string>(StringComparer.Ordinal);
        var statements = new System.Text.StringBuilder();
        var declarations = new System.Text.StringBuilder();
        foreach (Block block in blocks)
        {
            var unit = (Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax)CSharpSyntaxTree
                .ParseText(string.Join('\n', block.Lines), ParseOptions).GetRoot();
            foreach (var directive in unit.Usings)
            {
                usings.Add(directive.WithoutTrivia().ToString());
            }
            foreach (var member in unit.Members)
            {
                int line = block.FirstLine + member.GetLocation().GetLineSpan().StartLinePosition.Line;
                var target = member is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax ? statements : declarations;
                target.Append($"#line {line} \"{page}\"\n").Append(member.WithoutLeadingTrivia().ToFullString()).Append('\n');
            }
        }

        string program =
            string.Concat(ImplicitUsings.Select(u => $"global using {u};\n"))
            + "using System.Diagnostics;\nusing System.Diagnostics.Metrics;\n"
            + string.Concat(usings.Select(u => u + "\n"))
            + $"#line hidden\n{before}\n"
            + statements
            + $"#line hidden\n{after}\n"
            + declarations;

        var compilation = CSharpCompilation.Create(
            "Snippets",
            [CSharpSyntaxTree.ParseText(program, ParseOptions, path: "snippets.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d =>
            {
                FileLinePositionSpan where = d.Location.GetMappedLineSpan();
                string place = where.HasMappedPath ? $"{where.Path}:{where.StartLinePosition.Line + 1}" : $"the test's context for {page}";
                return $"{place}: {d.Id} {d.GetMessage()}";
            })
            .ToList();

        Assert.True(errors.Count == 0, $"C# snippets of {page} do not compile:\n" + string.Join('\n', errors));
    }

    [Fact]
    public void A_broken_snippet_fails_the_test()
    {
        // The test must be able to fail: a call to an API that does not exist is reported.
        string page = Path.Combine(Path.GetTempPath(), $"snippet-{Guid.NewGuid():N}.md");
        List<Block> blocks = ExtractBlocks("text\n```csharp\nSipTraceContext.Propagation.SipRawPropagator.NoSuchMethod();\n```\n");
        Assert.Single(blocks);
        var compilation = CSharpCompilation.Create(
            "Broken",
            [CSharpSyntaxTree.ParseText(string.Join('\n', blocks[0].Lines), path: page)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication));
        Assert.Contains(compilation.GetDiagnostics(), d => d.Id == "CS0117");
    }

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private sealed record Block(int FirstLine, IReadOnlyList<string> Lines);

    private static List<Block> ExtractBlocks(string markdown)
    {
        var blocks = new List<Block>();
        string[] lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string fence = lines[i].Trim();
            if (fence is not ("```csharp" or "```cs" or "```c#"))
            {
                continue;
            }
            int first = i + 1;
            int end = first;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }
            blocks.Add(new Block(first + 1, lines[first..end]));
            i = end;
        }
        return blocks;
    }

    private static bool IsUsingDirective(string line)
    {
        string trimmed = line.Trim();
        return trimmed.StartsWith("using ", StringComparison.Ordinal) && trimmed.EndsWith(';')
            && !trimmed.Contains('(') && !trimmed.Contains(" var ", StringComparison.Ordinal) && !trimmed.Contains('=');
    }

    private static IEnumerable<string> DocumentationPages()
    {
        var root = new DirectoryInfo(RepositoryRoot);
        IEnumerable<FileInfo> pages = new[] { "README.md" }.Select(p => new FileInfo(Path.Combine(root.FullName, p)))
            .Concat(new[] { "src", "docs", "samples", "deploy" }
                .Select(d => new DirectoryInfo(Path.Combine(root.FullName, d)))
                .Where(d => d.Exists)
                .SelectMany(d => d.EnumerateFiles("*.md", SearchOption.AllDirectories)))
            .Where(f => f.Exists && !f.FullName.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.FullName.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"));
        return pages.Select(f => Path.GetRelativePath(root.FullName, f.FullName).Replace('\\', '/')).OrderBy(p => p, StringComparer.Ordinal);
    }

    private static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SipTraceContext.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("SipTraceContext.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// The framework's assemblies, then every managed assembly beside the tests (our packages,
    /// OpenTelemetry, the host): where both have a name, the one the app loads wins.
    /// </summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            byName[Path.GetFileNameWithoutExtension(path)] = path;
        }
        foreach (string path in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
        {
            try
            {
                AssemblyName.GetAssemblyName(path);
            }
            catch (BadImageFormatException)
            {
                continue; // native
            }
            byName[Path.GetFileNameWithoutExtension(path)] = path;
        }
        return [.. byName.Values.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });
}
