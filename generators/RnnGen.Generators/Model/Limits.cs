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
    /// Steps × layers up to which the time loop is written out in full with literal offsets. Beyond it the emitter
    /// keeps a loop over the same constant strides, which bounds code size (and JIT time) for long sequences.
    /// </summary>
    public const int UnrollBudget = 256;
}
