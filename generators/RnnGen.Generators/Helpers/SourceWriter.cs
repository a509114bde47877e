using System;
using System.Text;

namespace RnnGen.Generators.Helpers;

/// <summary>Indentation-aware text writer for generated C#. <see cref="Block"/> opens a brace that closes when disposed.</summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private StringBuilder _builder = new();
    private int _indent;

    public void Line() => _builder.Append('\n');

    public void Line(string text)
    {
        for (int i = 0; i < _indent; i++)
            _builder.Append(IndentUnit);
        _builder.Append(text).Append('\n');
    }

    public void Indent() => _indent++;

    public void Unindent() => _indent--;

    public BlockScope Block(string? header = null)
    {
        if (header is not null)
            Line(header);
        Line("{");
        _indent++;
        return new BlockScope(this);
    }

    /// <summary>
    /// Writes the next lines into a separate buffer, at <paramref name="indent"/> levels, until the scope is disposed;
    /// the scope's <see cref="Diversion.Text"/> then holds them. Lets one emitter write code that belongs elsewhere.
    /// </summary>
    public Diversion Divert(int indent)
    {
        var diversion = new Diversion(this, _builder, _indent);
        _builder = new StringBuilder();
        _indent = indent;
        return diversion;
    }

    public override string ToString() => _builder.ToString();

    internal sealed class Diversion : IDisposable
    {
        private readonly SourceWriter _writer;
        private readonly StringBuilder _saved;
        private readonly int _savedIndent;

        public Diversion(SourceWriter writer, StringBuilder saved, int savedIndent)
        {
            _writer = writer;
            _saved = saved;
            _savedIndent = savedIndent;
        }

        public string Text { get; private set; } = "";

        public void Dispose()
        {
            Text = _writer._builder.ToString();
            _writer._builder = _saved;
            _writer._indent = _savedIndent;
        }
    }

    internal readonly struct BlockScope : IDisposable
    {
        private readonly SourceWriter _writer;

        public BlockScope(SourceWriter writer) => _writer = writer;

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line("}");
        }
    }
}
