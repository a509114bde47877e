using RnnGen.Data;
using RnnGen.Inference;
using RnnGen.Tests.Models;

namespace RnnGen.Tests.Inference;

public sealed class PerplexityTests
{
    public static TheoryData<int> Sizes => new() { 1, 3, 7, 8, 15, 16, 17, 31, 33, 64 };

    [Fact]
    public void AddProbabilities_TwoRows_MatchesHandComputation()
    {
        // −ln 0.5 − ln 0.25 = 3 ln 2 over 2 rows: mean 1.5 ln 2, perplexity 2^1.5.
        var perplexity = new Perplexity();
        perplexity.AddProbabilities([0.5f, 0.25f, 0.25f, 0.5f, 0.25f, 0.25f], [0, 1], 3);
        Assert.Equal(2, perplexity.Count);
        Assert.Equal(3 * Math.Log(2), perplexity.TotalNegativeLogLikelihood, 12);
        Assert.Equal(1.5 * Math.Log(2), perplexity.MeanNegativeLogLikelihood, 12);
        Assert.Equal(Math.Pow(2, 1.5), perplexity.Value, 12);
    }

    [Fact]
    public void AddLogits_ShiftedLogOfProbabilities_MatchesHandComputation()
    {
        // log-softmax ignores a constant per row, so ln p + c gives the same perplexity as p itself.
        float[] logits = [MathF.Log(0.5f) + 3f, MathF.Log(0.25f) + 3f, MathF.Log(0.25f) + 3f, MathF.Log(0.5f) - 1f, MathF.Log(0.25f) - 1f, MathF.Log(0.25f) - 1f];
        var perplexity = new Perplexity();
        perplexity.AddLogits(logits, [0, 1], 3);
        Assert.Equal(2, perplexity.Count);
        Assert.Equal(Math.Pow(2, 1.5), perplexity.Value, 6);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AddLogits_UniformScores_PerplexityIsVocabularySize(int classes)
    {
        var logits = new float[5 * classes];
        logits.AsSpan().Fill(0.75f);
        var perplexity = new Perplexity();
        perplexity.AddLogits(logits, [0, classes - 1, classes / 2, 0, classes - 1], classes);
        Assert.Equal(classes, perplexity.Value, classes * 1e-6);
    }

    [Fact]
    public void Windows_SplitAnywhere_SameAsOneWindow()
    {
        var random = new RnnRandom(3);
        const int Rows = 17, Classes = 7;
        var probabilities = new float[Rows * Classes];
        random.FillNormal(probabilities, 0f, 1f);
        Losses.Softmax(probabilities, Classes);
        var targets = new int[Rows];
        for (int r = 0; r < Rows; r++)
            targets[r] = random.NextInt(Classes);

        var whole = new Perplexity();
        whole.AddProbabilities(probabilities, targets, Classes);
        var split = new Perplexity();
        split.AddProbabilities(probabilities.AsSpan(0, 5 * Classes), targets.AsSpan(0, 5), Classes);
        split.AddProbabilities(probabilities.AsSpan(5 * Classes), targets.AsSpan(5), Classes);

        Assert.Equal(Rows, split.Count);
        Assert.Equal(whole.Value, split.Value, 12);
    }

    [Fact]
    public void IgnoredRows_CountForNothing()
    {
        var perplexity = new Perplexity();
        perplexity.AddProbabilities([0.5f, 0.5f, 0.1f, 0.9f], [0, Losses.IgnoreIndex], 2);
        perplexity.AddLogits([9f, -9f, 0f, 0f], [Losses.IgnoreIndex, 1], 2);
        Assert.Equal(2, perplexity.Count);
        Assert.Equal(2.0, perplexity.Value, 6);
    }

    [Fact]
    public void Value_NothingCounted_IsNaN_AndZeroProbability_IsInfinity()
    {
        var perplexity = new Perplexity();
        Assert.True(double.IsNaN(perplexity.Value));
        perplexity.AddProbabilities([0.5f, 0.5f], [Losses.IgnoreIndex], 2);
        Assert.True(double.IsNaN(perplexity.Value));
        perplexity.AddProbabilities([1f, 0f], [1], 2);
        Assert.True(double.IsPositiveInfinity(perplexity.Value));
        perplexity.Reset();
        Assert.Equal(0, perplexity.Count);
        Assert.Equal(0, perplexity.TotalNegativeLogLikelihood);
    }

    [Fact]
    public void Add_InvalidWindow_ThrowsAndLeavesTotalsUntouched()
    {
        var perplexity = new Perplexity();
        perplexity.AddProbabilities([0.5f, 0.5f], [0], 2);
        double total = perplexity.TotalNegativeLogLikelihood;

        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => perplexity.AddProbabilities([], [], 0)).ParamName);
        var length = Assert.Throws<ArgumentException>(() => perplexity.AddProbabilities([0.5f, 0.5f, 1f], [0, 1], 2));
        Assert.Equal("probabilities", length.ParamName);
        Assert.Contains("length 4", length.Message);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => perplexity.AddProbabilities([0.5f, 0.5f, 0.5f, 0.5f], [0, 2], 2)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => perplexity.AddProbabilities([0.5f, 0.5f, float.NaN, 0.5f], [0, 0], 2)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => perplexity.AddProbabilities([0.5f, 0.5f, -0.1f, 1.1f], [0, 1], 2)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => perplexity.AddLogits([0f, 0f], [-1], 2)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => perplexity.AddLogits([0f, 0f, 0f], [0], 2)).ParamName);

        Assert.Equal(1, perplexity.Count);
        Assert.Equal(total, perplexity.TotalNegativeLogLikelihood);
    }

    [Fact]
    public void ModelWindow_ForwardProbabilities_MatchExpOfTrainingLoss()
    {
        // ComputeGradients returns the mean cross-entropy of the same window, so its exp is the window's perplexity.
        var model = new LstmEmbedding(5);
        var random = new RnnRandom(6);
        var inputs = new int[LstmEmbedding.InputLength];
        var targets = new int[LstmEmbedding.TargetLength];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = random.NextInt(LstmEmbedding.VocabularySize);
            targets[i] = random.NextInt(LstmEmbedding.VocabularySize);
        }
        var probabilities = new float[LstmEmbedding.OutputLength];
        model.Forward(inputs, probabilities);

        var perplexity = new Perplexity();
        perplexity.AddProbabilities(probabilities, targets, LstmEmbedding.OutputSize);
        double loss = model.ComputeGradients(inputs, targets);

        Assert.Equal(targets.Length, perplexity.Count);
        Assert.Equal(Math.Exp(loss), perplexity.Value, Math.Exp(loss) * 1e-5);
    }

    [Fact]
    public void TokenStream_WindowsWithCarriedState_MatchOneStepAtATime()
    {
        // The documented evaluation loop (docs/latency.md) over a stream, against Step over the same stream.
        var random = new RnnRandom(7);
        var tokens = new int[3 * LstmTokenModel.SequenceLength + 1];
        for (int i = 0; i < tokens.Length; i++)
            tokens[i] = random.NextInt(LstmTokenModel.VocabularySize);
        var model = new LstmTokenModel(8);

        var batcher = new TokenStreamBatcher(tokens, LstmTokenModel.SequenceLength, LstmTokenModel.BatchSize);
        var inputs = new int[batcher.WindowElementCount];
        var targets = new int[batcher.WindowElementCount];
        var probabilities = new float[LstmTokenModel.OutputLength];
        var windows = new Perplexity();
        model.ResetState();
        for (int w = 0; w < batcher.WindowCount; w++)
        {
            batcher.FillWindow(w, inputs, targets);
            model.Forward(inputs, probabilities);
            model.CarryState();
            windows.AddProbabilities(probabilities, targets, LstmTokenModel.OutputSize);
        }

        var steps = new Perplexity();
        var state = model.CreateState();
        var output = new float[LstmTokenModel.OutputSize];
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            model.Step(state, tokens[i], output);
            steps.AddProbabilities(output, [tokens[i + 1]], LstmTokenModel.OutputSize);
        }

        Assert.Equal(tokens.Length - 1, windows.Count);
        Assert.Equal(steps.Count, windows.Count);
        Assert.Equal(steps.Value, windows.Value, steps.Value * 1e-5);
    }
}
