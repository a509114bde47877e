using System.Collections.Generic;
using RnnGen.Data;
using static RnnGen.Tests.Training.TrainerTestData;

namespace RnnGen.Tests.Training;

public sealed class TrainerTests
{
    [Fact]
    public void TrainWindow_OneWindowCoveringTheStream_EqualsFullBptt()
    {
        float[] x = Floats(TrainerLstmT8.InputLength, 1);
        int[] y = Ints(TrainerLstmT8.TargetLength, TrainerLstmT8.OutputSize, 2);
        var model = new TrainerLstmT8(7);
        float[] before = model.Parameters.Values.ToArray();
        var trainer = new Trainer<float, int>(model, new SGD(model.Parameters, 0f));

        TrainerStepResult result = trainer.TrainWindow(x, y);

        var reference = new TrainerLstmT8(7);
        float loss = reference.ComputeGradients(x, y);
        Assert.False(result.Skipped);
        Assert.Equal(loss, result.Loss);
        Assert.Equal(Bits(reference.Parameters.Gradients), Bits(model.Parameters.Gradients));
        Assert.Equal(Bits(before), Bits(model.Parameters.Values));
        Assert.Equal(Bits(CopyState(reference, final: true, cells: true)), Bits(CopyState(model, final: false, cells: true)));
    }

    public static TheoryData<string> Cells => new() { "lstm", "gru" };

    [Theory]
    [MemberData(nameof(Cells))]
    public void TrainWindow_TwoWindows_GradientsEqualWindowsWithDetachedCarriedState(string cell)
    {
        (IRnnModel<float, int> shortModel, IRnnModel<float, int> reference, IRnnModel<float, int> fromZero, IRnnModel<float, int> longModel, bool cells) = cell == "lstm"
            ? ((IRnnModel<float, int>)new TrainerLstmT4(7), (IRnnModel<float, int>)new TrainerLstmT4(7), (IRnnModel<float, int>)new TrainerLstmT4(7), (IRnnModel<float, int>)new TrainerLstmT8(7), true)
            : (new TrainerGruT4(7), new TrainerGruT4(7), new TrainerGruT4(7), new TrainerGruT8(7), false);
        int batch = shortModel.BatchSize, steps = shortModel.SequenceLength;
        int inputWidth = shortModel.InputLength / steps;
        int classes = shortModel.OutputLength / shortModel.TargetLength;
        float[] x = Floats(longModel.InputLength, 11);
        int[] y = Ints(longModel.TargetLength, classes, 12);
        float[] x1 = Window(x, 0, steps, inputWidth), x2 = Window(x, steps, steps, inputWidth);
        int[] y1 = Window(y, 0, steps, batch), y2 = Window(y, steps, steps, batch);

        var trainer = new Trainer<float, int>(shortModel, new SGD(shortModel.Parameters, 0f));
        float loss1 = trainer.TrainWindow(x1, y1).Loss;
        float[] gradient1 = shortModel.Parameters.Gradients.ToArray();
        float loss2 = trainer.TrainWindow(x2, y2).Loss;
        float[] gradient2 = shortModel.Parameters.Gradients.ToArray();

        // The detached computation: window 2 starts from window 1's final state, copied in as a constant.
        float referenceLoss1 = reference.ComputeGradients(x1, y1);
        float[] carried = CopyState(reference, final: true, cells);
        float[] reference1 = reference.Parameters.Gradients.ToArray();
        reference.ZeroGradients();
        SetInitialState(reference, carried, cells);
        float referenceLoss2 = reference.ComputeGradients(x2, y2);
        float[] reference2 = reference.Parameters.Gradients.ToArray();

        Assert.Equal(referenceLoss1, loss1);
        Assert.Equal(referenceLoss2, loss2);
        Assert.Equal(Bits(reference1), Bits(gradient1));
        Assert.Equal(Bits(reference2), Bits(gradient2));
        Assert.Equal(Bits(Sum(reference1, reference2)), Bits(Sum(gradient1, gradient2)));
        // The carried state matters: from a zero state, window 2 has other gradients.
        fromZero.ComputeGradients(x2, y2);
        Assert.NotEqual(Bits(reference2), Bits(fromZero.Parameters.Gradients));
        // The carried state is the true continuation: the two windows' forward passes are one pass over the stream.
        float fullLoss = longModel.ComputeGradients(x, y);
        Assert.Equal(fullLoss, (loss1 + loss2) / 2, 1e-5f * Math.Abs(fullLoss));
    }

