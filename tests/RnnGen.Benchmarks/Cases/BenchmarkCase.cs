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

    /// <summary>Tokens consumed by one <see cref="Run"/> (training cases); 0 when tokens/s is not meaningful.</summary>
    public virtual int TokensPerRun => 0;

    /// <summary>Runs the operation once.</summary>
    public abstract void Run();
}
