using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RnnGen.Generators.Model;
using RnnGen.Generators.Tests.Infrastructure;

namespace RnnGen.Generators.Tests;

/// <summary>The pipeline caches: unrelated edits re-run nothing, and the model never holds compilation objects.</summary>
public sealed class IncrementalityTests
{
    private const string Source = """
        using RnnGen;

        namespace Demo;

        // A character model.
        [RnnModel(SequenceLength = 8, BatchSize = 2)]
        [Embedding(10, 4)]
        [Lstm(16)]
        [Dense(10, Activation = DenseActivation.Softmax)]
        public partial class CharModel { }
        """;

    private static readonly string[] s_trackingNames = typeof(TrackingNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();

    private static (GeneratorDriverRunResult First, GeneratorDriverRunResult Second) RunTwice(string first, string second)
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(first);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        GeneratorDriverRunResult firstResult = driver.GetRunResult();
        SyntaxTree oldTree = compilation.SyntaxTrees.Single();
        Compilation next = first == second
            ? compilation.Clone()
            : compilation.ReplaceSyntaxTree(oldTree, CSharpSyntaxTree.ParseText(second, GeneratorHarness.ParseOptions, oldTree.FilePath));
        return (firstResult, driver.RunGenerators(next).GetRunResult());
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriverRunResult result, string step) =>
        result.Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void ClonedCompilation_Rerun_EveryTrackedStepCachedOrUnchanged()
    {
        (GeneratorDriverRunResult first, GeneratorDriverRunResult second) = RunTwice(Source, Source);
        Assert.Equal(s_trackingNames.OrderBy(n => n), first.Results.Single().TrackedSteps.Keys.Where(s_trackingNames.Contains).OrderBy(n => n));
        foreach (string step in s_trackingNames)
            Assert.All(Reasons(second, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
    }

    [Fact]
    public void AddedComment_Rerun_ModelAndOutputUnchanged()
    {
        string edited = Source.Replace("// A character model.", "// A character model.\n// Trained on Shakespeare.");
        (GeneratorDriverRunResult first, GeneratorDriverRunResult second) = RunTwice(Source, edited);
        Assert.All(Reasons(second, TrackingNames.Models), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.Equal(first.Results.Single().GeneratedSources.Single().SourceText.ToString(), second.Results.Single().GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void HiddenSizeEdit_Rerun_ModelModifiedAndRegenerated()
    {
        (GeneratorDriverRunResult first, GeneratorDriverRunResult second) = RunTwice(Source, Source.Replace("[Lstm(16)]", "[Lstm(24)]"));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, TrackingNames.Models));
        Assert.NotEqual(first.Results.Single().GeneratedSources.Single().SourceText.ToString(), second.Results.Single().GeneratedSources.Single().SourceText.ToString());
        Assert.Contains("L0HiddenStride = 48", second.Results.Single().GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void ModelGraph_WalkedByReflection_HoldsNoCompilationObjects()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(Location), typeof(SemanticModel), typeof(SyntaxTree) };
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(new[] { typeof(ParseResult) });
        while (pending.Count > 0)
        {
            Type type = pending.Pop();
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.IsEnum)
                continue;
            Assert.DoesNotContain(forbidden, f => f.IsAssignableFrom(type));
            foreach (Type argument in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes)
                pending.Push(argument);
            if (type.IsArray)
                pending.Push(type.GetElementType()!);
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                pending.Push(field.FieldType);
        }
        Assert.Contains(typeof(ModelSpec), seen);
        Assert.Contains(typeof(LayerSpec), seen);
    }
}