    [Theory]
    [InlineData("input")]
    [InlineData("target")]
    public void TrainBatch_NonFiniteLoss_SkipsStepAndLeavesWeightsBitIdentical(string poisoned)
    {
        var model = new TrainerRegression(3);
        var trainer = new Trainer<float, float>(model, new Adam(model.Parameters, 0.01f));
        float[] x = Floats(TrainerRegression.InputLength, 4);
        float[] y = Floats(TrainerRegression.TargetLength, 5);
        trainer.TrainBatch(x, y);
        trainer.TrainBatch(x, y);
        Snapshot before = Snapshot.Of(trainer);

        (poisoned == "input" ? x : y)[3] = float.NaN;
        TrainerStepResult result = trainer.TrainBatch(x, y);

        Assert.True(result.Skipped);
        Assert.True(float.IsNaN(result.Loss));
        Assert.Equal(1, trainer.SkippedSteps);
        (before with { Skipped = 1 }).AssertEqual(Snapshot.Of(trainer));

        (poisoned == "input" ? x : y)[3] = 0.5f;
        Assert.False(trainer.TrainBatch(x, y).Skipped);
        Assert.Equal(3, trainer.Optimizer.StepCount);
        Assert.Equal(1, trainer.SkippedSteps);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void TrainBatch_NonFiniteGradientWithFiniteLoss_SkipsStepAndLeavesWeightsBitIdentical(float poison)
    {
        var model = new PoisonedModel(new TrainerLstmT4(3)) { Index = 17, Poison = poison };
        var trainer = new Trainer<float, int>(model, new Adam(model.Parameters, 0.01f)) { Clipping = TrainerClipping.ByGlobalNorm(1f) };
        float[] x = Floats(model.InputLength, 4);
        int[] y = Ints(model.TargetLength, TrainerLstmT4.OutputSize, 5);
        Snapshot before = Snapshot.Of(trainer);

        TrainerStepResult result = trainer.TrainBatch(x, y);

        Assert.True(result.Skipped);
        Assert.True(float.IsFinite(result.Loss));
        Assert.False(float.IsFinite(result.GradientNorm));
        Assert.Equal(1, trainer.SkippedSteps);
        (before with { Skipped = 1 }).AssertEqual(Snapshot.Of(trainer));
    }

    [Fact]
    public void TrainWindow_SkippedWithNonFiniteState_ResetsStateToZero()
    {
        var model = new TrainerLstmT4(3);
        var trainer = new Trainer<float, int>(model, new SGD(model.Parameters, 0.1f));
        float[] x = Floats(TrainerLstmT4.InputLength, 4);
        int[] y = Ints(TrainerLstmT4.TargetLength, TrainerLstmT4.OutputSize, 5);
        trainer.TrainWindow(x, y);
        x[0] = float.NaN;

        Assert.True(trainer.TrainWindow(x, y).Skipped);

        Assert.All(CopyState(model, final: false, cells: true), value => Assert.Equal(0, BitConverter.SingleToInt32Bits(value)));
    }

    [Fact]
    public void TrainWindow_SkippedWithFiniteState_CarriesState()
    {
        var model = new PoisonedModel(new TrainerLstmT4(3)) { Index = 0, Poison = float.NaN };
        var trainer = new Trainer<float, int>(model, new SGD(model.Parameters, 0.1f));

        Assert.True(trainer.TrainWindow(Floats(model.InputLength, 4), Ints(model.TargetLength, TrainerLstmT4.OutputSize, 5)).Skipped);

        float[] carried = CopyState(model, final: false, cells: true);
        Assert.Equal(Bits(CopyState(model, final: true, cells: true)), Bits(carried));
        Assert.Contains(carried, value => value != 0f);
    }

    [Theory]
    [InlineData(TrainerClipMode.None)]
    [InlineData(TrainerClipMode.GlobalNorm)]
    [InlineData(TrainerClipMode.Value)]
    public void TrainBatch_ClippingAndSchedule_MatchHandWrittenPyTorchLoop(TrainerClipMode mode)
    {
        const float threshold = 0.05f;
        var model = new TrainerLstmT4(9);
        var trainer = new Trainer<float, int>(model, new Adam(model.Parameters, 0.01f))
        {
            Schedule = new StepLR(0.01f, stepSize: 2, gamma: 0.5f),
            Clipping = mode switch
            {
                TrainerClipMode.GlobalNorm => TrainerClipping.ByGlobalNorm(threshold),
                TrainerClipMode.Value => TrainerClipping.ByValue(threshold),
                _ => TrainerClipping.None,
            },
        };
        var twin = new TrainerLstmT4(9);
        var optimizer = new Adam(twin.Parameters, 0.01f);
        var schedule = new StepLR(0.01f, stepSize: 2, gamma: 0.5f);
        bool clipped = false;

        for (int step = 0; step < 6; step++)
        {
            float[] x = Floats(TrainerLstmT4.InputLength, 100 + (ulong)step);
            int[] y = Ints(TrainerLstmT4.TargetLength, TrainerLstmT4.OutputSize, 200 + (ulong)step);
            TrainerStepResult result = trainer.TrainBatch(x, y);

            // optimizer.zero_grad(); loss.backward(); clip_grad_*_(...); optimizer.step(); scheduler.step()
            schedule.Apply(optimizer);
            twin.ZeroGradients();
            float loss = twin.ComputeGradients(x, y);
            float norm = GradientClipping.GlobalNorm(twin.Parameters.Gradients);
            if (mode == TrainerClipMode.GlobalNorm)
                GradientClipping.ClipByGlobalNorm(twin.Parameters.Gradients, threshold);
            else if (mode == TrainerClipMode.Value)
                GradientClipping.ClipByValue(twin.Parameters.Gradients, threshold);
            optimizer.Step();

            Assert.False(result.Skipped);
            Assert.Equal(loss, result.Loss);
            Assert.Equal(norm, result.GradientNorm);
            Assert.Equal(schedule.GetLearningRate(step), result.LearningRate);
            clipped |= norm > threshold;
        }
        Assert.True(clipped);
        Assert.Equal(Bits(twin.Parameters.Values), Bits(model.Parameters.Values));
    }

    [Fact]
    public void TrainBatch_SkippedStep_DoesNotAdvanceSchedule()
    {
        var model = new TrainerRegression(3);
        var trainer = new Trainer<float, float>(model, new SGD(model.Parameters, 1f)) { Schedule = new StepLR(0.1f, stepSize: 1, gamma: 0.5f) };
        float[] x = Floats(TrainerRegression.InputLength, 4);
        float[] y = Floats(TrainerRegression.TargetLength, 5);
        float[] poisoned = (float[])x.Clone();
        poisoned[0] = float.PositiveInfinity;

        float first = trainer.TrainBatch(x, y).LearningRate;
        TrainerStepResult skipped = trainer.TrainBatch(poisoned, y);
        float third = trainer.TrainBatch(x, y).LearningRate;

        Assert.Equal(0.1f, first);
        Assert.True(skipped.Skipped);
        Assert.Equal(0.05f, skipped.LearningRate);
        Assert.Equal(0.05f, third);
        Assert.Equal(2, trainer.Optimizer.StepCount);
    }

    [Fact]
    public void TrainRandomWindow_SameSeedTwice_BitIdenticalWeights()
    {
        int[] first = Bits(TrainRandom(seed: 3, steps: 15));
        int[] second = Bits(TrainRandom(seed: 3, steps: 15));
        int[] otherSeed = Bits(TrainRandom(seed: 4, steps: 15));

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void TrainRandomWindow_DrawsFromTrainerRandom_MatchesManualLoop()
    {
        TokenStreamBatcher batcher = TokenBatcher(TrainerTokenLstm.SequenceLength, TrainerTokenLstm.BatchSize);
        var model = new TrainerTokenLstm(1);
        var trainer = new Trainer<int, int>(model, new SGD(model.Parameters, 0.1f), seed: 8);
        var twin = new TrainerTokenLstm(1);
        var optimizer = new SGD(twin.Parameters, 0.1f);
        var random = new RnnRandom(8);
        var inputs = new int[batcher.WindowElementCount];
        var targets = new int[batcher.WindowElementCount];

        for (int step = 0; step < 4; step++)
        {
            float loss = trainer.TrainRandomWindow(batcher).Loss;
            batcher.FillRandomWindow(ref random, inputs, targets);
            twin.ResetState();
            twin.ZeroGradients();
            Assert.Equal(twin.ComputeGradients(inputs, targets), loss);
            optimizer.Step();
        }

        Assert.Equal(Bits(twin.Parameters.Values), Bits(model.Parameters.Values));
        Assert.Equal(random.NextUInt64(), trainer.Random.NextUInt64());
    }

    [Fact]
    public void TrainWindow_Batcher_WindowZeroResetsAndLaterWindowsCarry()
    {
        TokenStreamBatcher batcher = TokenBatcher(TrainerTokenLstm.SequenceLength, TrainerTokenLstm.BatchSize);
        var model = new TrainerTokenLstm(1);
        var trainer = new Trainer<int, int>(model, new SGD(model.Parameters, 0f));
        var twin = new TrainerTokenLstm(1);
        var inputs = new int[batcher.WindowElementCount];
        var targets = new int[batcher.WindowElementCount];
        trainer.TrainWindow(batcher, 0);
        trainer.TrainWindow(batcher, 1);

        float restarted = trainer.TrainWindow(batcher, 0).Loss;
        float continued = trainer.TrainWindow(batcher, 1).Loss;

        batcher.FillWindow(0, inputs, targets);
        Assert.Equal(twin.ComputeGradients(inputs, targets), restarted);
        twin.CarryState();
        batcher.FillWindow(1, inputs, targets);
        Assert.Equal(twin.ComputeGradients(inputs, targets), continued);
    }

    [Fact]
    public void EvaluateCrossEntropy_CarriedWindows_EqualsMeanLossAndRestoresTrainingState()
    {
        TokenStreamBatcher batcher = TokenBatcher(TrainerTokenLstm.SequenceLength, TrainerTokenLstm.BatchSize);
        var model = new TrainerTokenLstm(2);
        var trainer = new Trainer<int, int>(model, new Adam(model.Parameters, 0.01f));
        trainer.TrainWindow(batcher, 0);
        trainer.TrainWindow(batcher, 1);
        float[] trainingState = CopyState(model, final: false, cells: true);

        double crossEntropy = trainer.EvaluateCrossEntropy(batcher);

        var twin = new TrainerTokenLstm(2);
        model.Parameters.Values.CopyTo(twin.Parameters.Values);
        var inputs = new int[batcher.WindowElementCount];
        var targets = new int[batcher.WindowElementCount];
        double total = 0;
        for (int window = 0; window < batcher.WindowCount; window++)
        {
            batcher.FillWindow(window, inputs, targets);
            total += twin.ComputeGradients(inputs, targets);
            twin.CarryState();
        }
        Assert.Equal(total / batcher.WindowCount, crossEntropy, 1e-5);
        Assert.Equal(Bits(trainingState), Bits(CopyState(model, final: false, cells: true)));
    }

    [Fact]
    public void TrainSteps_AfterWarmUp_AllocateNothing()
    {
        TokenStreamBatcher batcher = TokenBatcher(TrainerTokenLstm.SequenceLength, TrainerTokenLstm.BatchSize);
        var model = new TrainerTokenLstm(1);
        var trainer = new Trainer<int, int>(model, new Adam(model.Parameters, 0.01f))
        {
            Clipping = TrainerClipping.ByGlobalNorm(1f),
            Schedule = new CosineWithWarmup(0.01f, 2, 100),
        };
        var inputs = new int[batcher.WindowElementCount];
        var targets = new int[batcher.WindowElementCount];
        batcher.FillWindow(0, inputs, targets);
        int window = 0;

        Assert.Equal(0, AllocationMeter.Measure(() => trainer.TrainWindow(batcher, window++ % batcher.WindowCount), calls: 10));
        Assert.Equal(0, AllocationMeter.Measure(() => trainer.TrainRandomWindow(batcher), calls: 10));
        Assert.Equal(0, AllocationMeter.Measure(() => trainer.TrainBatch(inputs, targets), calls: 10));
        trainer.Clipping = TrainerClipping.ByValue(0.1f);
        Assert.Equal(0, AllocationMeter.Measure(() => trainer.TrainWindow(inputs, targets), calls: 10));
    }

    [Fact]
    public void Constructor_OptimizerOfAnotherBlock_Throws()
    {
        var model = new TrainerRegression(1);
        var other = new TrainerRegression(1);

        var error = Assert.Throws<ArgumentException>(() => new Trainer<float, float>(model, new SGD(other.Parameters, 0.1f)));

        Assert.Equal("optimizer", error.ParamName);
        Assert.Contains("model.Parameters", error.Message);
    }

    [Fact]
    public void TrainWindow_BatcherOfAnotherShape_Throws()
    {
        var model = new TrainerTokenLstm(1);
        var trainer = new Trainer<int, int>(model, new SGD(model.Parameters, 0.1f));
        TokenStreamBatcher batcher = TokenBatcher(TrainerTokenLstm.SequenceLength + 1, TrainerTokenLstm.BatchSize);

        var error = Assert.Throws<ArgumentException>(() => trainer.TrainWindow(batcher, 0));

        Assert.Equal("batcher", error.ParamName);
        Assert.Contains("T = 7, B = 3", error.Message);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void TrainerClipping_InvalidThreshold_Throws(float threshold)
    {
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => TrainerClipping.ByGlobalNorm(threshold)).ParamName);
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => TrainerClipping.ByValue(threshold)).ParamName);
    }

    private static float[] TrainRandom(ulong seed, int steps)
    {
        TokenStreamBatcher batcher = TokenBatcher(TrainerTokenLstm.SequenceLength, TrainerTokenLstm.BatchSize);
        var model = new TrainerTokenLstm(1);
        var trainer = new Trainer<int, int>(model, new Adam(model.Parameters, 0.01f), seed)
        {
            Clipping = TrainerClipping.ByGlobalNorm(1f),
            Schedule = new CosineWithWarmup(0.01f, 3, steps),
        };
        for (int i = 0; i < steps; i++)
            trainer.TrainRandomWindow(batcher);
        return model.Parameters.Values.ToArray();
    }

    private static float[] Sum(float[] a, float[] b)
    {
        var sum = new float[a.Length];
        for (int i = 0; i < a.Length; i++)
            sum[i] = a[i] + b[i];
        return sum;
    }

    /// <summary>Every layer's h, then (when <paramref name="cells"/>) every LSTM layer's c, initial or final, in one array.</summary>
    internal static float[] CopyState(IRnnModel model, bool final, bool cells)
    {
        var state = new List<float>();
        for (int layer = 0; layer < model.LayerCount; layer++)
            state.AddRange((final ? model.FinalHidden(layer) : model.InitialHidden(layer)).ToArray());
        for (int layer = 0; cells && layer < model.LayerCount; layer++)
            state.AddRange((final ? model.FinalCell(layer) : model.InitialCell(layer)).ToArray());
        return state.ToArray();
    }

    private static void SetInitialState(IRnnModel model, float[] state, bool cells)
    {
        int offset = 0;
        for (int layer = 0; layer < model.LayerCount; layer++)
        {
            Span<float> h = model.InitialHidden(layer);
            state.AsSpan(offset, h.Length).CopyTo(h);
            offset += h.Length;
        }
        for (int layer = 0; cells && layer < model.LayerCount; layer++)
        {
            Span<float> c = model.InitialCell(layer);
            state.AsSpan(offset, c.Length).CopyTo(c);
            offset += c.Length;
        }
    }

    /// <summary>A real model whose training pass then overwrites one gradient, as an overflow deep in BPTT would.</summary>
    private sealed class PoisonedModel(TrainerLstmT4 inner) : IRnnModel<float, int>
    {
        public int Index { get; init; }
        public float Poison { get; init; }
        public RnnParameters Parameters => inner.Parameters;
        public int SequenceLength => TrainerLstmT4.SequenceLength;
        public int BatchSize => TrainerLstmT4.BatchSize;
        public int LayerCount => TrainerLstmT4.LayerCount;
        public int InputLength => TrainerLstmT4.InputLength;
        public int OutputLength => TrainerLstmT4.OutputLength;
        public int TargetLength => TrainerLstmT4.TargetLength;
        public ReadOnlySpan<float> InputGradient => inner.InputGradient;
        public Span<float> InitialHidden(int layer) => inner.InitialHidden(layer);
        public Span<float> FinalHidden(int layer) => inner.FinalHidden(layer);
        public Span<float> InitialHiddenGradient(int layer) => inner.InitialHiddenGradient(layer);
        public Span<float> InitialCell(int layer) => inner.InitialCell(layer);
        public Span<float> FinalCell(int layer) => inner.FinalCell(layer);
        public Span<float> InitialCellGradient(int layer) => inner.InitialCellGradient(layer);
        public Span<float> FinalHiddenGradient(int layer) => inner.FinalHiddenGradient(layer);
        public Span<float> FinalCellGradient(int layer) => inner.FinalCellGradient(layer);
        public void ResetState() => inner.ResetState();
        public void CarryState() => inner.CarryState();
        public void ZeroGradients() => inner.ZeroGradients();
        public void Forward(ReadOnlySpan<float> inputs, Span<float> outputs) => inner.Forward(inputs, outputs);

        public float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> targets)
        {
            float loss = inner.ComputeGradients(inputs, targets);
            inner.Parameters.Gradients[Index] = Poison;
            return loss;
        }
    }
}

