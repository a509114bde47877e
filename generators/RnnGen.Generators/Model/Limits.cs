namespace RnnGen.Generators.Model;

/// <summary>Upper bounds on declared sizes. They keep every buffer offset inside an <c>int</c> and generated code reasonable.</summary>
internal static class Limits
{
    public const int SequenceLength = 100_000;
    public const int BatchSize = 65_536;
    public const int Features = 1 << 20;
    public const int Vocabulary = 1 << 24;
    public const int Hidden = 16_384;
    public const int Layers = 64;

    /// <summary>Activation buffers must stay addressable by <c>int</c> offsets.</summary>
    public const long WorkspaceFloats = int.MaxValue / 2;

    /// <summary>
    /// Steps × directions up to which the time loop is written out in full with literal offsets. Beyond it the emitter
    /// keeps a loop over the same constant strides. Measured on a batch-1 LSTM (I=32, H=128): unrolled and looped
    /// forward passes cost the same up to T=32, but at T=64 the unrolled method exhausts the JIT's inlining budget
    /// and runs 30% slower (372 µs vs 282 µs), so longer sequences loop.
    /// </summary>
    public const int UnrollBudget = 32;

    /// <summary>
    /// Steps from which a batched layer packs W_hh into GEMM panels once per pass instead of multiplying by it unpacked
    /// at every step. Measured at B=32, H=256: packing costs about as much as 4 steps gain (70 µs against 20 µs a step).
    /// </summary>
    public const int RecurrentPanelSteps = 8;

    /// <summary>
    /// Largest packed copy of the head (floats, 1 MiB, half this machine's L2) that <c>Step</c> reads through
    /// <c>PackedCell.Dense</c>. While the copy stays in the L2 it beats the GEMM's dot products (one row, measured:
    /// 32 × 64 0.25 → 0.10 µs, 1024 × 256 25.3 → 16.9 µs); once the head streams from the L3 both forms run at its
    /// speed (4096 × 512: 451 and 440 µs; 16384 × 512: 4.4 and 4.6 ms), so a larger copy would only cost memory: a
    /// 50,000-token head on H = 1024 would add 205 MB.
    /// </summary>
    public const int PackedHeadFloats = 256 * 1024;
}
