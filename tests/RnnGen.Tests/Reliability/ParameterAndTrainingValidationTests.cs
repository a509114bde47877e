using System.Collections.Generic;
using System.IO;

namespace RnnGen.Tests.Reliability;

/// <summary>
/// Parameter blocks, the random generator, optimisers, clipping, schedules and weight files refuse bad arguments with
/// an <see cref="ArgumentException"/> naming the parameter and the accepted value, and leave the weights as they were.
/// </summary>
public sealed class ParameterAndTrainingValidationTests
{
    private static ParameterTensor Tensor(string name, int offset, params int[] shape) => new(name, shape, offset, ParameterRole.LinearWeight, 0.5f);

    [Fact]
    public void RnnParameters_BadLayouts_ThrowNamingTensors()
    {
        Rejection.Assert(() => new RnnParameters(null!), "tensors", null);
        Rejection.Assert(() => new RnnParameters(Array.Empty<ParameterTensor>()), "tensors", null);
        Rejection.Assert(() => new RnnParameters(new[] { Tensor("a", 0, 2, 3), Tensor("b", 7, 4) }), "tensors", "6");
        Rejection.Assert(() => new RnnParameters(new[] { Tensor("a", 0, 2), Tensor("a", 2, 2) }), "tensors", "'a'");
        Rejection.Assert(() => new RnnParameters(new[] { Tensor("a", 0, 2), null! }), "tensors", "1");
    }

    [Fact]
    public void RnnParameters_BlockLongerThanAnArray_ThrowsArgumentExceptionNamingTensors()
    {
        // Each tensor is legal on its own; together they do not fit one array.
        ParameterTensor[] tensors = { Tensor("a", 0, 1 << 30), Tensor("b", 1 << 30, 1 << 30) };
        Rejection.Assert(() => new RnnParameters(tensors), "tensors", null);
    }

