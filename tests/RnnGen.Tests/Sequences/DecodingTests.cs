using RnnGen.Inference;
using RnnGen.Sequences;
using RnnGen.Tests.Inference;

namespace RnnGen.Tests.Sequences;

/// <summary>Greedy and sampled autoregressive decoding, and the teacher-forced input layout.</summary>
public sealed class DecodingTests
{
    [Fact]
    public void TeacherForcedInputs_PaddedTargets_ShiftByOneStepWithBeginAndEnd()
    {
        int[] targets = { 5, 6, 7, 8, Losses.IgnoreIndex, 9 };
        var inputs = new int[6];

        Decoding.TeacherForcedInputs(targets, batchSize: 2, beginToken: 0, endToken: 1, inputs);

        Assert.Equal(new[] { 0, 0, 5, 6, 7, 8 }, inputs);
        Decoding.TeacherForcedInputs(targets, batchSize: 3, beginToken: 0, endToken: 1, inputs);
        Assert.Equal(new[] { 0, 0, 0, 5, 6, 7 }, inputs);
        targets[1] = Losses.IgnoreIndex;
        Decoding.TeacherForcedInputs(targets, batchSize: 3, beginToken: 0, endToken: 1, inputs);
        Assert.Equal(new[] { 0, 0, 0, 5, 1, 7 }, inputs);
    }

    [Fact]
    public void TeacherForcedInputs_BadShapes_ThrowNamingTheParameter()
    {
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => Decoding.TeacherForcedInputs(new int[6], 4, 0, 1, new int[6])).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => Decoding.TeacherForcedInputs(new int[6], 2, 0, 1, new int[5])).ParamName);
    }

    [Fact]
    public void Greedy_MatchesStepAndArgmaxAndStopsAtTheEndToken()
    {
        var model = new GruTokenModel(3);
        var probabilities = new float[GruTokenModel.OutputSize];
        var reference = new int[20];
        GruTokenModel.StepState state = model.CreateState();
        int token = 4;
        for (int t = 0; t < reference.Length; t++)
        {
            model.Step(state, token, probabilities);
            reference[t] = token = Sampling.Greedy(probabilities);
        }
        int end = reference[5];
        int expectedLength = Array.IndexOf(reference, end) + 1;
        var tokens = new int[20];

        int length = Decoding.Greedy(model, model.CreateState(), 4, end, tokens, probabilities);

        Assert.Equal(expectedLength, length);
        Assert.Equal(reference.AsSpan(0, length).ToArray(), tokens.AsSpan(0, length).ToArray());
        Assert.Equal(20, Decoding.Greedy(model, model.CreateState(), 4, -1, tokens, probabilities));
        Assert.Equal(reference, tokens);
    }

    [Fact]
    public void Sample_SameSeed_SameSequenceAndLowTemperatureIsGreedy()
    {
        var model = new RnnTokenModel(5);
        var probabilities = new float[RnnTokenModel.OutputSize];
        var scratch = new float[RnnTokenModel.OutputSize];
        var first = new int[16];
        var second = new int[16];
        var greedy = new int[16];
        var a = new RnnRandom(6);
        var b = new RnnRandom(6);

        Decoding.Sample(model, model.CreateState(), 1, -1, first, probabilities, 1f, ref a, scratch);
        Decoding.Sample(model, model.CreateState(), 1, -1, second, probabilities, 1f, ref b, scratch);
        Decoding.Greedy(model, model.CreateState(), 1, -1, greedy, probabilities);
        var c = new RnnRandom(7);
        var cold = new int[16];
        Decoding.Sample(model, model.CreateState(), 1, -1, cold, probabilities, 1e-4f, ref c, scratch);

        Assert.Equal(first, second);
        Assert.Equal(greedy, cold);
    }

    [Fact]
    public void Greedy_BadArguments_ThrowNamingTheParameter()
    {
        var model = new GruTokenModel(8);
        var probabilities = new float[GruTokenModel.OutputSize];
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Decoding.Greedy(model, model.CreateState(), 0, 1, new int[3], new float[2])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => Decoding.Greedy(model, model.CreateState(), 0, 1, Span<int>.Empty, probabilities)).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => Decoding.Greedy(model, model.CreateState(), 0, GruTokenModel.OutputSize, new int[3], probabilities)).ParamName);
    }
}
