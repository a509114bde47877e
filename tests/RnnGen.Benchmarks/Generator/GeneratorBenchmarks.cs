using System;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;

namespace RnnGen.Benchmarks.Generator;

/// <summary>Cost of the RnnGen generator on a cold build of <see cref="GeneratorWorkload.ModelCount"/> models
/// (<c>-- --filter *GeneratorBenchmarks*</c>); divide by the model count for ms per model (target &lt; 50 ms).</summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private GeneratorWorkload _workload = null!;

    /// <summary>Parses the user source and loads the generator outside the measurement.</summary>
    [GlobalSetup]
    public void Setup() =>
        _workload = GeneratorWorkload.TryCreate(out GeneratorWorkload? workload, out string? reason) ? workload : throw new InvalidOperationException(reason);

    /// <summary>A fresh driver over an unbound compilation: attribute binding, parsing the declarations, emitting.</summary>
    [Benchmark]
    public GeneratorDriverRunResult ColdRun() => _workload.RunCold();
}
