using System.Text;

namespace SipTraceContext.ConventionsGenerator;

/// <summary>A line-oriented text builder with indentation and LF line endings on every platform.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    /// <summary>Writes one line at the current indentation (an empty line has no trailing spaces).</summary>
    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _builder.Append(' ', _indent * 4).Append(text);
        }

        _builder.Append('\n');
    }

    /// <summary>Writes <c>{</c> and indents.</summary>
    public void Open()
    {
        Line("{");
        _indent++;
    }

    /// <summary>Unindents and writes <c>}</c>.</summary>
    public void Close()
    {
        _indent--;
        Line("}");
    }

    /// <inheritdoc/>
    public override string ToString() => _builder.ToString();
}
