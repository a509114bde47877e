using System.Collections.Generic;

namespace RnnGen.Tests.Training;

public sealed class OptimizerTests
{
    public static TheoryData<string> Kinds() => TrainingTestData.Kinds();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Step_AfterWarmUp_AllocatesNothing(string kind)
    {
        RnnParameters parameters = TrainingTestData.Block(1031);
        parameters.InitializeDefault(3);
        TrainingTestData.FillGradients(parameters, 3, 0);
        Optimizer optimizer = TrainingTestData.Create(kind, parameters);
        optimizer.Step();

        Assert.Equal(0, AllocationMeter.Measure(optimizer.Step, calls: 100));
        Assert.True(optimizer.StepCount > 100);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RestoreState_SnapshotIntoFreshOptimizer_ContinuesBitIdentically(string kind)
    {
        RnnParameters original = TrainingTestData.Block(45);
        original.InitializeDefault(11);
        Optimizer first = TrainingTestData.Create(kind, original);
        Run(first, 0, 10);
        first.LearningRate *= 0.5f;
        OptimizerState snapshot = first.CaptureState();
        float[] valuesAtSnapshot = original.Values.ToArray();
        Run(first, 10, 10);

        RnnParameters resumed = TrainingTestData.Block(45);
        valuesAtSnapshot.CopyTo(resumed.Values);
        Optimizer second = TrainingTestData.Create(kind, resumed);
        second.RestoreState(snapshot);
        Assert.Equal(10, second.StepCount);
        Assert.Equal(first.LearningRate, second.LearningRate);
        Run(second, 10, 10);

        Assert.Equal(Bits(original.Values), Bits(resumed.Values));
        Assert.Equal(first.StateTensors.Count, second.StateTensors.Count);
        for (int i = 0; i < first.StateTensors.Count; i++)
        {
            Assert.Equal(first.StateTensors[i].Name, second.StateTensors[i].Name);
            Assert.Equal(Bits(first.StateTensors[i].Values), Bits(second.StateTensors[i].Values));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RestoreState_RebuiltFromNamedTensors_EqualsCapturedState(string kind)
    {
        // What a checkpoint reader does: nothing but names, floats and two scalars.
        RnnParameters parameters = TrainingTestData.Block(20);
        parameters.InitializeDefault(5);
        Optimizer source = TrainingTestData.Create(kind, parameters);
        Run(source, 0, 4);
        var tensors = new List<OptimizerStateTensor>();
        for (int i = source.StateTensors.Count - 1; i >= 0; i--)
            tensors.Add(new OptimizerStateTensor(source.StateTensors[i].Name, source.StateTensors[i].Values));
        var state = new OptimizerState(source.Name, source.StepCount, source.LearningRate, tensors);

        Optimizer target = TrainingTestData.Create(kind, TrainingTestData.Block(20));
        target.RestoreState(state);

        Assert.Equal(source.StepCount, target.StepCount);
        for (int i = 0; i < source.StateTensors.Count; i++)
            Assert.Equal(Bits(source.StateTensors[i].Values), Bits(target.StateTensors[i].Values));
    }

    [Fact]
    public void CaptureState_LaterSteps_DoNotChangeSnapshot()
    {
        RnnParameters parameters = TrainingTestData.Block(9);
        var adam = new Adam(parameters);
        Run(adam, 0, 3);
        OptimizerState snapshot = adam.CaptureState();
        uint[] before = Bits(snapshot.Tensors[0].Values);
        Run(adam, 3, 3);

        Assert.Equal(before, Bits(snapshot.Tensors[0].Values));
        Assert.Equal(3, snapshot.StepCount);
        Assert.Equal("Adam", snapshot.OptimizerName);
    }

    [Fact]
    public void RestoreState_MismatchedSnapshots_ThrowAndLeaveOptimizerUntouched()
    {
        var amsgrad = new Adam(TrainingTestData.Block(9), amsgrad: true);
        Run(amsgrad, 0, 2);
        var plain = new Adam(TrainingTestData.Block(9));
        Run(plain, 0, 3);
        uint[] expAvg = Bits(plain.StateTensors[0].Values);

        var wrongKind = new OptimizerState("AdamW", 1, 0.1f, amsgrad.CaptureState().Tensors);
        var extraBuffer = amsgrad.CaptureState();
        var shortBuffer = new OptimizerState("Adam", 1, 0.1f, new[]
        {
            new OptimizerStateTensor("exp_avg", new float[9]), new OptimizerStateTensor("exp_avg_sq", new float[8]),
        });
        var misnamed = new OptimizerState("Adam", 1, 0.1f, new[]
        {
            new OptimizerStateTensor("exp_avg", new float[9]), new OptimizerStateTensor("exp_avg_sqr", new float[9]),
        });

        Assert.Contains("'AdamW'", Assert.Throws<ArgumentException>(() => plain.RestoreState(wrongKind)).Message);
        Assert.Contains("3 buffers", Assert.Throws<ArgumentException>(() => plain.RestoreState(extraBuffer)).Message);
        Assert.Contains("expected 9", Assert.Throws<ArgumentException>(() => plain.RestoreState(shortBuffer)).Message);
        Assert.Contains("'exp_avg_sq'", Assert.Throws<ArgumentException>(() => plain.RestoreState(misnamed)).Message);
        Assert.Equal(3, plain.StepCount);
        Assert.Equal(expAvg, Bits(plain.StateTensors[0].Values));
    }

    [Fact]
    public void OptimizerState_InvalidArguments_Throw()
    {
        var tensor = new OptimizerStateTensor("sum", new float[3]);
        Assert.Equal("stepCount", Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerState("Adagrad", -1, 0.1f, new[] { tensor })).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerState("Adagrad", 0, float.NaN, new[] { tensor })).ParamName);
        Assert.Equal("tensors", Assert.Throws<ArgumentException>(() => new OptimizerState("Adagrad", 0, 0.1f, new[] { tensor, tensor })).ParamName);
        Assert.Throws<ArgumentException>(() => new OptimizerStateTensor("", new float[1]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Step_AnyBlockLength_EachElementMatchesAOneElementBlock(string kind)
    {
        // The vector body and the scalar tail must round identically, or results would depend on an element's position.
        foreach (int length in new[] { 1, 3, 7, 8, 15, 16, 17, 31, 33, 64 })
        {
            RnnParameters block = TrainingTestData.Block(length);
            block.InitializeDefault(9);
            float[] initial = block.Values.ToArray();
            Optimizer optimizer = TrainingTestData.Create(kind, block);
            var gradients = new float[5][];
            for (int step = 0; step < 5; step++)
            {
                TrainingTestData.FillGradients(block, (ulong)length, step);
                gradients[step] = block.Gradients.ToArray();
                optimizer.Step();
            }

            for (int i = 0; i < length; i++)
            {
                RnnParameters single = TrainingTestData.Block(1);
                single.Values[0] = initial[i];
                Optimizer alone = TrainingTestData.Create(kind, single);
                for (int step = 0; step < 5; step++)
                {
                    single.Gradients[0] = gradients[step][i];
                    alone.Step();
                }
                Assert.True(BitConverter.SingleToUInt32Bits(single.Values[0]) == BitConverter.SingleToUInt32Bits(block.Values[i]),
                    $"{kind}, length {length}, element {i}: {block.Values[i]:R} vs {single.Values[0]:R} alone.");
            }
        }
    }

    [Theory]
    [InlineData("SGD", "momentum_buffer")]
    [InlineData("SGD momentum", "momentum_buffer")]
    [InlineData("Adam", "exp_avg,exp_avg_sq")]
    [InlineData("Adam amsgrad", "exp_avg,exp_avg_sq,max_exp_avg_sq")]
    [InlineData("AdamW", "exp_avg,exp_avg_sq")]
    [InlineData("RMSprop", "square_avg")]
    [InlineData("RMSprop centered momentum", "square_avg,momentum_buffer,grad_avg")]
    [InlineData("Adagrad", "sum")]
    public void StateTensors_EachConfiguration_UsesPyTorchStateNames(string kind, string names)
    {
        Optimizer optimizer = TrainingTestData.Create(kind, TrainingTestData.Block(6));
        var actual = new List<string>();
        foreach (OptimizerStateTensor tensor in optimizer.StateTensors)
        {
            actual.Add(tensor.Name);
            Assert.Equal(6, tensor.Length);
        }
        string expected = kind == "SGD" ? "" : names;
        Assert.Equal(expected, string.Join(",", actual));
    }

    [Fact]
    public void Adagrad_InitialAccumulatorValue_FillsSum()
    {
        var adagrad = new Adagrad(TrainingTestData.Block(5), initialAccumulatorValue: 0.25);
        Assert.All(adagrad.StateTensors[0].Values.ToArray(), v => Assert.Equal(0.25f, v));
    }

    [Fact]
    public void Defaults_EqualPyTorch()
    {
        RnnParameters p = TrainingTestData.Block(2);
        var adam = new Adam(p);
        Assert.Equal((1e-3f, 0.9, 0.999, 1e-8, 0.0, false), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay, adam.AmsGrad));
        var adamW = new AdamW(p);
        Assert.Equal((1e-3f, 0.9, 0.999, 1e-8, 1e-2, false), (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay, adamW.AmsGrad));
        var rms = new RMSprop(p);
        Assert.Equal((1e-2f, 0.99, 1e-8, 0.0, 0.0, false), (rms.LearningRate, rms.Alpha, rms.Epsilon, rms.WeightDecay, rms.Momentum, rms.Centered));
        var adagrad = new Adagrad(p);
        Assert.Equal((1e-2f, 0.0, 0.0, 0.0, 1e-10), (adagrad.LearningRate, adagrad.LearningRateDecay, adagrad.WeightDecay, adagrad.InitialAccumulatorValue, adagrad.Epsilon));
        var sgd = new SGD(p, 0.1f);
        Assert.Equal((0.0, 0.0, 0.0, false), (sgd.Momentum, sgd.Dampening, sgd.WeightDecay, sgd.Nesterov));
    }

    [Fact]
    public void Constructors_InvalidHyperParameters_ThrowNamingTheParameter()
    {
        RnnParameters p = TrainingTestData.Block(2);
        Assert.Throws<ArgumentNullException>(() => new Adam(null!));
        AssertOutOfRange("learningRate", () => new SGD(p, -0.1f));
        AssertOutOfRange("learningRate", () => new Adam(p, float.NaN));
        AssertOutOfRange("learningRate", () => new RMSprop(p, float.PositiveInfinity));
        AssertOutOfRange("momentum", () => new SGD(p, 0.1f, momentum: -0.5));
        AssertOutOfRange("dampening", () => new SGD(p, 0.1f, dampening: double.NaN));
        AssertOutOfRange("weightDecay", () => new SGD(p, 0.1f, weightDecay: -1));
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new SGD(p, 0.1f, nesterov: true)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new SGD(p, 0.1f, momentum: 0.9, dampening: 0.1, nesterov: true)).ParamName);
        AssertOutOfRange("beta1", () => new Adam(p, beta1: 1.0));
        AssertOutOfRange("beta1", () => new AdamW(p, beta1: -0.1));
        AssertOutOfRange("beta2", () => new Adam(p, beta2: 1.5));
        AssertOutOfRange("beta2", () => new AdamW(p, beta2: double.NaN));
        AssertOutOfRange("epsilon", () => new Adam(p, epsilon: -1e-8));
        AssertOutOfRange("weightDecay", () => new AdamW(p, weightDecay: -0.01));
        AssertOutOfRange("alpha", () => new RMSprop(p, alpha: -0.5));
        AssertOutOfRange("momentum", () => new RMSprop(p, momentum: -0.5));
        AssertOutOfRange("epsilon", () => new RMSprop(p, epsilon: double.PositiveInfinity));
        AssertOutOfRange("learningRateDecay", () => new Adagrad(p, learningRateDecay: -1));
        AssertOutOfRange("initialAccumulatorValue", () => new Adagrad(p, initialAccumulatorValue: -1));
        AssertOutOfRange("epsilon", () => new Adagrad(p, epsilon: -1));
        Assert.Contains("[0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(p, beta1: 1.0)).Message);
    }

    [Fact]
    public void LearningRate_SetInvalid_ThrowsAndKeepsValue()
    {
        var sgd = new SGD(TrainingTestData.Block(2), 0.1f);
        AssertOutOfRange("LearningRate", () => sgd.LearningRate = -1f);
        AssertOutOfRange("LearningRate", () => sgd.LearningRate = float.NaN);
        Assert.Equal(0.1f, sgd.LearningRate);
        sgd.LearningRate = 0f;
        Assert.Equal(0f, sgd.LearningRate);
    }

    [Fact]
    public void Step_ZeroLearningRate_LeavesValuesButAdvancesState()
    {
        RnnParameters parameters = TrainingTestData.Block(10);
        parameters.InitializeDefault(2);
        TrainingTestData.FillGradients(parameters, 2, 0);
        float[] before = parameters.Values.ToArray();
        var adam = new Adam(parameters, 0f);
        adam.Step();
        Assert.Equal(before, parameters.Values.ToArray());
        Assert.Equal(1, adam.StepCount);
        Assert.NotEqual(0f, adam.StateTensors[0].Values[0]);
    }

    private static void Run(Optimizer optimizer, long firstStep, int steps)
    {
        for (int step = 0; step < steps; step++)
        {
            TrainingTestData.FillGradients(optimizer.Parameters, 17, firstStep + step);
            optimizer.Step();
        }
    }

    private static uint[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new uint[values.Length];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = BitConverter.SingleToUInt32Bits(values[i]);
        return bits;
    }

    private static void AssertOutOfRange(string paramName, Action action) =>
        Assert.Equal(paramName, Assert.Throws<ArgumentOutOfRangeException>(action).ParamName);
}
