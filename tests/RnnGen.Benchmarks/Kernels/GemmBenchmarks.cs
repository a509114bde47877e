using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using RnnGen.Kernels;

namespace RnnGen.Benchmarks.Kernels;

/// <summary>
/// The GEMM shapes generated models call, from the batch-1 streaming GEMV to whole-window products of the
/// char-LM training step (T = 64, B = 32, H = 256, embedding 32). Run with <c>--filter *GemmBenchmarks*</c>.
/// </summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    public static IEnumerable<GemmShape> Shapes() =>
    [
        new(GemmForm.TransposedB, 1, 256, 64), // LSTM H=64 step, W_hh·h
        new(GemmForm.TransposedB, 1, 1024, 256), // LSTM H=256 step, W_hh·h
        new(GemmForm.TransposedB, 32, 1024, 256), // LSTM H=256 B=32 step, W_hh·h
        new(GemmForm.TransposedB, 2048, 1024, 32), // window input projection, I=32
        new(GemmForm.TransposedB, 2048, 1024, 256), // window input projection, I=256
        new(GemmForm.Plain, 32, 256, 1024), // dH = dGates·W_hh, B=32
        new(GemmForm.Plain, 2048, 32, 1024), // window dX = dGates·W_ih, I=32
        new(GemmForm.Plain, 2048, 256, 1024), // window dX = dGates·W_ih, I=256
        new(GemmForm.TransposedA, 1024, 256, 2048), // dW_hh += dGatesᵀ·H
        new(GemmForm.TransposedA, 1024, 32, 2048), // dW_ih += dGatesᵀ·X, I=32
    ];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new RnnRandom(42);
        _a = new float[Shape.M * Shape.K];
        _b = new float[Shape.N * Shape.K];
        _c = new float[Shape.M * Shape.N];
        random.FillUniform(_a, -1f, 1f);
        random.FillUniform(_b, -1f, 1f);
    }

    [Benchmark]
    public void Product()
    {
        GemmShape s = Shape;
        switch (s.Form)
        {
            case GemmForm.TransposedB:
                Gemm.MultiplyTransposedB(_a, _b, _c, s.M, s.N, s.K, accumulate: false);
                break;
            case GemmForm.Plain:
                Gemm.Multiply(_a, _b, _c, s.M, s.N, s.K, accumulate: false);
                break;
            default:
                Gemm.MultiplyTransposedA(_a, _b, _c, s.M, s.N, s.K, accumulate: true);
                break;
        }
    }
}

/// <summary>Which of the three product forms a shape exercises.</summary>
public enum GemmForm
{
    /// <summary><c>A · Bᵀ</c>: <see cref="Gemm.MultiplyTransposedB"/>.</summary>
    TransposedB,
    /// <summary><c>A · B</c>: <see cref="Gemm.Multiply"/>.</summary>
    Plain,
    /// <summary><c>Aᵀ · B</c>: <see cref="Gemm.MultiplyTransposedA"/>.</summary>
    TransposedA,
}

/// <summary>A benchmarked product <c>C[m×n]</c> with inner dimension <c>k</c>.</summary>
public sealed record GemmShape(GemmForm Form, int M, int N, int K)
{
    public double Flops => 2.0 * M * N * K;

    // Short enough that BenchmarkDotNet prints it whole: NT = A·Bᵀ, NN = A·B, TN = Aᵀ·B.
    public override string ToString() =>
        $"{Form switch { GemmForm.TransposedB => "NT", GemmForm.Plain => "NN", _ => "TN" }} {M}x{N}x{K}";
}

public sealed class GemmConfig : ManualConfig
{
    public GemmConfig() => AddColumn(new GflopsColumn());
}

/// <summary>Throughput from the mean time: 2·m·n·k floating-point operations per call (one FMA counts as two).</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second, 2·m·n·k / mean";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (meanNanoseconds is not > 0 || benchmarkCase.Parameters["Shape"] is not GemmShape shape)
            return "-";
        return (shape.Flops / meanNanoseconds.Value).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
