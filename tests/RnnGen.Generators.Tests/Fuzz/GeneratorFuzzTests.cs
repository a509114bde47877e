using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnGen.Generators.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RnnGen.Generators.Tests.Fuzz;

/// <summary>
/// Seeded fuzzing of the generator: thousands of random and mutated declarations must never make it throw, every
/// rejected declaration must be explained by a diagnostic, and accepted ones must compile cleanly.
/// </summary>
public sealed class GeneratorFuzzTests
{
    private const int Seed = 20_240_607;
    private const int CaseCount = 10_000;

    // Cases whose index is a multiple of this are compiled in full with the generated code. Valid cases are those with
    // index % 5 < 2, so this picks 200 of the 4,000 valid ones.
    private const int CompileEveryNth = 50;

    // Mutated cases whose index is a multiple of this and that produced source are compiled too, to catch generated
    // code that breaks on declarations the generator accepted without a diagnostic.
    private const int CompileEveryNthMutated = 37;

    // Compilations derived from one base share its reference manager, so references are bound once, not per case. The
    // base references only what models and generated code use, which keeps every namespace lookup short.
    private static readonly CSharpCompilation s_base = GeneratorHarness.CreateCompilation().WithReferences(MinimalReferences());

    private readonly ITestOutputHelper _output;

    public GeneratorFuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void RandomAndMutatedDeclarations_TenThousand_NeverThrowAndAlwaysExplainRejections()
    {
        // Cases with Layers = int.MaxValue would exhaust the machine's memory if rejected layer counts were still
        // expanded, so that is checked cheaply first.
        Assert.True(RejectedLayerCountIsNotExpanded(), "the generator expands a rejected Layers = 5,000,000 (see GeneratorRegressionTests.HugeLayerCount_ReportsRnn0008_WithoutExpandingLayers); fuzzing int.MaxValue would exhaust memory");

        var stopwatch = Stopwatch.StartNew();
        var fuzzer = new DeclarationFuzzer(Seed);
        var cases = new FuzzCase[CaseCount];
        for (int i = 0; i < CaseCount; i++)
            cases[i] = i % 5 < 2 ? fuzzer.Valid(i) : fuzzer.Mutated(i);

        var failures = new FailureLog();
        int generated = 0, compiledValid = 0, compiledMutated = 0;
        var options = new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        System.Threading.Tasks.Parallel.For(0, CaseCount, options, i =>
        {
            FuzzCase fuzzCase = cases[i];
            int sources = Check(fuzzCase, failures);
            if (sources > 0)
                System.Threading.Interlocked.Increment(ref generated);
            if (fuzzCase.IsValid && i % CompileEveryNth == 0)
            {
                CompileClean(fuzzCase, failures);
                System.Threading.Interlocked.Increment(ref compiledValid);
            }
            else if (!fuzzCase.IsValid && sources > 0 && i % CompileEveryNthMutated == 0)
            {
                CompileWhenUserCodeCompiles(fuzzCase, failures);
                System.Threading.Interlocked.Increment(ref compiledMutated);
            }
        });

        _output.WriteLine($"{CaseCount} cases ({cases.Count(c => c.IsValid)} valid) in {stopwatch.Elapsed.TotalSeconds:F1} s: " +
                          $"{generated} generated source, {CaseCount - generated} did not; compiled {compiledValid} valid and {compiledMutated} mutated.");
        Assert.Equal(CaseCount / CompileEveryNth, compiledValid);
        Assert.True(failures.Count == 0, failures.Summary());
    }

