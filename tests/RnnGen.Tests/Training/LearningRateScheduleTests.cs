namespace RnnGen.Tests.Training;

public sealed class LearningRateScheduleTests
{
    [Theory]
    [InlineData("step_lr")]
    [InlineData("step_lr_slow")]
    [InlineData("exponential_lr")]
    public void GetLearningRate_PyTorchScheduler_EqualsClosedFormAndTracksRecursiveValues(string name)
    {
        GoldenFile golden = GoldenFile.Open("lr_schedules");
        double[] closedForm = golden.Doubles(name + ".closed_form");
        double[] recursive = golden.Doubles(name + ".lr");
        float baseLr = golden.Float(name + ".base_lr");
        LearningRateSchedule schedule = name.StartsWith("step_lr", StringComparison.Ordinal)
            ? new StepLR(baseLr, golden.Int(name + ".step_size"), golden.Float(name + ".gamma"))
            : new ExponentialLR(baseLr, golden.Float(name + ".gamma"));

        for (int step = 0; step < closedForm.Length; step++)
        {
            float lr = schedule.GetLearningRate(step);
            Assert.Equal((float)closedForm[step], lr);
            Assert.True(Math.Abs(lr - recursive[step]) <= 1e-6 * recursive[step], $"step {step}: {lr:R} vs {recursive[step]:R}");
        }
    }

    [Fact]
    public void StepLR_Boundaries_DecayExactlyAtMultiplesOfStepSize()
    {
        var schedule = new StepLR(0.5f, 3, 0.5f);
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.125f }, Rates(schedule, 7));
    }

    [Fact]
    public void CosineWithWarmup_Phases_WarmsLinearlyThenDecaysToMinLr()
    {
        var schedule = new CosineWithWarmup(1f, 4, 14, 0.1f);
        Assert.Equal(new[] { 0.25f, 0.5f, 0.75f, 1f }, Rates(schedule, 4));
        Assert.Equal(1f, schedule.GetLearningRate(4));
        Assert.Equal(0.55f, schedule.GetLearningRate(9), 1e-6f);
        Assert.Equal(0.1f, schedule.GetLearningRate(14));
        Assert.Equal(0.1f, schedule.GetLearningRate(1_000_000));
        for (long step = 4; step < 14; step++)
            Assert.True(schedule.GetLearningRate(step + 1) < schedule.GetLearningRate(step), $"step {step}");
    }

    [Fact]
    public void CosineWithWarmup_NoWarmup_StartsAtBaseLr()
    {
        var schedule = new CosineWithWarmup(0.01f, 0, 10);
        Assert.Equal(0.01f, schedule.GetLearningRate(0));
        Assert.Equal(0f, schedule.GetLearningRate(10));
    }

    [Fact]
    public void Apply_OptimizerAfterSteps_SetsRateForNextStep()
    {
        RnnParameters parameters = TrainingTestData.Block(4);
        var sgd = new SGD(parameters, 1f);
        var schedule = new ExponentialLR(1f, 0.5f);
        for (int i = 0; i < 3; i++)
        {
            schedule.Apply(sgd);
            sgd.Step();
        }
        schedule.Apply(sgd);
        Assert.Equal(0.125f, sgd.LearningRate);
    }

    [Fact]
    public void Constructors_InvalidArguments_ThrowNamingTheParameter()
    {
        AssertOutOfRange("baseLr", () => new StepLR(-1f, 3));
        AssertOutOfRange("stepSize", () => new StepLR(0.1f, 0));
        AssertOutOfRange("gamma", () => new StepLR(0.1f, 3, float.NaN));
        AssertOutOfRange("baseLr", () => new ExponentialLR(float.PositiveInfinity, 0.9f));
        AssertOutOfRange("gamma", () => new ExponentialLR(0.1f, -0.9f));
        AssertOutOfRange("warmupSteps", () => new CosineWithWarmup(0.1f, -1, 10));
        AssertOutOfRange("warmupSteps", () => new CosineWithWarmup(0.1f, 10, 10));
        AssertOutOfRange("totalSteps", () => new CosineWithWarmup(0.1f, 0, 0));
        AssertOutOfRange("minLr", () => new CosineWithWarmup(0.1f, 0, 10, 0.2f));
        AssertOutOfRange("minLr", () => new CosineWithWarmup(0.1f, 0, 10, -0.01f));
        AssertOutOfRange("step", () => new StepLR(0.1f, 3).GetLearningRate(-1));
        AssertOutOfRange("step", () => new ExponentialLR(0.1f, 0.9f).GetLearningRate(-1));
        AssertOutOfRange("step", () => new CosineWithWarmup(0.1f, 1, 10).GetLearningRate(-1));
        Assert.Throws<ArgumentNullException>(() => new StepLR(0.1f, 3).Apply(null!));
    }

    private static float[] Rates(LearningRateSchedule schedule, int count)
    {
        var rates = new float[count];
        for (int i = 0; i < count; i++)
            rates[i] = schedule.GetLearningRate(i);
        return rates;
    }

    private static void AssertOutOfRange(string paramName, Action action) =>
        Assert.Equal(paramName, Assert.Throws<ArgumentOutOfRangeException>(action).ParamName);
}
