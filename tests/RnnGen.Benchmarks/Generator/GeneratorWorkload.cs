using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace RnnGen.Benchmarks.Generator;

/// <summary>
/// A user compilation declaring <see cref="ModelCount"/> models of mixed cells and sizes, and the RnnGen generator run
/// over it the way the compiler runs it.
/// </summary>
/// <remarks>
/// The benchmark project gets the generator as an analyzer, not as a library, so the generator type is loaded from
/// the assembly the build already produced (generators/RnnGen.Generators/bin/&lt;Configuration&gt;/netstandard2.0).
/// </remarks>
internal sealed class GeneratorWorkload
{
    /// <summary>Models declared in the compilation.</summary>
    public const int ModelCount = 20;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);

    private readonly ISourceGenerator _generator;
    private readonly CSharpCompilation _compilation;

    private GeneratorWorkload()
    {
        _generator = LoadGenerator().AsSourceGenerator();
        _compilation = CSharpCompilation.Create(
            "GeneratorBenchmark",
            [CSharpSyntaxTree.ParseText(Source(extraMethod: false), s_parseOptions, path: "Models.cs")],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        TrackingNames = _generator.GetGeneratorType().Assembly.GetType("RnnGen.Generators.TrackingNames", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Loads the generator and builds the compilation; false with the reason when this process cannot host
    /// the generator.</summary>
    /// <remarks>The generator is compiled against Microsoft.CodeAnalysis 4.14, while BenchmarkDotNet alone brings
    /// 4.3.1 into this project; the project needs its own <c>Microsoft.CodeAnalysis.CSharp</c> package reference
    /// (the centrally pinned 4.14) for the load to bind.</remarks>
    public static bool TryCreate([NotNullWhen(true)] out GeneratorWorkload? workload, [NotNullWhen(false)] out string? reason)
    {
        try
        {
            workload = new GeneratorWorkload();
            reason = null;
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException)
        {
            workload = null;
            string loaded = typeof(Compilation).Assembly.GetName().Version?.ToString() ?? "unknown";
            reason = $"cannot load the generator against Microsoft.CodeAnalysis {loaded}: {e.Message} "
                + "Add <PackageReference Include=\"Microsoft.CodeAnalysis.CSharp\" /> to RnnGen.Benchmarks.csproj.";
            return false;
        }
    }

    /// <summary>Every tracked step name the generator declares.</summary>
    public IReadOnlyList<string> TrackingNames { get; }

    /// <summary>A cold run: a fresh driver over a compilation with no bound state, as on a full build.</summary>
    public GeneratorDriverRunResult RunCold() => CreateDriver().RunGenerators(_compilation.Clone()).GetRunResult();

    /// <summary>Runs once, then again after adding a method to an unrelated class in the same file; returns the
    /// reason of every output of every tracked step in the second run.</summary>
    public IReadOnlyList<(string Step, IncrementalStepRunReason Reason)> RerunAfterUnrelatedEdit()
    {
        GeneratorDriver driver = CreateDriver().RunGenerators(_compilation);
        SyntaxTree tree = _compilation.SyntaxTrees.Single();
        Compilation edited = _compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Source(extraMethod: true), s_parseOptions, tree.FilePath));
        GeneratorRunResult second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        var reasons = new List<(string, IncrementalStepRunReason)>();
        foreach (string step in TrackingNames)
        {
            if (!second.TrackedSteps.TryGetValue(step, out ImmutableArray<IncrementalGeneratorRunStep> runs))
                continue;
            foreach (IncrementalGeneratorRunStep run in runs)
                foreach ((object _, IncrementalStepRunReason reason) in run.Outputs)
                    reasons.Add((step, reason));
        }
        return reasons;
    }

    private GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [_generator],
            parseOptions: s_parseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Twenty models cycling through cells, hidden sizes, lengths, batch sizes, input kinds and heads, then
    /// an unrelated class; <paramref name="extraMethod"/> adds one method to that class.</summary>
    private static string Source(bool extraMethod)
    {
        string[] cells = ["Lstm", "Gru", "SimpleRnn"];
        int[] hiddenSizes = [16, 32, 64, 128, 256];
        int[] lengths = [8, 16, 32, 64];
        var source = new StringBuilder("using RnnGen;\n\nnamespace Bench;\n\n");
        for (int i = 0; i < ModelCount; i++)
        {
            int hidden = hiddenSizes[i % hiddenSizes.Length];
            bool tokens = i % 2 == 0;
            source.Append(CultureInfo.InvariantCulture, $"[RnnModel(SequenceLength = {lengths[i % lengths.Length]}, BatchSize = {1 + (i % 3) * 4})]\n");
            source.Append(tokens ? "[Embedding(65, 16)]\n" : "[Input(12)]\n");
            source.Append(CultureInfo.InvariantCulture, $"[{cells[i % cells.Length]}({hidden}, Layers = {1 + i % 2})]\n");
            source.Append(tokens
                ? "[Dense(65, Activation = DenseActivation.Softmax)]\n"
                : "[Dense(4, Steps = OutputSteps.LastStep)]\n");
            source.Append(CultureInfo.InvariantCulture, $"public partial class Model{i} {{ }}\n\n");
        }
        source.Append("public static class Unrelated\n{\n    public static int Twice(int x) => 2 * x;\n");
        if (extraMethod)
            source.Append("\n    public static int Thrice(int x) => 3 * x;\n");
        source.Append("}\n");
        return source.ToString();
    }

    private static ImmutableArray<MetadataReference> References() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "mscorlib.dll" or "netstandard.dll"))
            .Append(typeof(RnnParameters).Assembly.Location)
            .Distinct(StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    private static IIncrementalGenerator LoadGenerator()
    {
        string path = GeneratorAssemblyPath();
        Type type = Assembly.LoadFrom(path).GetType("RnnGen.Generators.RnnGenerator", throwOnError: true)!;
        return (IIncrementalGenerator)Activator.CreateInstance(type)!;
    }

    private static string GeneratorAssemblyPath()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "RnnGen.sln")))
                continue;
            string bin = Path.Combine(dir.FullName, "generators", "RnnGen.Generators", "bin");
            FileInfo? newest = Directory.Exists(bin)
                ? new DirectoryInfo(bin).EnumerateFiles("RnnGen.Generators.dll", SearchOption.AllDirectories).OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()
                : null;
            return newest?.FullName ?? throw new FileNotFoundException($"RnnGen.Generators.dll not found under {bin}; build the solution first.");
        }
        throw new DirectoryNotFoundException($"RnnGen.sln not found above {AppContext.BaseDirectory}.");
    }
}
