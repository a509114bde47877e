using System.Collections.Generic;
using System.Linq;
using RnnGen.Sequences;
using RnnGen.Tests.Inference;

namespace RnnGen.Tests.Sequences;

/// <summary>
/// Beam search: width 1 is greedy decoding; results come best first with scores that are their log-probabilities
/// under the model (over length^α); and a beam wide enough to keep everything returns exactly what listing and
/// scoring every possible sequence does.
/// </summary>
public sealed class BeamSearchTests
{
    private const int End = 2;

    // Larger head weights make the distributions peaky, so hypotheses differ clearly in score.
    private static TinyDecoder Tiny(ulong seed)
    {
        var model = new TinyDecoder(seed);
        foreach (ref float w in model.HeadWeight)
            w *= 4;
        return model;
    }

    private static TinyDecoder.StepState RandomState(TinyDecoder model, ulong seed)
    {
        TinyDecoder.StepState state = model.CreateState();
        var random = new RnnRandom(seed);
        random.FillUniform(state.Values, -1, 1);
        return state;
    }

    /// <summary>log P(sequence) by stepping it from <paramref name="start"/>, summed as the search sums it.</summary>
    private static double LogProbability(TinyDecoder model, TinyDecoder.StepState start, int first, IReadOnlyList<int> sequence)
    {
        TinyDecoder.StepState state = start.Clone();
        var probabilities = new float[TinyDecoder.OutputSize];
        double total = 0;
        int input = first;
        foreach (int token in sequence)
        {
            model.Step(state, input, probabilities);
            total += Math.Log(probabilities[token]);
            input = token;
        }
        return total;
    }

    /// <summary>Every sequence the search can return: non-end ids then the end id, or <paramref name="maxLength"/> non-end ids.</summary>
    private static List<int[]> AllSequences(int maxLength)
    {
        var all = new List<int[]>();
        var prefixes = new List<int[]> { Array.Empty<int>() };
        for (int length = 1; length <= maxLength; length++)
        {
            var longer = new List<int[]>();
            foreach (int[] prefix in prefixes)
            {
                all.Add(prefix.Append(End).ToArray());
                for (int token = 0; token < TinyDecoder.OutputSize; token++)
                {
                    if (token != End)
                        longer.Add(prefix.Append(token).ToArray());
                }
            }
            prefixes = longer;
        }
        all.AddRange(prefixes);
        return all;
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.7f)]
    [InlineData(1f)]
    public void Search_BeamWiderThanAllSequences_EqualsBruteForceRanking(float lengthPenalty)
    {
        TinyDecoder model = Tiny(5);
        TinyDecoder.StepState start = RandomState(model, 6);
        const int maxLength = 4;
        List<int[]> all = AllSequences(maxLength);
        var expected = all
            .Select(s => (Sequence: s, Score: LogProbability(model, start, 0, s) / Math.Pow(s.Length, lengthPenalty)))
            .OrderByDescending(e => e.Score)
            .ToList();
        var search = new BeamSearch<TinyDecoder.StepState>(model, beamWidth: all.Count + 1, maxLength, lengthPenalty);

        int count = search.Search(start, 0, End);

        Assert.Equal(31, all.Count);
        Assert.Equal(all.Count, count);
        for (int rank = 0; rank < count; rank++)
        {
            Assert.Equal(expected[rank].Sequence, search.Sequence(rank).ToArray());
            Assert.Equal(expected[rank].Score, search.Score(rank), 12);
        }
    }

    [Theory]
    [InlineData(2, 0f)]
    [InlineData(3, 0f)]
    [InlineData(3, 0.7f)]
    [InlineData(5, 1f)]
    public void Search_NarrowBeam_ReturnsDistinctSequencesSortedByTheirModelScores(int width, float lengthPenalty)
    {
        TinyDecoder model = Tiny(7);
        TinyDecoder.StepState start = RandomState(model, 8);
        var search = new BeamSearch<TinyDecoder.StepState>(model, width, maxLength: 4, lengthPenalty);
        double bestOfAll = AllSequences(4).Max(s => LogProbability(model, start, 0, s) / Math.Pow(s.Length, lengthPenalty));

        int count = search.Search(start, 0, End);

        Assert.Equal(width, count);
        var seen = new HashSet<string>();
        for (int rank = 0; rank < count; rank++)
        {
            int[] sequence = search.Sequence(rank).ToArray();
            Assert.True(seen.Add(string.Join(",", sequence)), "hypotheses must be distinct");
            Assert.True(sequence[^1] == End || sequence.Length == 4);
            double logP = LogProbability(model, start, 0, sequence);
            Assert.Equal(logP, search.LogProbability(rank), 12);
            Assert.Equal(logP / Math.Pow(sequence.Length, lengthPenalty), search.Score(rank), 12);
            if (rank > 0)
                Assert.True(search.Score(rank) <= search.Score(rank - 1));
        }
        Assert.True(search.Score(0) <= bestOfAll + 1e-12);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void Search_WidthOne_EqualsGreedyDecoding(ulong seed)
    {
        var model = new LstmTokenModel(seed);
        var random = new RnnRandom(seed + 100);
        LstmTokenModel.StepState start = model.CreateState();
        random.FillUniform(start.Values, -2, 2);
        int end = (int)(seed * 7 % LstmTokenModel.OutputSize);
        var greedy = new int[12];
        var probabilities = new float[LstmTokenModel.OutputSize];
        var search = new BeamSearch<LstmTokenModel.StepState>(model, beamWidth: 1, maxLength: greedy.Length);

        int length = Decoding.Greedy(model, start.Clone(), 3, end, greedy, probabilities);
        int count = search.Search(start, 3, end);

        Assert.Equal(1, count);
        Assert.Equal(greedy.AsSpan(0, length).ToArray(), search.Sequence(0).ToArray());
    }

    [Fact]
    public void Search_NoEndToken_RunsEveryHypothesisToMaxLength()
    {
        TinyDecoder model = Tiny(9);
        var search = new BeamSearch<TinyDecoder.StepState>(model, beamWidth: 4, maxLength: 3);

        int count = search.Search(model.CreateState(), 0, endToken: -1);

        Assert.Equal(4, count);
        for (int rank = 0; rank < count; rank++)
            Assert.Equal(3, search.Sequence(rank).Length);
    }

    [Fact]
    public void Search_StartState_IsNotChanged()
    {
        TinyDecoder model = Tiny(10);
        TinyDecoder.StepState start = RandomState(model, 11);
        float[] before = start.Values.ToArray();

        new BeamSearch<TinyDecoder.StepState>(model, 3, 4).Search(start, 0, End);

        Assert.Equal(before, start.Values.ToArray());
    }

    [Fact]
    public void Constructor_InvalidArguments_ThrowNamingTheParameter()
    {
        TinyDecoder model = Tiny(12);
        Assert.Equal("beamWidth", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch<TinyDecoder.StepState>(model, 0, 4)).ParamName);
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch<TinyDecoder.StepState>(model, 2, 0)).ParamName);
        Assert.Equal("lengthPenalty", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch<TinyDecoder.StepState>(model, 2, 4, -1f)).ParamName);
        var search = new BeamSearch<TinyDecoder.StepState>(model, 2, 4);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => search.Search(model.CreateState(), 0, 3)).ParamName);
        Assert.Equal("rank", Assert.Throws<ArgumentOutOfRangeException>(() => search.Sequence(0)).ParamName);
    }
}