    private static bool RejectedLayerCountIsNotExpanded()
    {
        var canary = new FuzzCase(-1, "canary", new[] { "using RnnGen;\n[RnnModel(SequenceLength = 4)]\n[Input(3)]\n[Gru(4, Layers = 5_000_000)]\n[Dense(2)]\npublic partial class Deep { }\n" }, false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        CreateDriver().RunGenerators(CreateCompilation(canary));
        return GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20;
    }

    /// <summary>Runs the generator alone and checks the invariants that need no full compilation.</summary>
    private static int Check(FuzzCase fuzzCase, FailureLog failures)
    {
        CSharpCompilation compilation = CreateCompilation(fuzzCase);
        GeneratorDriverRunResult result = CreateDriver().RunGenerators(compilation).GetRunResult();
        GeneratorRunResult run = result.Results.Single();
        if (run.Exception is not null)
        {
            failures.Add("generator threw " + run.Exception.GetType().Name + ": " + FirstLine(run.Exception.Message), fuzzCase);
            return 0;
        }
        foreach (Diagnostic diagnostic in result.Diagnostics)
        {
            if (diagnostic.Id == "CS8785")
                failures.Add("CS8785 generator failure: " + FirstLine(diagnostic.GetMessage()), fuzzCase);
            else if (diagnostic.Id.StartsWith("RNN", StringComparison.Ordinal))
                CheckRnnDiagnostic(diagnostic, compilation, fuzzCase, failures);
        }

        bool hasRnnDiagnostic = result.Diagnostics.Any(d => d.Id.StartsWith("RNN", StringComparison.Ordinal));
        var hintNames = run.GeneratedSources.Select(s => s.HintName).ToHashSet(StringComparer.Ordinal);
        if (fuzzCase.IsValid)
        {
            if (hasRnnDiagnostic)
                failures.Add("valid declaration got " + string.Join(", ", result.Diagnostics.Select(d => d.Id)), fuzzCase);
            if (run.GeneratedSources.Length != 1)
                failures.Add($"valid declaration produced {run.GeneratedSources.Length} sources", fuzzCase);
        }

        // Every declaration carrying [RnnModel] either got code, or the user was told why: an RNN diagnostic, or a
        // compiler error on the declaration's attributes or header (or anywhere, when the file does not even parse).
        foreach (TypeDeclarationSyntax target in ModelDeclarations(compilation))
        {
            if (HasSource(hintNames, target) || hasRnnDiagnostic)
                continue;
            if (compilation.SyntaxTrees.Any(t => t.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)))
                continue;
            TextSpanLike header = Header(target);
            bool explained = compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error
                && d.Location.SourceTree == target.SyntaxTree && d.Location.SourceSpan.Start < header.End && d.Location.SourceSpan.End > header.Start);
            if (!explained)
                failures.Add($"no source and no diagnostic for '{target.Keyword.Text} {target.Identifier.Text}'", fuzzCase);
        }
        return run.GeneratedSources.Length;
    }

    private static void CheckRnnDiagnostic(Diagnostic diagnostic, Compilation compilation, FuzzCase fuzzCase, FailureLog failures)
    {
        if (!diagnostic.Descriptor.HelpLinkUri.EndsWith($"docs/diagnostics/{diagnostic.Id}.md", StringComparison.Ordinal))
            failures.Add(diagnostic.Id + " has no help page link", fuzzCase);
        FileLinePositionSpan lineSpan = diagnostic.Location.GetLineSpan();
        SyntaxTree? tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == lineSpan.Path);
        if (diagnostic.Location == Location.None || tree is null)
        {
            failures.Add(diagnostic.Id + " has no location in the user's files", fuzzCase);
            return;
        }
        Microsoft.CodeAnalysis.Text.TextSpan span = diagnostic.Location.SourceSpan;
        if (span.End > tree.Length || tree.GetLineSpan(span).Span != lineSpan.Span)
            failures.Add($"{diagnostic.Id} points outside its file ({span} in a {tree.Length}-character file)", fuzzCase);
    }

    /// <summary>A valid declaration and its generated code compile with no error and no warning.</summary>
    private static void CompileClean(FuzzCase fuzzCase, FailureLog failures)
    {
        CSharpCompilation compilation = CreateCompilation(fuzzCase);
        CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        Diagnostic? problem = output.GetDiagnostics().FirstOrDefault(d => d.Severity >= DiagnosticSeverity.Warning);
        if (problem is not null)
            failures.Add("valid declaration does not compile cleanly: " + problem.Id, fuzzCase, problem.ToString());
    }

    /// <summary>When the user's code compiles on its own and the generator accepted it, the generated code must compile too.</summary>
    private static void CompileWhenUserCodeCompiles(FuzzCase fuzzCase, FailureLog failures)
    {
        CSharpCompilation compilation = CreateCompilation(fuzzCase);
        if (compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
            return;
        CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            return;
        Diagnostic? error = output.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error is not null)
            failures.Add("accepted declaration generates code that does not compile: " + error.Id, fuzzCase, error.ToString());
    }

    private static CSharpCompilation CreateCompilation(FuzzCase fuzzCase) =>
        s_base.AddSyntaxTrees(fuzzCase.Sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, GeneratorHarness.ParseOptions, path: $"Model{i}.cs")));

    private static IEnumerable<MetadataReference> MinimalReferences()
    {
        string framework = System.IO.Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        foreach (string name in new[] { "System.Private.CoreLib.dll", "System.Runtime.dll", "System.Memory.dll", "System.Collections.dll", "System.Runtime.Intrinsics.dll" })
            yield return MetadataReference.CreateFromFile(System.IO.Path.Combine(framework, name));
        yield return MetadataReference.CreateFromFile(typeof(RnnParameters).Assembly.Location);
        yield return MetadataReference.CreateFromFile(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location);
    }

    private static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(new[] { new RnnGenerator().AsSourceGenerator() }, parseOptions: GeneratorHarness.ParseOptions);

    /// <summary>Type declarations with an attribute spelled like [RnnModel], the ones the generator is asked to expand.</summary>
    private static IEnumerable<TypeDeclarationSyntax> ModelDeclarations(Compilation compilation)
    {
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            foreach (AttributeSyntax attribute in tree.GetRoot().DescendantNodes().OfType<AttributeSyntax>())
            {
                string name = attribute.Name is QualifiedNameSyntax q ? q.Right.Identifier.ValueText
                    : attribute.Name is AliasQualifiedNameSyntax a ? a.Name.Identifier.ValueText
                    : attribute.Name is IdentifierNameSyntax i ? i.Identifier.ValueText : "";
                if (name is "RnnModel" or "RnnModelAttribute" && attribute.Parent?.Parent is TypeDeclarationSyntax declaration)
                    yield return declaration;
            }
        }
    }

    /// <summary>Whether a generated file is named after the declaration (hint names end in <c>.{Type}.g.cs</c>).</summary>
    private static bool HasSource(IReadOnlyCollection<string> hintNames, TypeDeclarationSyntax declaration)
    {
        string name = declaration.Identifier.ValueText;
        return hintNames.Any(h => h == name + ".g.cs" || h.EndsWith("." + name + ".g.cs", StringComparison.Ordinal));
    }

    private static TextSpanLike Header(TypeDeclarationSyntax declaration)
    {
        int end = declaration.OpenBraceToken.IsMissing || declaration.OpenBraceToken.Span.Length == 0
            ? declaration.Span.End
            : declaration.OpenBraceToken.SpanStart;
        return new TextSpanLike(declaration.SpanStart, end);
    }

    private static string FirstLine(string text)
    {
        int newline = text.IndexOf('\n');
        return newline < 0 ? text : text.Substring(0, newline);
    }

    private readonly record struct TextSpanLike(int Start, int End);

    /// <summary>Failures grouped by kind (quoted names blanked), with the lowest-indexed case of each kind in full.</summary>
    private sealed class FailureLog
    {
        private readonly Dictionary<string, (int Count, int Index, string Example)> _byKind = new(StringComparer.Ordinal);

        public int Count { get; private set; }

        public void Add(string kind, FuzzCase fuzzCase, string detail = "")
        {
            string key = System.Text.RegularExpressions.Regex.Replace(kind, "'[^']*'", "'…'");
            string example = kind + "\n" + (detail.Length > 0 ? detail + "\n" : "") + fuzzCase;
            lock (_byKind)
            {
                Count++;
                _byKind[key] = !_byKind.TryGetValue(key, out var entry) ? (1, fuzzCase.Index, example)
                    : fuzzCase.Index < entry.Index ? (entry.Count + 1, fuzzCase.Index, example)
                    : (entry.Count + 1, entry.Index, entry.Example);
            }
        }

        public string Summary() =>
            $"{Count} failures in {_byKind.Count} kinds:\n" + string.Join("\n\n", _byKind
                .OrderByDescending(k => k.Value.Count)
                .Select(k => $"[{k.Value.Count}x] {k.Key}\n{k.Value.Example}"));
    }
}
