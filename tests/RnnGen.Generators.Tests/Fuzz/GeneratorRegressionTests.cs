using System.Linq;
using Microsoft.CodeAnalysis;
using RnnGen.Generators.Tests.Infrastructure;

namespace RnnGen.Generators.Tests.Fuzz;

/// <summary>
/// The smallest form of each problem the fuzzer found. Every declaration here must end in one of two ways: the
/// generated code compiles with the user's, or an RNN diagnostic says why there is none. Never an exception.
/// </summary>
public sealed class GeneratorRegressionTests
{
    private const string Layers = "[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Lstm(5)]\n[Dense(2)]\n";

    /// <summary>Runs the generator and asserts it neither threw nor produced code that fails to compile silently.</summary>
    private static GeneratorRun AssertCompilesOrDiagnosed(params string[] sources)
    {
        GeneratorRun run = GeneratorHarness.Run(sources);
        Assert.Null(run.Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "CS8785");
        bool diagnosed = run.GeneratorDiagnostics.Any(d => d.Id.StartsWith("RNN", StringComparison.Ordinal));
        Diagnostic[] errors = run.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(diagnosed || (run.Sources.Count > 0 && errors.Length == 0),
            "no RNN diagnostic, and " + (run.Sources.Count == 0 ? "no generated source" : "the generated code does not compile:\n" + string.Join("\n", errors.Take(5).Select(e => e.ToString()))));
        return run;
    }

    [Fact]
    public void HugeLayerCount_ReportsRnn0008_WithoutExpandingLayers()
    {
        // The parser reported RNN0008 and then still added Layers = N layer specs; int.MaxValue exhausts memory.
        string source = "using RnnGen;\n[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Gru(4, Layers = 5_000_000)]\n[Dense(2)]\npublic partial class Deep { }\n";
        long before = GC.GetAllocatedBytesForCurrentThread();
        GeneratorRun run = GeneratorHarness.Run(source);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(run.Exception);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RNN0008", diagnostic.Id);
        Assert.True(allocated < 64L << 20, $"the generator allocated {allocated >> 20} MB for a rejected layer count");
    }

    [Fact]
    public void KeywordNamespace_GeneratesValidHintNameAndCode() =>
        AssertCompilesOrDiagnosed("using RnnGen;\nnamespace @class.@int;\n" + Layers + "public partial class Model { }\n");

    [Fact]
    public void KeywordClassName_GeneratesEscapedIdentifiers() =>
        AssertCompilesOrDiagnosed("using RnnGen;\n" + Layers + "public partial class @class { }\n");

    [Fact]
    public void KeywordContainingTypeName_GeneratesEscapedIdentifiers() =>
        AssertCompilesOrDiagnosed("using RnnGen;\npublic partial class @int\n{\n" + Layers + "public partial class Model { }\n}\n");

    [Fact]
    public void RnnModelOnBothPartialParts_DoesNotThrowOnDuplicateHintName()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using RnnGen;\n[RnnModel(SequenceLength = 3)]\npartial class Model { }\n",
            "using RnnGen;\n[RnnModel(SequenceLength = 2)]\n[Input(3)]\n[Gru(4)]\n[Dense(2)]\npartial class Model { }\n");
        Assert.Null(run.Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "CS8785");
        Assert.Contains(run.CompilationDiagnostics, d => d.Id == "CS0579");
        Assert.True(run.Sources.Count <= 1);
    }

    [Fact]
    public void AttributesSplitAcrossPartialParts_GenerateOneModel()
    {
        GeneratorRun run = AssertCompilesOrDiagnosed(
            "using RnnGen;\nnamespace Demo;\n[RnnModel(SequenceLength = 3)]\n[Input(3)]\npublic partial class Split { }\n",
            "using RnnGen;\nnamespace Demo;\n[Lstm(4)]\n[Dense(2)]\npartial class Split { }\n");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal("Demo.Split.g.cs", Assert.Single(run.Sources).HintName);
    }

    [Theory]
    [InlineData("public partial record Model { }")]
    [InlineData("public partial record class Model { }")]
    [InlineData("public sealed partial record Model(int Size) { }")]
    public void ModelDeclaredAsRecord_IsExpandedOrDiagnosed(string declaration) =>
        AssertCompilesOrDiagnosed("using RnnGen;\n" + Layers + declaration + "\n");

    [Theory]
    [InlineData("public static partial class Model { }")]
    [InlineData("public partial class Model(int size) { }")]
    [InlineData("public partial class StepState { }")]
    [InlineData("public partial class Parameters { }")]
    [InlineData("public partial class Model { public int SequenceLength; }")]
    [InlineData("public partial class Model { public Model() { } }")]
    public void ClassTheGeneratorCannotExtend_IsDiagnosedNotBroken(string declaration) =>
        AssertCompilesOrDiagnosed("using RnnGen;\nnamespace Demo;\n" + Layers + declaration + "\n");

    [Theory]
    [InlineData("[RnnModel(SequenceLength = 4)]\n[OneHot(5)]\n[Lstm(5)]\n[Dense(2)]")]
    [InlineData("[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[OneHot(5)]\n[Lstm(5)]\n[Dense(2)]")]
    public void OneHotInput_IsSupportedOrDiagnosedNotIgnored(string attributes)
    {
        // [OneHot] is public runtime API. Ignoring it (or calling the model input-less) hides the user's intent.
        GeneratorRun run = GeneratorHarness.Run("using RnnGen;\nnamespace Demo;\n" + attributes + "\npublic partial class Model { }\n");
        Assert.Null(run.Exception);
        bool mentionsOneHot = run.GeneratorDiagnostics.Any(d => d.Id.StartsWith("RNN", StringComparison.Ordinal) && d.GetMessage().Contains("OneHot", StringComparison.Ordinal));
        bool supported = run.Sources.Count == 1 && run.Sources[0].SourceText.ToString().Contains("OneHot", StringComparison.OrdinalIgnoreCase);
        Assert.True(mentionsOneHot || supported, "[OneHot] was neither used nor reported: " + string.Join(", ", run.GeneratorDiagnostics.Select(d => d.Id)));
    }

    [Fact]
    public void FileLocalClass_IsExpandedOrDiagnosed() =>
        AssertCompilesOrDiagnosed("using RnnGen;\nnamespace Demo;\n" + Layers + "file partial class Model { }\n");
}
