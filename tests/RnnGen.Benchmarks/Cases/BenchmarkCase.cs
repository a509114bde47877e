using System.Collections.Generic;
using RnnGen.Kernels;

namespace RnnGen.Benchmarks.Cases;

/// <summary>One measured operation with a stable id shared by the BenchmarkDotNet suite, the <c>--quick</c> runner
/// and docs/performance.md. Construction does all allocation; <see cref="Run"/> is the timed body.</summary>
internal abstract class BenchmarkCase
{
    /// <summary>Stable case id, e.g. <c>step_lstm_h64</c>.</summary>
    public abstract string Id { get; }

    /// <summary>Threads the operation uses.</summary>
    public virtual int Threads => 1;

    /// <summary>For a several-thread case, the id of the same operation on one thread, whose time in the same run
    /// gives the speedup; null otherwise.</summary>
    public virtual string? OneThreadId => null;

    /// <summary>FLOPs of one <see cref="Run"/> under the anchors' model (see <see cref="FlopModel"/>).</summary>
    public abstract double Flops { get; }

    /// <summary>
    /// For a batch-1 case, the packed weight copies one <see cref="Run"/> streams (bytes) and how many times it reads
    /// each whole: what <see cref="Peak.ReadFloor"/> times. Empty for cases paced by arithmetic rather than by loads.
    /// </summary>
    public virtual IReadOnlyList<(long Bytes, int Times)> WeightReads => [];

    /// <summary>Tokens consumed by one <see cref="Run"/> (training cases); 0 when tokens/s is not meaningful.</summary>
    public virtual int TokensPerRun => 0;

    /// <summary>Bytes of a layer's packed <c>W_ih</c> (with <c>b_ih</c>) as <see cref="PackedCell"/> lays it out.</summary>
    protected static long PackedInputBytes(int gates, int inputSize, int hidden) => sizeof(float) * (long)PackedCell.PackedLength(gates, hidden, inputSize);

    /// <summary>Bytes of a layer's packed <c>W_hh</c> (with <c>b_hh</c>).</summary>
    protected static long PackedRecurrentBytes(int gates, int hidden) => sizeof(float) * (long)PackedCell.PackedLength(gates, hidden, hidden);

    /// <summary>Bytes of a dense head's packed weight and bias, as a streaming step reads it.</summary>
    protected static long PackedHeadBytes(int outputs, int hidden) => sizeof(float) * (long)PackedCell.PackedLength(1, outputs, hidden);

    /// <summary>Bytes of a dense head's plain weight and bias, as the GEMM over a whole sequence reads it.</summary>
    protected static long PlainHeadBytes(int outputs, int hidden) => sizeof(float) * ((long)outputs * hidden + outputs);

    /// <summary>Runs the operation once.</summary>
    public abstract void Run();
}
