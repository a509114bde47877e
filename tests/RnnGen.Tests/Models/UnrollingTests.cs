namespace RnnGen.Tests.Models;

/// <summary>The looped form of the time steps computes exactly what the written-out form does.</summary>
public sealed class UnrollingTests
{
    [Theory]
    [InlineData("lstm_l1")]
    [InlineData("gru_l2")]
    public void LoopedModel_SameWeights_BitIdenticalToUnrolled(string name)
    {
        GoldenFixture fixture = GoldenFixture.Load(name);
        IRnnModel unrolled = GoldenModelTests.Prepare(fixture);
        IRnnModel looped = name == "lstm_l1" ? new LstmL1Looped() : new GruL2Looped();
        unrolled.Parameters.Values.CopyTo(looped.Parameters.Values);
        for (int layer = 0; layer < unrolled.LayerCount; layer++)
            unrolled.InitialHidden(layer).CopyTo(looped.InitialHidden(layer));

        float expected = GoldenModelTests.Train(unrolled, fixture);
        float actual = name == "lstm_l1"
            ? ((LstmL1Looped)looped).ComputeGradients(fixture.Floats("x"), fixture.Ints("targets"))
            : ((GruL2Looped)looped).ComputeGradients(fixture.Floats("x"), fixture.Floats("targets"));

        Assert.Equal(expected, actual);
        Assert.Equal(unrolled.Parameters.Gradients.ToArray(), looped.Parameters.Gradients.ToArray());
        Assert.Equal(unrolled.InputGradient.ToArray(), looped.InputGradient.ToArray());
    }
}
