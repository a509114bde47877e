using RnnGen.Inference;

namespace RnnGen.Tests.Inference;

public sealed class SamplingTests
{
    private const int Draws = 100_000;

    public static TheoryData<int> Sizes => new() { 1, 3, 7, 8, 15, 16, 17, 31, 33, 64 };

    // Softmax of seeded normal logits: distinct values with the dynamic range of a real head.
    private static float[] RandomProbabilities(int size, ulong seed)
    {
        var random = new RnnRandom(seed);
        var values = new float[size];
        random.FillNormal(values, 0f, 2f);
        Losses.Softmax(values, size);
        return values;
    }

    // Pearson's statistic over the categories with positive expected probability; impossible categories must be empty.
    private static void AssertMatches(ReadOnlySpan<double> expected, ReadOnlySpan<int> counts, int draws)
    {
        double chiSquare = 0;
        int categories = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.True(counts[i] == 0, $"category {i} has probability 0 but was drawn {counts[i]} times");
                continue;
            }
            double e = expected[i] * draws;
            chiSquare += (counts[i] - e) * (counts[i] - e) / e;
            categories++;
        }
        // About five standard deviations above the mean of a chi-square with (categories − 1) degrees of freedom.
        int df = Math.Max(categories - 1, 1);
        double bound = df + 5 * Math.Sqrt(2.0 * df);
        Assert.True(chiSquare < bound, $"chi-square {chiSquare:F2} exceeds {bound:F2} for {df} degrees of freedom");
    }

    private static double[] Normalise(ReadOnlySpan<float> weights)
    {
        double total = 0;
        foreach (float w in weights)
            total += w;
        var result = new double[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            result[i] = weights[i] / total;
        return result;
    }

    // Indices of the k largest values, ties broken towards the lower index.
    private static bool[] TopK(float[] probabilities, int k)
    {
        int[] order = new int[probabilities.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        Array.Sort(order, (a, b) => probabilities[b] != probabilities[a] ? probabilities[b].CompareTo(probabilities[a]) : a.CompareTo(b));
        var kept = new bool[probabilities.Length];
        for (int i = 0; i < k; i++)
            kept[order[i]] = true;
        return kept;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Greedy_RandomProbabilities_ReturnsArgmax(int size)
    {
        float[] probabilities = RandomProbabilities(size, (ulong)size);
        int expected = 0;
        for (int i = 1; i < size; i++)
        {
            if (probabilities[i] > probabilities[expected])
                expected = i;
        }
        Assert.Equal(expected, Sampling.Greedy(probabilities));
    }

    [Fact]
    public void Greedy_Ties_ReturnsLowestIndex()
    {
        Assert.Equal(1, Sampling.Greedy([0.1f, 0.3f, 0.3f, 0.3f]));
        Assert.Equal(0, Sampling.Greedy([0.25f, 0.25f, 0.25f, 0.25f]));
    }

    [Fact]
    public void Greedy_Logits_ReturnsSameIndexAsTheirSoftmax()
    {
        float[] logits = [-3f, 2.5f, 0f, 2.4f, -1f];
        float[] probabilities = (float[])logits.Clone();
        Losses.Softmax(probabilities, logits.Length);
        Assert.Equal(1, Sampling.Greedy(logits));
        Assert.Equal(1, Sampling.Greedy(probabilities));
    }

    [Fact]
    public void Greedy_EmptyOrNaN_Throws()
    {
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Sampling.Greedy([])).ParamName);
        var e = Assert.Throws<ArgumentException>(() => Sampling.Greedy([0.2f, float.NaN, 0.5f]));
        Assert.Equal("probabilities", e.ParamName);
        Assert.Contains("probabilities[1]", e.Message);
    }

    [Fact]
    public void Sample_FixedSeed_FollowsDistributionAndNeverDrawsZero()
    {
        float[] probabilities = [0.1f, 0f, 0.2f, 0.3f, 0.4f, 0f];
        var random = new RnnRandom(7);
        var counts = new int[probabilities.Length];
        for (int i = 0; i < Draws; i++)
            counts[Sampling.Sample(probabilities, ref random)]++;
        AssertMatches(Normalise(probabilities), counts, Draws);
    }

    [Fact]
    public void Sample_UnnormalisedWeights_AreRenormalised()
    {
        float[] weights = [1f, 2f, 3f, 4f];
        var random = new RnnRandom(8);
        var counts = new int[weights.Length];
        for (int i = 0; i < Draws; i++)
            counts[Sampling.Sample(weights, ref random)]++;
        AssertMatches([0.1, 0.2, 0.3, 0.4], counts, Draws);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Sample_SameSeed_SameSequence(int size)
    {
        float[] probabilities = RandomProbabilities(size, 100 + (ulong)size);
        var a = new RnnRandom(11);
        var b = new RnnRandom(11);
        var c = new RnnRandom(12);
        bool differs = false;
        for (int i = 0; i < 1000; i++)
        {
            int x = Sampling.Sample(probabilities, ref a);
            Assert.Equal(x, Sampling.Sample(probabilities, ref b));
            differs |= x != Sampling.Sample(probabilities, ref c);
        }
        Assert.Equal(size > 1, differs);
    }

    [Fact]
    public void Sample_SingleToken_AlwaysReturnsIt()
    {
        var random = new RnnRandom(1);
        for (int i = 0; i < 100; i++)
            Assert.Equal(2, Sampling.Sample([0f, 0f, 1f, 0f], ref random));
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(1f)]
    [InlineData(2f)]
    public void SampleWithTemperature_FixedSeed_FollowsSoftmaxOfLogitsOverT(float temperature)
    {
        float[] logits = [1.5f, -0.5f, 0.25f, 2f, -2f, 0f, 1f];
        float[] probabilities = (float[])logits.Clone();
        Losses.Softmax(probabilities, logits.Length);
        float[] tempered = new float[logits.Length];
        for (int i = 0; i < logits.Length; i++)
            tempered[i] = logits[i] / temperature;
        Losses.Softmax(tempered, logits.Length);

        var random = new RnnRandom(21);
        var scratch = new float[logits.Length];
        var counts = new int[logits.Length];
        for (int i = 0; i < Draws; i++)
            counts[Sampling.SampleWithTemperature(probabilities, temperature, ref random, scratch)]++;
        AssertMatches(Normalise(tempered), counts, Draws);
    }

    [Fact]
    public void SampleWithTemperature_PowerOfProbabilities_IsRenormalised()
    {
        float[] probabilities = [0.1f, 0.2f, 0.3f, 0.4f];
        var random = new RnnRandom(22);
        var scratch = new float[4];
        var counts = new int[4];
        for (int i = 0; i < Draws; i++)
            counts[Sampling.SampleWithTemperature(probabilities, 0.5f, ref random, scratch)]++;
        AssertMatches(Normalise([0.01f, 0.04f, 0.09f, 0.16f]), counts, Draws);
    }

    [Theory]
    [InlineData(1e-6f)]
    [InlineData(float.Epsilon)]
    public void SampleWithTemperature_TemperatureNearZero_ReturnsGreedy(float temperature)
    {
        foreach (int size in Sizes)
        {
            float[] probabilities = RandomProbabilities(size, 300 + (ulong)size);
            int greedy = Sampling.Greedy(probabilities);
            var random = new RnnRandom(23);
            var scratch = new float[size];
            for (int i = 0; i < 200; i++)
                Assert.Equal(greedy, Sampling.SampleWithTemperature(probabilities, temperature, ref random, scratch));
        }
    }

    [Fact]
    public void SampleWithTemperature_DecreasingTemperature_DrawsGreedyMoreOften()
    {
        float[] probabilities = [0.25f, 0.3f, 0.2f, 0.15f, 0.1f];
        var scratch = new float[5];
        double previous = 0;
        foreach (float temperature in new[] { 2f, 1f, 0.5f, 0.1f, 0.01f })
        {
            var random = new RnnRandom(26);
            int greedy = 0;
            for (int i = 0; i < 10_000; i++)
                greedy += Sampling.SampleWithTemperature(probabilities, temperature, ref random, scratch) == 1 ? 1 : 0;
            double share = greedy / 10_000.0;
            Assert.True(share > previous, $"T = {temperature}: greedy share {share} is not above {previous}");
            previous = share;
        }
        Assert.Equal(1.0, previous);
    }

    [Fact]
    public void SampleWithTemperature_SmallProbabilitiesAndLowTemperature_DoNotUnderflow()
    {
        // p^(1/T) would underflow to 0 for every token here; the log-domain form keeps the maximum at weight 1.
        var probabilities = new float[33];
        probabilities.AsSpan().Fill(0.01f);
        probabilities[20] = 0.02f;
        var random = new RnnRandom(24);
        Assert.Equal(20, Sampling.SampleWithTemperature(probabilities, 0.01f, ref random, new float[33]));
    }

    [Fact]
    public void SampleWithTemperature_HighTemperature_ApproachesUniformOverPossibleTokens()
    {
        float[] probabilities = [0.7f, 0.2f, 0f, 0.1f];
        var random = new RnnRandom(25);
        var scratch = new float[4];
        var counts = new int[4];
        for (int i = 0; i < Draws; i++)
            counts[Sampling.SampleWithTemperature(probabilities, 1e6f, ref random, scratch)]++;
        AssertMatches([1 / 3.0, 1 / 3.0, 0, 1 / 3.0], counts, Draws);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SampleTopK_AnyK_NeverReturnsOutsideTopK(int size)
    {
        float[] probabilities = RandomProbabilities(size, 400 + (ulong)size);
        var scratch = new float[size];
        var random = new RnnRandom(31);
        foreach (int k in new[] { 1, 2, 5, size / 2, size })
        {
            if (k < 1 || k > size)
                continue;
            bool[] kept = TopK(probabilities, k);
            var seen = new bool[size];
            for (int i = 0; i < 2000; i++)
            {
                int token = Sampling.SampleTopK(probabilities, k, 1f, ref random, scratch);
                Assert.True(kept[token], $"k = {k}: drew {token}, outside the top {k}");
                seen[token] = true;
            }
            Assert.True(seen[Sampling.Greedy(probabilities)]);
        }
    }

    [Fact]
    public void SampleTopK_KOne_IsGreedy()
    {
        float[] probabilities = RandomProbabilities(64, 41);
        var random = new RnnRandom(32);
        for (int i = 0; i < 500; i++)
            Assert.Equal(Sampling.Greedy(probabilities), Sampling.SampleTopK(probabilities, 1, 5f, ref random, new float[64]));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    public void SampleTopK_FixedSeed_FollowsRenormalisedTopK(float temperature)
    {
        float[] probabilities = [0.1f, 0.3f, 0.05f, 0.4f, 0.15f];
        var random = new RnnRandom(33);
        var scratch = new float[5];
        var counts = new int[5];
        for (int i = 0; i < Draws; i++)
            counts[Sampling.SampleTopK(probabilities, 3, temperature, ref random, scratch)]++;
        float power = 1f / temperature;
        AssertMatches(Normalise([0f, MathF.Pow(0.3f, power), 0f, MathF.Pow(0.4f, power), MathF.Pow(0.15f, power)]), counts, Draws);
    }

    [Fact]
    public void SampleTopK_TiesAtTheCut_KeepLowerIndices()
    {
        float[] probabilities = [0.1f, 0.2f, 0.2f, 0.3f, 0.2f];
        var random = new RnnRandom(34);
        var scratch = new float[5];
        var counts = new int[5];
        for (int i = 0; i < Draws; i++)
            counts[Sampling.SampleTopK(probabilities, 3, 1f, ref random, scratch)]++;
        AssertMatches([0, 2 / 7.0, 2 / 7.0, 3 / 7.0, 0], counts, Draws);
    }

    [Fact]
    public void SampleTopK_KBeyondPossibleTokens_NeverDrawsZero()
    {
        float[] probabilities = [0f, 0.5f, 0f, 0.5f, 0f, 0f, 0f, 0f, 0f];
        var random = new RnnRandom(35);
        var scratch = new float[9];
        var counts = new int[9];
        for (int i = 0; i < 10_000; i++)
            counts[Sampling.SampleTopK(probabilities, 9, 1f, ref random, scratch)]++;
        AssertMatches([0, 0.5, 0, 0.5, 0, 0, 0, 0, 0], counts, 10_000);
    }

    [Fact]
    public void SampleTopK_SameSeed_SameSequence()
    {
        float[] probabilities = RandomProbabilities(33, 42);
        var a = new RnnRandom(36);
        var b = new RnnRandom(36);
        var scratch = new float[33];
        for (int i = 0; i < 1000; i++)
            Assert.Equal(Sampling.SampleTopK(probabilities, 7, 0.8f, ref a, scratch), Sampling.SampleTopK(probabilities, 7, 0.8f, ref b, scratch));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Temperature_NotPositiveFinite_Throws(float temperature)
    {
        float[] probabilities = [0.5f, 0.5f];
        var scratch = new float[2];
        var random = new RnnRandom(1);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.SampleWithTemperature(probabilities, temperature, ref random, scratch)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.SampleTopK(probabilities, 1, temperature, ref random, scratch)).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData(4)]
    public void SampleTopK_KOutOfRange_Throws(int k)
    {
        var random = new RnnRandom(1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.SampleTopK([0.2f, 0.3f, 0.5f], k, 1f, ref random, new float[3]));
        Assert.Equal("k", e.ParamName);
        Assert.Contains("[1, 3]", e.Message);
    }

    [Fact]
    public void Scratch_WrongLengthOrOverlapping_Throws()
    {
        var buffer = new float[] { 0.2f, 0.3f, 0.5f, 0f, 0f, 0f };
        var random = new RnnRandom(1);
        var e = Assert.Throws<ArgumentException>(() => Sampling.SampleWithTemperature(buffer.AsSpan(0, 3), 1f, ref random, new float[4]));
        Assert.Equal("scratch", e.ParamName);
        Assert.Contains("length 3", e.Message);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => Sampling.SampleTopK(buffer.AsSpan(0, 3), 1, 1f, ref random, new float[2])).ParamName);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => Sampling.SampleWithTemperature(buffer.AsSpan(0, 3), 1f, ref random, buffer.AsSpan(2, 3))).ParamName);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => Sampling.SampleTopK(buffer.AsSpan(0, 3), 1, 1f, ref random, buffer.AsSpan(0, 3))).ParamName);
    }

    public static TheoryData<float[]> InvalidProbabilities => new()
    {
        Array.Empty<float>(),
        new[] { 0.5f, -0.1f },
        new[] { 0.5f, float.NaN },
        new[] { 0.5f, float.PositiveInfinity },
        new[] { 0f, 0f, 0f },
    };

    [Theory]
    [MemberData(nameof(InvalidProbabilities))]
    public void Sampling_InvalidProbabilities_Throws(float[] probabilities)
    {
        var random = new RnnRandom(1);
        var scratch = new float[probabilities.Length];
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Sampling.Sample(probabilities, ref random)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Sampling.SampleWithTemperature(probabilities, 1f, ref random, scratch)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Sampling.SampleTopK(probabilities, 1, 1f, ref random, scratch)).ParamName);
    }

    [Fact]
    public void Sampling_AfterWarmUp_AllocatesZeroBytes()
    {
        float[] probabilities = RandomProbabilities(65, 50);
        var scratch = new float[65];
        var random = new RnnRandom(51);
        Assert.Equal(0, AllocationMeter.Measure(() =>
        {
            Sampling.Greedy(probabilities);
            Sampling.Sample(probabilities, ref random);
            Sampling.SampleWithTemperature(probabilities, 0.7f, ref random, scratch);
            Sampling.SampleTopK(probabilities, 10, 0.7f, ref random, scratch);
        }, calls: 100));
    }
}