/// <summary>Everything a step may change: weights, optimiser state, counters, generator and carried model state.</summary>
internal sealed record Snapshot(int[] Values, int[][] OptimizerState, long StepCount, float LearningRate, long Skipped, ulong NextRandom, float[] State)
{
    public static Snapshot Of<TInput, TTarget>(Trainer<TInput, TTarget> trainer)
    {
        var optimizerState = new int[trainer.Optimizer.StateTensors.Count][];
        for (int i = 0; i < optimizerState.Length; i++)
            optimizerState[i] = Bits(trainer.Optimizer.StateTensors[i].Values);
        RnnRandom random = trainer.Random;
        bool cells = trainer.StateSlots.Length > trainer.Model.LayerCount;
        return new Snapshot(Bits(trainer.Model.Parameters.Values), optimizerState, trainer.Optimizer.StepCount,
            trainer.Optimizer.LearningRate, trainer.SkippedSteps, random.NextUInt64(), TrainerTests.CopyState(trainer.Model, final: false, cells));
    }

    public void AssertEqual(Snapshot actual)
    {
        Assert.Equal(Values, actual.Values);
        Assert.Equal(OptimizerState.Length, actual.OptimizerState.Length);
        for (int i = 0; i < OptimizerState.Length; i++)
            Assert.Equal(OptimizerState[i], actual.OptimizerState[i]);
        Assert.Equal(StepCount, actual.StepCount);
        Assert.Equal(LearningRate, actual.LearningRate);
        Assert.Equal(Skipped, actual.Skipped);
        Assert.Equal(NextRandom, actual.NextRandom);
        Assert.Equal(Bits(State), Bits(actual.State));
    }
}
