namespace RnnGen.Tests.Training;

/// <summary>
/// Replays the gradients PyTorch saw (Golden/optim/make_optim_golden.py) and compares the parameters after every step.
/// </summary>
public sealed class OptimizerGoldenTests
{
    public static TheoryData<string> Cases() => new()
    {
        "sgd_plain", "sgd_momentum_dampening", "sgd_nesterov_weight_decay",
        "adam_defaults", "adam", "adam_amsgrad_weight_decay", "adamw_defaults", "adamw_amsgrad",
        "rmsprop_defaults", "rmsprop_centered_momentum", "adagrad_defaults", "adagrad_lr_decay_weight_decay",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_ReplayedPyTorchGradients_MatchesPyTorchTrajectory(string name)
    {
        GoldenFile golden = GoldenFile.Open(name);
        float[] initial = golden.Floats("initial");
        float[] gradients = golden.Floats("gradients");
        float[] expected = golden.Floats("params");
        int size = initial.Length, steps = golden.Shape("params")[0];
        Assert.True(steps >= 20, $"{name} has only {steps} steps.");
        RnnParameters parameters = TrainingTestData.Block(size);
        initial.CopyTo(parameters.Values);
        Optimizer optimizer = Create(golden, parameters);

        for (int step = 0; step < steps; step++)
        {
            gradients.AsSpan(step * size, size).CopyTo(parameters.Gradients);
            optimizer.Step();
            ReadOnlySpan<float> want = expected.AsSpan(step * size, size);
            float scale = 1f;
            foreach (float w in want)
                scale = MathF.Max(scale, MathF.Abs(w));
            for (int i = 0; i < size; i++)
            {
                float got = parameters.Values[i];
                float tolerance = 1e-5f * MathF.Abs(want[i]) + 1e-7f * scale;
                Assert.True(MathF.Abs(got - want[i]) <= tolerance,
                    $"{name}: step {step + 1}, element {i}: got {got:R}, PyTorch {want[i]:R}.");
            }
        }
        Assert.Equal(steps, optimizer.StepCount);
    }

    /// <summary>
    /// Every elementwise operation is PyTorch's, in its order and rounding, and hyper-parameters are doubles like
    /// PyTorch's, so trajectories agree to the bit. The one exception is AdamW with PyTorch's default lr = 1e-3: the
    /// learning rate is a float here, and 1e-3f makes <c>1 - lr·wd</c> round one ulp differently now and then, so
    /// "adamw_defaults" is held to the tolerance above only.
    /// </summary>
    [Theory]
    [InlineData("sgd_plain")]
    [InlineData("adam_defaults")]
    [InlineData("rmsprop_defaults")]
    [InlineData("adagrad_defaults")]
    [InlineData("sgd_momentum_dampening")]
    [InlineData("sgd_nesterov_weight_decay")]
    [InlineData("adam")]
    [InlineData("adam_amsgrad_weight_decay")]
    [InlineData("adamw_amsgrad")]
    [InlineData("rmsprop_centered_momentum")]
    [InlineData("adagrad_lr_decay_weight_decay")]
    public void Step_ReplayedPyTorchGradients_MatchesPyTorchBitForBit(string name)
    {
        GoldenFile golden = GoldenFile.Open(name);
        float[] initial = golden.Floats("initial");
        float[] gradients = golden.Floats("gradients");
        float[] expected = golden.Floats("params");
        int size = initial.Length, steps = golden.Shape("params")[0];
        RnnParameters parameters = TrainingTestData.Block(size);
        initial.CopyTo(parameters.Values);
        Optimizer optimizer = Create(golden, parameters);

        for (int step = 0; step < steps; step++)
        {
            gradients.AsSpan(step * size, size).CopyTo(parameters.Gradients);
            optimizer.Step();
            for (int i = 0; i < size; i++)
            {
                float want = expected[step * size + i];
                Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(parameters.Values[i]),
                    $"{name}: step {step + 1}, element {i}: got {parameters.Values[i]:R}, PyTorch {want:R}.");
            }
        }
    }

    /// <summary>Builds the optimiser the fixture names; absent keys mean PyTorch's default, so C# defaults are tested too.</summary>
    private static Optimizer Create(GoldenFile golden, RnnParameters parameters)
    {
        double Or(string key, double fallback) => golden.HasMetadata(key) ? golden.Double(key) : fallback;
        return golden.Text("optimizer") switch
        {
            "SGD" => new SGD(parameters, golden.Float("lr"), Or("momentum", 0), Or("dampening", 0),
                Or("weight_decay", 0), golden.Bool("nesterov")),
            "Adam" => golden.HasMetadata("lr")
                ? new Adam(parameters, golden.Float("lr"), Or("beta1", 0.9), Or("beta2", 0.999), Or("eps", 1e-8),
                    Or("weight_decay", 0), golden.Bool("amsgrad"))
                : new Adam(parameters),
            "AdamW" => golden.HasMetadata("lr")
                ? new AdamW(parameters, golden.Float("lr"), Or("beta1", 0.9), Or("beta2", 0.999), Or("eps", 1e-8),
                    Or("weight_decay", 1e-2), golden.Bool("amsgrad"))
                : new AdamW(parameters),
            "RMSprop" => golden.HasMetadata("lr")
                ? new RMSprop(parameters, golden.Float("lr"), Or("alpha", 0.99), Or("eps", 1e-8),
                    Or("weight_decay", 0), Or("momentum", 0), golden.Bool("centered"))
                : new RMSprop(parameters),
            "Adagrad" => golden.HasMetadata("lr")
                ? new Adagrad(parameters, golden.Float("lr"), Or("lr_decay", 0), Or("weight_decay", 0),
                    Or("initial_accumulator_value", 0), Or("eps", 1e-10))
                : new Adagrad(parameters),
            string other => throw new InvalidOperationException($"Fixture names unknown optimiser '{other}'."),
        };
    }
}
