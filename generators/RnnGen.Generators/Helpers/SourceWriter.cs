using System;
using System.Text;

namespace RnnGen.Generators.Helpers;

/// <summary>Indentation-aware text writer for generated C#. <see cref="Block"/> opens a brace that closes when disposed.</summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new();
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

    public override string ToString() => _builder.ToString();

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
