using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using RnnGen.Benchmarks.Cases;

namespace RnnGen.Benchmarks;

/// <summary>The issue-8 cases under BenchmarkDotNet (<c>-- --filter *CaseBenchmarks*</c>); the same bodies as
/// <c>--quick</c>, with BenchmarkDotNet's pilot, warm-up and outlier handling.</summary>
[MemoryDiagnoser]
public class CaseBenchmarks
{
    private BenchmarkCase _case = null!;

    /// <summary>Case ids, one BenchmarkDotNet parameter value each.</summary>
    public static IEnumerable<string> Ids => CaseCatalog.Ids;

    /// <summary>The case being measured.</summary>
    [ParamsSource(nameof(Ids))]
    public string Case { get; set; } = "";

    /// <summary>Builds the model, state and inputs outside the measurement.</summary>
    [GlobalSetup]
    public void Setup() => _case = CaseCatalog.Create(Case);

    /// <summary>One step, sequence or training step.</summary>
    [Benchmark]
    public void Run() => _case.Run();
}