    [Fact]
    public void ParameterTensor_BadDescriptions_ThrowNamingParameter()
    {
        Rejection.Assert(() => new ParameterTensor(null!, new[] { 2 }, 0, ParameterRole.LinearBias, 1f), "name", null);
        Rejection.Assert(() => new ParameterTensor("", new[] { 2 }, 0, ParameterRole.LinearBias, 1f), "name", null);
        Rejection.Assert(() => new ParameterTensor("w", null!, 0, ParameterRole.LinearBias, 1f), "shape", null);
        Rejection.Assert(() => new ParameterTensor("w", Array.Empty<int>(), 0, ParameterRole.LinearBias, 1f), "shape", null);
        Rejection.Assert(() => new ParameterTensor("w", new[] { 2, 0 }, 0, ParameterRole.LinearBias, 1f), "shape", "0");
        Rejection.Assert(() => new ParameterTensor("w", new[] { -2 }, 0, ParameterRole.LinearBias, 1f), "shape", "-2");
        Rejection.Assert(() => new ParameterTensor("w", new[] { 1 << 16, 1 << 16 }, 0, ParameterRole.LinearBias, 1f), "shape", int.MaxValue.ToString());
        Rejection.Assert(() => new ParameterTensor("w", new[] { 2 }, -1, ParameterRole.LinearBias, 1f), "offset", "non-negative");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ParameterTensor_NonFiniteInitBound_ThrowsNamingInitBound(float bound)
    {
        // InitializeDefault would otherwise fill the tensor with NaN or infinities without a word.
        Rejection.Assert(() => new ParameterTensor("w", new[] { 4 }, 0, ParameterRole.LinearWeight, bound), "initBound", "0");
    }

    [Fact]
    public void CopyValuesFrom_NullOrOtherLayout_ThrowsNamingSourceAndKeepsValues()
    {
        var model = new TokenLstm(5);
        var other = new VectorGruRnn(5);
        Rejection.AssertUnchanged(model, () => model.Parameters.CopyValuesFrom(null!), "source", null);
        Rejection.AssertUnchanged(model, () => model.Parameters.CopyValuesFrom(other.Parameters), "source", null);
        Rejection.AssertUnchanged(model, () => model.Parameters.GetValues(null!), "name", null);
    }

    [Fact]
    public void RnnRandom_BadStateOrBound_ThrowsNamingParameter()
    {
        Rejection.Assert(() => RnnRandom.FromState(new ulong[3]), "state", "4");
        Rejection.Assert(() => RnnRandom.FromState(new ulong[4]), "state", "zero");
        Rejection.Assert(() => new RnnRandom(1).GetState(new ulong[5]), "state", "4");
        Rejection.Assert(() => new RnnRandom(1).NextInt(0), "maxExclusive", "non-zero");
        Rejection.Assert(() => new RnnRandom(1).NextInt(-5), "maxExclusive", "non-zero");
    }

    [Theory]
    [InlineData(1f, -1f)]
    [InlineData(float.NaN, 1f)]
    [InlineData(0f, float.PositiveInfinity)]
    public void RnnRandom_FillUniformWithInvertedOrNonFiniteRange_ThrowsInsteadOfFillingGarbage(float low, float high)
    {
        // PyTorch's uniform_(from, to) refuses from > to; NaN or infinite bounds would fill NaN without a word.
        var destination = new float[4];
        var random = new RnnRandom(3);
        ArgumentException exception = Assert.ThrowsAny<ArgumentException>(() => random.FillUniform(destination, low, high));
        Assert.True(exception.ParamName is "low" or "high", exception.ParamName);
        Assert.All(destination, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    public void RnnRandom_FillNormalWithNegativeOrNaNStd_ThrowsNamingStd(float std)
    {
        var random = new RnnRandom(3);
        Rejection.Assert(() => random.FillNormal(new float[4], 0f, std), "std", "0");
    }

    [Fact]
    public void RnnRandom_Default_DoesNotProduceAStuckZeroStream()
    {
        // default(RnnRandom) has the all-zero state that FromState refuses: xoshiro then returns 0 forever, and
        // NextInt(3) spins in its rejection loop. It must either work or refuse to run.
        RnnRandom random = default;
        ulong bits = 0;
        try
        {
            for (int i = 0; i < 4; i++)
                bits |= random.NextUInt64();
        }
        catch (InvalidOperationException)
        {
            return;
        }
        Assert.NotEqual(0UL, bits);
    }

    public static TheoryData<string, string, string> OptimizerCases => new()
    {
        // name of the case, rejected parameter, expected value in the message
        { "Adam.lr=-1", "learningRate", "0" },
        { "Adam.lr=NaN", "learningRate", "0" },
        { "Adam.beta1=1", "beta1", "[0, 1)" },
        { "Adam.beta2=-0.1", "beta2", "[0, 1)" },
        { "Adam.beta1=NaN", "beta1", "[0, 1)" },
        { "Adam.eps=-1", "epsilon", "0" },
        { "Adam.wd=inf", "weightDecay", "0" },
        { "AdamW.beta2=1", "beta2", "[0, 1)" },
        { "AdamW.wd=-0.01", "weightDecay", "0" },
        { "AdamW.lr=inf", "learningRate", "0" },
        { "SGD.momentum=-0.9", "momentum", "0" },
        { "SGD.dampening=NaN", "dampening", null! },
        { "SGD.nesterov", "nesterov", "momentum > 0" },
        { "SGD.lr=-0.1", "learningRate", "0" },
        { "RMSprop.alpha=-1", "alpha", "0" },
        { "RMSprop.eps=NaN", "epsilon", "0" },
        { "RMSprop.momentum=-1", "momentum", "0" },
        { "Adagrad.lrDecay=-1", "learningRateDecay", "0" },
        { "Adagrad.initial=-1", "initialAccumulatorValue", "0" },
        { "Adagrad.eps=inf", "epsilon", "0" },
    };

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Optimizer_BadHyperParameter_ThrowsNamingItAndKeepsWeights(string @case, string paramName, string expected)
    {
        var model = new VectorGruRnn(11);
        Rejection.SeedGradients(model);
        RnnParameters p = model.Parameters;
        Action construct = @case switch
        {
            "Adam.lr=-1" => () => new Adam(p, learningRate: -1f),
            "Adam.lr=NaN" => () => new Adam(p, learningRate: float.NaN),
            "Adam.beta1=1" => () => new Adam(p, beta1: 1.0),
            "Adam.beta2=-0.1" => () => new Adam(p, beta2: -0.1),
            "Adam.beta1=NaN" => () => new Adam(p, beta1: double.NaN),
            "Adam.eps=-1" => () => new Adam(p, epsilon: -1),
            "Adam.wd=inf" => () => new Adam(p, weightDecay: double.PositiveInfinity),
            "AdamW.beta2=1" => () => new AdamW(p, beta2: 1.0),
            "AdamW.wd=-0.01" => () => new AdamW(p, weightDecay: -0.01),
            "AdamW.lr=inf" => () => new AdamW(p, learningRate: float.PositiveInfinity),
            "SGD.momentum=-0.9" => () => new SGD(p, 0.1f, momentum: -0.9),
            "SGD.dampening=NaN" => () => new SGD(p, 0.1f, dampening: double.NaN),
            "SGD.nesterov" => () => new SGD(p, 0.1f, momentum: 0, nesterov: true),
            "SGD.lr=-0.1" => () => new SGD(p, -0.1f),
            "RMSprop.alpha=-1" => () => new RMSprop(p, alpha: -1),
            "RMSprop.eps=NaN" => () => new RMSprop(p, epsilon: double.NaN),
            "RMSprop.momentum=-1" => () => new RMSprop(p, momentum: -1),
            "Adagrad.lrDecay=-1" => () => new Adagrad(p, learningRateDecay: -1),
            "Adagrad.initial=-1" => () => new Adagrad(p, initialAccumulatorValue: -1),
            _ => () => new Adagrad(p, epsilon: double.PositiveInfinity),
        };
        Rejection.AssertUnchanged(model, construct, paramName, expected);
    }

    [Fact]
    public void Optimizer_NullParametersOrBadRate_ThrowsAndKeepsRate()
    {
        Rejection.Assert(() => new Adam(null!), "parameters", null);
        var adam = new Adam(new VectorGruRnn(1).Parameters, learningRate: 0.01f);
        Rejection.Assert(() => adam.LearningRate = float.NaN, "LearningRate", "0");
        Rejection.Assert(() => adam.LearningRate = -1e-3f, "LearningRate", "0");
        Assert.Equal(0.01f, adam.LearningRate);
        Rejection.Assert(() => adam.RestoreState(null!), "state", null);
        Rejection.Assert(() => adam.RestoreState(new SGD(adam.Parameters, 0.1f).CaptureState()), "state", "Adam");
    }

    [Fact]
    public void Optimizer_RestoreMismatchedState_ThrowsAndLeavesOptimizerAndWeights()
    {
        var small = new VectorGruRnn(1);
        var large = new TokenLstm(1);
        var adam = new Adam(small.Parameters);
        Rejection.SeedGradients(small);
        adam.Step();
        OptimizerState before = adam.CaptureState();
        var other = new Adam(large.Parameters);
        Rejection.AssertUnchanged(small, () => adam.RestoreState(other.CaptureState()), "state", small.Parameters.Count.ToString());
        Assert.Equal(1, adam.StepCount);
        for (int i = 0; i < before.Tensors.Count; i++)
            Assert.Equal(Rejection.Checksum(before.Tensors[i].Values), Rejection.Checksum(adam.StateTensors[i].Values));
    }

    [Fact]
    public void ClippingAndSchedules_BadArguments_ThrowNamingParameterAndLeaveGradients()
    {
        var model = new VectorGruRnn(2);
        Rejection.SeedGradients(model);
        float[] gradients = model.Parameters.Gradients.ToArray();
        Rejection.AssertUnchanged(model, () => GradientClipping.ClipByGlobalNorm(gradients, float.NaN), "maxNorm", "0");
        Rejection.AssertUnchanged(model, () => GradientClipping.ClipByGlobalNorm(gradients, -1f), "maxNorm", "0");
        Rejection.AssertUnchanged(model, () => GradientClipping.ClipByValue(gradients, -0.5f), "clipValue", "0");
        Rejection.AssertUnchanged(model, () => GradientClipping.ClipByValue(gradients, float.NaN), "clipValue", "0");
        Assert.Equal(Rejection.Checksum(model.Parameters.Gradients), Rejection.Checksum(gradients));

        Rejection.Assert(() => new StepLR(0.1f, 0), "stepSize", "non-zero");
        Rejection.Assert(() => new StepLR(-0.1f, 3), "baseLr", "0");
        Rejection.Assert(() => new StepLR(0.1f, 3, float.NaN), "gamma", "0");
        Rejection.Assert(() => new ExponentialLR(0.1f, -0.5f), "gamma", "0");
        Rejection.Assert(() => new CosineWithWarmup(0.1f, 10, 10), "warmupSteps", "10");
        Rejection.Assert(() => new CosineWithWarmup(0.1f, 0, 0), "totalSteps", "non-zero");
        Rejection.Assert(() => new CosineWithWarmup(0.1f, 0, 10, minLr: 0.2f), "minLr", "0.1");
        Rejection.Assert(() => new StepLR(0.1f, 3).GetLearningRate(-1), "step", "non-negative");
        Rejection.Assert(() => new ExponentialLR(0.1f, 0.5f).Apply(null!), "optimizer", null);
    }

    [Fact]
    public void SafeTensors_NullOrEmptyArguments_ThrowNamingParameter()
    {
        RnnParameters p = new VectorGruRnn(1).Parameters;
        Rejection.Assert(() => SafeTensors.Save(null!, "x.safetensors"), "parameters", null);
        Rejection.Assert(() => SafeTensors.Save(p, null!), "path", null);
        Rejection.Assert(() => SafeTensors.Save(p, ""), "path", null);
        Rejection.Assert(() => SafeTensors.Load(p, (string)null!), "path", null);
        Rejection.Assert(() => SafeTensors.Load(p, ""), "path", null);
        Rejection.Assert(() => SafeTensors.Load(null!, "x.safetensors"), "parameters", null);
        Rejection.Assert(() => SafeTensors.Load(p, (SafeTensorsFile)null!), "file", null);
        Rejection.Assert(() => SafeTensorsFile.Read(null!), "path", null);
        Rejection.Assert(() => SafeTensors.Serialize(null!), "parameters", null);
    }

    [Fact]
    public void SafeTensorsLoad_TruncatedOrForeignFile_ThrowsAndLeavesModelUntouched()
    {
        string directory = Path.Combine(Path.GetTempPath(), "rnngen-reliability-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var source = new TokenLstm(1);
            string path = Path.Combine(directory, "weights.safetensors");
            SafeTensors.Save(source.Parameters, path);
            byte[] bytes = File.ReadAllBytes(path);

            var target = new TokenLstm(2);
            Rejection.SeedGradients(target);
            ulong values = Rejection.Checksum(target.Parameters.Values);
            foreach (int length in new[] { 0, 7, 8, 100, bytes.Length / 2, bytes.Length - 1 })
            {
                File.WriteAllBytes(path, bytes.AsSpan(0, length).ToArray());
                Assert.ThrowsAny<IOException>(() => SafeTensors.Load(target.Parameters, path));
                Assert.Equal(values, Rejection.Checksum(target.Parameters.Values));
            }

            SafeTensors.Save(new VectorGruRnn(3).Parameters, path);
            SafeTensorsFormatException foreign = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(target.Parameters, path));
            Assert.Contains("weight_ih_l0", foreign.Message, StringComparison.Ordinal);
            Assert.Equal(values, Rejection.Checksum(target.Parameters.Values));
            Assert.Single(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void SafeTensorsSave_IntoMissingDirectory_ThrowsAndLeavesNoTemporaryFile()
    {
        string directory = Path.Combine(Path.GetTempPath(), "rnngen-reliability-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string path = Path.Combine(directory, "missing", "weights.safetensors");
            Assert.ThrowsAny<IOException>(() => SafeTensors.Save(new VectorGruRnn(1).Parameters, path));
            Assert.Empty(Directory.GetFileSystemEntries(directory));
            Rejection.Assert(() => SafeTensors.Save(new VectorGruRnn(1).Parameters, directory + Path.DirectorySeparatorChar), "path", null);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
