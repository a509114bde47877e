using System.IO;

namespace RnnGen.Tests.Models;

/// <summary>
/// <c>Step</c> runs on a packed copy of the weights; every way of changing the parameters must reach it before the
/// next step. Each case compares against a model that never stepped before receiving the same values.
/// </summary>
public sealed class StepWeightRefreshTests
{
    private static readonly float[] Input = [0.3f, -0.7f, 1.1f];

    [Fact]
    public void Step_AfterAParameterAccessorWrite_UsesTheNewWeights() =>
        AssertStepSeesChange(model => model.WeightIhL0[5] += 0.75f);

    // The head is packed too (PackedCell.Dense).
    [Fact]
    public void Step_AfterAHeadWeightWrite_UsesTheNewWeights() =>
        AssertStepSeesChange(model => model.HeadWeight[2] += 0.75f);

    [Fact]
    public void Step_AfterAnOptimizerStep_UsesTheNewWeights() =>
        AssertStepSeesChange(model =>
        {
            model.Parameters.Gradients.Fill(0.25f);
            new Adam(model.Parameters, learningRate: 0.1f).Step();
        });

    [Fact]
    public void Step_AfterLoadingAWeightFile_UsesTheNewWeights()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rnngen-refresh-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(new LstmL1Random(99).Parameters, path);
            AssertStepSeesChange(model => SafeTensors.Load(model.Parameters, path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Step_AfterReinitialising_UsesTheNewWeights() =>
        AssertStepSeesChange(model => model.Parameters.InitializeDefault(1234));

    [Fact]
    public void Step_AfterWritingThroughAHeldSpanAndMarkingIt_UsesTheNewWeights()
    {
        var model = new LstmL1Random(7);
        Span<float> held = model.Parameters.Values;
        var output = new float[LstmL1Random.OutputSize];
        model.Step(model.CreateState(), Input, output);

        held[LstmL1Random.ParameterCount - 1] += 1f;
        model.Parameters.MarkValuesChanged();
        model.Step(model.CreateState(), Input, output);

        Assert.Equal(FreshStep(model), output);
    }

    [Fact]
    public void Step_WithUnchangedWeights_DoesNotRepack()
    {
        var model = new LstmL1Random(3);
        var state = model.CreateState();
        var output = new float[LstmL1Random.OutputSize];
        model.Step(state, Input, output);
        long version = model.Parameters.Version;

        model.Step(state, Input, output);
        _ = model.Parameters.ReadOnlyValues;

        Assert.Equal(version, model.Parameters.Version);
    }

    private static void AssertStepSeesChange(Action<LstmL1Random> change) => AssertStepSeesChange(new LstmL1Random(7), change);

    private static void AssertStepSeesChange(LstmL1Random model, Action<LstmL1Random> change)
    {
        var output = new float[LstmL1Random.OutputSize];
        model.Step(model.CreateState(), Input, output);
        float[] before = (float[])output.Clone();

        change(model);
        model.Step(model.CreateState(), Input, output);

        float[] expected = FreshStep(model);
        Assert.NotEqual(before, expected);
        Assert.Equal(expected, output);
    }

    private static float[] FreshStep(LstmL1Random model)
    {
        var fresh = new LstmL1Random(0);
        fresh.Parameters.CopyValuesFrom(model.Parameters);
        var expected = new float[LstmL1Random.OutputSize];
        fresh.Step(fresh.CreateState(), Input, expected);
        return expected;
    }
}
