using RnnGen.Data;

namespace RnnGen.Tests.Training;

// Pairs that differ only in T share one parameter layout, so the same seed gives the same weights: a stream of 8
// steps is one window of the T = 8 model and two windows of the T = 4 model.

[RnnModel(SequenceLength = 4, BatchSize = 3)]
[Input(3)]
[Lstm(7)]
[Lstm(17)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class TrainerLstmT4 { }

[RnnModel(SequenceLength = 8, BatchSize = 3)]
[Input(3)]
[Lstm(7)]
[Lstm(17)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class TrainerLstmT8 { }

[RnnModel(SequenceLength = 4, BatchSize = 2)]
[Input(3)]
[Gru(8)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class TrainerGruT4 { }

[RnnModel(SequenceLength = 8, BatchSize = 2)]
[Input(3)]
[Gru(8)]
[Dense(5, Activation = DenseActivation.Softmax)]
public partial class TrainerGruT8 { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Input(3)]
[SimpleRnn(7)]
[Dense(2)]
public partial class TrainerRegression { }

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Embedding(11, 5)]
[Lstm(8, Layers = 2)]
[Dense(11, Activation = DenseActivation.Softmax)]
public partial class TrainerTokenLstm { }

[RnnModel(SequenceLength = 7, BatchSize = 2)]
[Embedding(11, 5)]
[Lstm(8, Layers = 2)]
[Dense(11, Activation = DenseActivation.Softmax)]
public partial class TrainerTokenLstmB2 { }

/// <summary>Seeded data and bit-level comparisons for the trainer and checkpoint tests.</summary>
internal static class TrainerTestData
{
    /// <summary>Seeded uniform values in [-1, 1).</summary>
    public static float[] Floats(int count, ulong seed)
    {
        var values = new float[count];
        var random = new RnnRandom(seed);
        random.FillUniform(values, -1f, 1f);
        return values;
    }

    /// <summary>Seeded ids in [0, classes).</summary>
    public static int[] Ints(int count, int classes, ulong seed)
    {
        var values = new int[count];
        var random = new RnnRandom(seed);
        for (int i = 0; i < count; i++)
            values[i] = random.NextInt(classes);
        return values;
    }

    /// <summary>A token stream long enough for several windows of <see cref="TrainerTokenLstm"/>, with learnable structure.</summary>
    public static TokenStreamBatcher TokenBatcher(int sequenceLength, int batchSize)
    {
        var tokens = new int[600];
        var random = new RnnRandom(5);
        for (int i = 0; i < tokens.Length; i++)
            tokens[i] = i % 3 == 0 ? random.NextInt(11) : (tokens[i - 1] + 1) % 11;
        return new TokenStreamBatcher(tokens, sequenceLength, batchSize);
    }

    /// <summary>The raw bits of every value, so equality means bit-identical (NaN payloads and signed zeros included).</summary>
    public static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
            bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    /// <summary>Rows [t0, t0 + T) of a time-major [L, B, W] stream, as one [T, B, W] window.</summary>
    public static T[] Window<T>(T[] stream, int t0, int steps, int rowWidth) =>
        stream.AsSpan(t0 * rowWidth, steps * rowWidth).ToArray();
}
