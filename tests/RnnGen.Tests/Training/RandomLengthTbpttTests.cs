using RnnGen.Data;

namespace RnnGen.Tests.Training;

[RnnModel(SequenceLength = 8, BatchSize = 2, VariableLength = true)]
[Embedding(7, 3)]
[Lstm(5)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class RandomLengthLm { }

[RnnModel(SequenceLength = 3, BatchSize = 2)]
[Embedding(7, 3)]
[Lstm(5)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class FixedLengthLm3 { }

[RnnModel(SequenceLength = 5, BatchSize = 2)]
[Embedding(7, 3)]
[Lstm(5)]
[Dense(7, Activation = DenseActivation.Softmax)]
public partial class FixedLengthLm5 { }

/// <summary>Truncated BPTT with a random truncation length: one compiled shape runs windows of any length up to T.</summary>
public sealed class RandomLengthTbpttTests
{
    private static int[] Stream(int count)
    {
        var random = new RnnRandom(5);
        var tokens = new int[count];
        for (int i = 0; i < tokens.Length; i++)
            tokens[i] = random.NextInt(7);
        return tokens;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f * Math.Max(1f, Math.Abs(expected[i])), $"{what}[{i}]: {expected[i]:R} vs {actual[i]:R}");
    }

    [Fact]
    public void ShortWindows_OnVariableLengthModel_EqualFixedModelsWithCarriedDetachedState()
    {
        var batcher = new TokenStreamBatcher(Stream(60), RandomLengthLm.SequenceLength, RandomLengthLm.BatchSize);
        var model = new RandomLengthLm(3);
        var inputs = new int[RandomLengthLm.InputLength];
        var targets = new int[RandomLengthLm.TargetLength];
        int[] lengths = { 3, 3 };

        // Window 1: 3 steps at position 0, against a model compiled with T = 3.
        batcher.FillWindowAt(0, 3, inputs, targets);
        model.ZeroGradients();
        float loss = model.ComputeGradients(inputs, lengths, targets);
        var short3 = new FixedLengthLm3();
        model.Parameters.Values.CopyTo(short3.Parameters.Values);
        short3.ZeroGradients();
        float expected = short3.ComputeGradients(inputs.AsSpan(0, FixedLengthLm3.InputLength), targets.AsSpan(0, FixedLengthLm3.TargetLength));
        AssertClose(new[] { expected }, new[] { loss }, "loss");
        AssertClose(short3.Parameters.Gradients, model.Parameters.Gradients, "gradients");
        AssertClose(short3.FinalHidden(0), model.FinalHidden(0), "h at step 3");

        // Window 2: 5 steps continuing at position 3 from the carried state, against T = 5 with that state as a constant.
        model.CarryState();
        var long5 = new FixedLengthLm5();
        model.Parameters.Values.CopyTo(long5.Parameters.Values);
        model.InitialHidden(0).CopyTo(long5.InitialHidden(0));
        model.InitialCell(0).CopyTo(long5.InitialCell(0));
        batcher.FillWindowAt(3, 5, inputs, targets);
        lengths.AsSpan().Fill(5);
        model.ZeroGradients();
        loss = model.ComputeGradients(inputs, lengths, targets);
        long5.ZeroGradients();
        expected = long5.ComputeGradients(inputs.AsSpan(0, FixedLengthLm5.InputLength), targets.AsSpan(0, FixedLengthLm5.TargetLength));
        AssertClose(new[] { expected }, new[] { loss }, "loss");
        AssertClose(long5.Parameters.Gradients, model.Parameters.Gradients, "gradients");
    }

    [Fact]
    public void TryTrainRandomLengthWindow_OverAnEpoch_CoversTheStreamWithSeededLengths()
    {
        int[] Walk(ulong seed)
        {
            var model = new RandomLengthLm(1);
            var trainer = new Trainer<int, int>(model, new Adam(model.Parameters, 1e-2f), seed);
            var batcher = new TokenStreamBatcher(Stream(100), RandomLengthLm.SequenceLength, RandomLengthLm.BatchSize);
            var positions = new System.Collections.Generic.List<int>();
            int position = 0;
            while (trainer.TryTrainRandomLengthWindow(batcher, ref position, minimumLength: 4, out TrainerStepResult result))
            {
                Assert.False(result.Skipped);
                Assert.True(float.IsFinite(result.Loss));
                positions.Add(position);
            }
            Assert.Equal(batcher.StreamLength - 1, position);
            return positions.ToArray();
        }

        int[] first = Walk(11);
        Assert.Equal(first, Walk(11));
        Assert.NotEqual(first, Walk(12));
        for (int i = 1; i < first.Length - 1; i++)
            Assert.InRange(first[i] - first[i - 1], 4, RandomLengthLm.SequenceLength);
    }

    [Fact]
    public void TrainWindowWithLengths_FixedLengthModel_Throws()
    {
        var model = new FixedLengthLm3();
        var trainer = new Trainer<int, int>(model, new SGD(model.Parameters, 0.1f));
        Assert.Throws<InvalidOperationException>(() => trainer.TrainWindow(new int[FixedLengthLm3.InputLength], new[] { 3, 3 }, new int[FixedLengthLm3.TargetLength]));
    }

    [Fact]
    public void FillWindowAt_BeyondTheStream_ThrowsNamingTheRange()
    {
        var batcher = new TokenStreamBatcher(Stream(40), RandomLengthLm.SequenceLength, RandomLengthLm.BatchSize);
        var buffer = new int[RandomLengthLm.InputLength];
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => batcher.FillWindowAt(batcher.StreamLength - 3, 5, buffer, new int[buffer.Length]));
        Assert.Equal("position", exception.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => batcher.FillWindowAt(0, 9, buffer, new int[buffer.Length]));
    }
}
