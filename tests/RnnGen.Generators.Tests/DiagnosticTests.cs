using System.Linq;
using Microsoft.CodeAnalysis;
using RnnGen.Generators.Tests.Infrastructure;

namespace RnnGen.Generators.Tests;

/// <summary>One test per diagnostic ID: the ID, and the exact source span it points at.</summary>
public sealed class DiagnosticTests
{
    private static void AssertDiagnostic(string source, string id, string expectedSpanText)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Null(run.Exception);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Id.StartsWith("RNN", StringComparison.Ordinal));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(expectedSpanText, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.EndsWith($"docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri);
        Assert.Empty(run.Sources);
    }

    private static string Model(string attributes, string declaration = "public partial class Model { }") =>
        "using RnnGen;\nnamespace Demo;\n" + attributes + "\n" + declaration + "\n";

    private const string Valid = "[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Lstm(5)]\n[Dense(2)]";

    [Fact]
    public void NonPartialClass_Reported_AtIdentifier() =>
        AssertDiagnostic(Model(Valid, "public class Model { }"), "RNN0001", "Model");

    [Fact]
    public void NonPartialContainingType_Reported_AtModelIdentifier() =>
        AssertDiagnostic("using RnnGen;\npublic class Outer\n{\n" + Valid + "\npublic partial class Inner { }\n}\n", "RNN0002", "Inner");

    [Fact]
    public void GenericClass_Reported_AtIdentifier() =>
        AssertDiagnostic(Model(Valid, "public partial class Model<T> { }"), "RNN0003", "Model");

    [Fact]
    public void MissingInput_Reported_AtModelAttribute() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Lstm(5)]\n[Dense(2)]"), "RNN0004", "RnnModel(SequenceLength = 4)");

    [Fact]
    public void InputAndEmbedding_Reported_AtModelAttribute() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Embedding(10, 3)]\n[Lstm(5)]\n[Dense(2)]"), "RNN0005", "RnnModel(SequenceLength = 4)");

    [Fact]
    public void MissingRecurrentLayer_Reported_AtModelAttribute() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Dense(2)]"), "RNN0006", "RnnModel(SequenceLength = 4)");

    [Fact]
    public void MissingHead_Reported_AtModelAttribute() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Gru(5)]"), "RNN0007", "RnnModel(SequenceLength = 4)");

    [Fact]
    public void ZeroHiddenSize_Reported_AtArgument() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Lstm(0)]\n[Dense(2)]"), "RNN0008", "0");

    [Fact]
    public void MissingSequenceLength_Reported_AtModelAttribute() =>
        AssertDiagnostic(Model("[RnnModel(BatchSize = 2)]\n[Input(3)]\n[Lstm(4)]\n[Dense(2)]"), "RNN0008", "RnnModel(BatchSize = 2)");

    [Fact]
    public void NegativeLayerCount_Reported_AtNamedArgument() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Gru(4, Layers = -1)]\n[Dense(2)]"), "RNN0008", "Layers = -1");

    [Fact]
    public void UndefinedActivation_Reported_AtNamedArgument() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[SimpleRnn(4, Activation = (RnnActivation)7)]\n[Dense(2)]"), "RNN0009", "Activation = (RnnActivation)7");

    [Fact]
    public void HugeModel_Reported_AtModelAttribute() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 100000, BatchSize = 4096)]\n[Input(3)]\n[Lstm(4096)]\n[Dense(2)]"), "RNN0010", "RnnModel(SequenceLength = 100000, BatchSize = 4096)");

    [Fact]
    public void UnbindableArguments_Reported_AtAttribute()
    {
        string source = Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Lstm(\"wide\")]\n[Dense(2)]");
        GeneratorRun run = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RNN0011", diagnostic.Id);
        Assert.Equal("Lstm(\"wide\")", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Contains(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Id == "CS1503");
    }

    [Fact]
    public void StreamingBidirectional_Reported_AtStreamingArgument() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4, Streaming = true)]\n[Input(3)]\n[Lstm(5, Bidirectional = true)]\n[Dense(2)]"), "RNN0013", "Streaming = true");

    [Fact]
    public void ProjectionNotBelowHidden_Reported_AtProjectionArgument() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Lstm(5, ProjectionSize = 5)]\n[Dense(2)]"), "RNN0014", "ProjectionSize = 5");

    [Fact]
    public void EncoderWithHead_Reported_AtModelAttribute() =>
        AssertDiagnostic(Model("[RnnModel(SequenceLength = 4, Encoder = true)]\n[Input(3)]\n[Gru(5)]\n[Dense(2)]"), "RNN0015", "RnnModel(SequenceLength = 4, Encoder = true)");

    [Theory]
    [InlineData("public partial record Model { }")]
    [InlineData("public static partial class Model { }")]
    [InlineData("public partial class Model(int size) { }")]
    [InlineData("public partial class Model { public Model() { } }")]
    [InlineData("public partial class Model { public int SequenceLength; }")]
    public void ClassThatCannotHostModel_Reported_AtIdentifier(string declaration) =>
        AssertDiagnostic(Model(Valid, declaration), "RNN0016", "Model");

    [Fact]
    public void InternalError_Descriptor_HasHelpPageAndPlaceholders()
    {
        // RNN0012 is the safety net for a bug in RnnGen itself, so no valid or invalid declaration reaches it.
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.ById("RNN0012");
        Assert.Equal("RNN0012", descriptor.Id);
        Assert.EndsWith("docs/diagnostics/RNN0012.md", descriptor.HelpLinkUri);
        Assert.Contains("{1}", descriptor.MessageFormat.ToString());
    }

    [Fact]
    public void EveryDescriptor_HasHelpPageInDocs()
    {
        string root = FindRepositoryRoot();
        foreach (var field in typeof(DiagnosticDescriptors).GetFields().Where(f => f.FieldType == typeof(DiagnosticDescriptor)))
        {
            var descriptor = (DiagnosticDescriptor)field.GetValue(null)!;
            Assert.True(System.IO.File.Exists(System.IO.Path.Combine(root, "docs", "diagnostics", descriptor.Id + ".md")), descriptor.Id + " has no help page");
            Assert.Contains(descriptor.Id, System.IO.File.ReadAllText(System.IO.Path.Combine(root, "generators", "RnnGen.Generators", "AnalyzerReleases.Unshipped.md")));
        }
    }

    private static string FindRepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "")
    {
        string? directory = System.IO.Path.GetDirectoryName(path);
        while (directory is not null && !System.IO.File.Exists(System.IO.Path.Combine(directory, "RnnGen.sln")))
            directory = System.IO.Path.GetDirectoryName(directory);
        return directory ?? throw new InvalidOperationException("RnnGen.sln not found above " + path);
    }
}
