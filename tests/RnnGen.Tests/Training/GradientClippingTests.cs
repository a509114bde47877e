namespace RnnGen.Tests.Training;

public sealed class GradientClippingTests
{
    [Theory]
    [InlineData("below")]
    [InlineData("above")]
    [InlineData("far_above")]
    [InlineData("tail")]
    [InlineData("zeros")]
    [InlineData("single")]
    public void ClipByGlobalNorm_PyTorchCases_MatchesClipGradNorm(string name)
    {
        GoldenFile golden = GoldenFile.Open("clip_grad_norm");
        float[] gradients = golden.Floats(name + ".before");
        float[] expected = golden.Floats(name + ".after");
        float expectedTotal = golden.Floats(name + ".total")[0];

        float total = GradientClipping.ClipByGlobalNorm(gradients, golden.Float(name + ".max_norm"));

        // PyTorch sums the squares in float32, this code in double: the norms agree to float rounding.
        Assert.True(MathF.Abs(total - expectedTotal) <= 2e-6f * expectedTotal, $"total {total:R} vs PyTorch {expectedTotal:R}");
        for (int i = 0; i < gradients.Length; i++)
        {
            Assert.True(MathF.Abs(gradients[i] - expected[i]) <= 2e-6f * MathF.Abs(expected[i]),
                $"{name}, element {i}: {gradients[i]:R} vs PyTorch {expected[i]:R}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(1000)]
    public void ClipByGlobalNorm_AboveThreshold_ScalesToMaxNormAndReturnsTotal(int length)
    {
        float[] gradients = Random(length, (ulong)length);
        double sum = 0;
        foreach (float g in gradients)
            sum += (double)g * g;
        float[] original = (float[])gradients.Clone();
        float maxNorm = (float)Math.Sqrt(sum) / 4;

        float total = GradientClipping.ClipByGlobalNorm(gradients, maxNorm);

        Assert.Equal((float)Math.Sqrt(sum), total);
        float coefficient = 1f / (total + 1e-6f) * maxNorm;
        for (int i = 0; i < length; i++)
            Assert.Equal(original[i] * coefficient, gradients[i]);
        Assert.True(MathF.Abs(GradientClipping.GlobalNorm(gradients) - maxNorm) <= 1e-5f * maxNorm);
    }

    [Fact]
    public void ClipByGlobalNorm_BelowThreshold_LeavesGradients()
    {
        float[] gradients = Random(33, 4);
        float[] original = (float[])gradients.Clone();
        float norm = GradientClipping.GlobalNorm(gradients);

        Assert.Equal(norm, GradientClipping.ClipByGlobalNorm(gradients, norm * 2));
        Assert.Equal(norm, GradientClipping.ClipByGlobalNorm(gradients, norm * 1.001f));
        Assert.Equal(original, gradients);
    }

    [Fact]
    public void ClipByGlobalNorm_MaxNormEqualsTotal_ScalesByPyTorchsCoefficientJustBelowOne()
    {
        // PyTorch's 1e-6 guard makes max / (total + 1e-6) < 1 here, so it rescales; so does this code.
        float[] gradients = { 3f, 4f };
        Assert.Equal(5f, GradientClipping.ClipByGlobalNorm(gradients, 5f));
        float coefficient = 1f / (5f + 1e-6f) * 5f;
        Assert.True(coefficient < 1f);
        Assert.Equal(new[] { 3f * coefficient, 4f * coefficient }, gradients);
    }

    [Fact]
    public void ClipByGlobalNorm_ZeroGradients_ReturnsZeroAndLeavesThem()
    {
        var gradients = new float[17];
        Assert.Equal(0f, GradientClipping.ClipByGlobalNorm(gradients, 1f));
        Assert.Equal(0f, GradientClipping.ClipByGlobalNorm(gradients, 0f));
        Assert.All(gradients, g => Assert.Equal(0f, g));
        Assert.Equal(0f, GradientClipping.ClipByGlobalNorm(Span<float>.Empty, 1f));
    }

    [Fact]
    public void ClipByGlobalNorm_HugeFiniteValues_DoesNotOverflowTheSumOfSquares()
    {
        float[] gradients = { 3e30f, 4e30f, 0f };
        Assert.Equal(5e30f, GradientClipping.ClipByGlobalNorm(gradients, 1f), 1e25f);
        Assert.Equal(0.6f, gradients[0], 1e-6f);
        Assert.Equal(0.8f, gradients[1], 1e-6f);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ClipByGlobalNorm_NonFiniteGradient_ReturnsNonFiniteTotalWithoutScaling(float poison)
    {
        float[] gradients = Random(20, 8);
        gradients[13] = poison;
        float[] original = (float[])gradients.Clone();

        float total = GradientClipping.ClipByGlobalNorm(gradients, 0.5f);

        Assert.False(float.IsFinite(total));
        Assert.Equal(float.IsNaN(poison), float.IsNaN(total));
        Assert.Equal(original, gradients);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ClipByGlobalNorm_InvalidMaxNorm_Throws(float maxNorm)
    {
        var gradients = new float[3];
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(gradients, maxNorm)).ParamName);
    }

    [Fact]
    public void ClipByValue_MixedValues_ClampsSymmetrically()
    {
        float[] gradients = { -3f, -0.5f, 0f, 0.25f, 2f, 0.5f, -0.75f, 1e9f, -1e-9f };
        GradientClipping.ClipByValue(gradients, 0.5f);
        Assert.Equal(new[] { -0.5f, -0.5f, 0f, 0.25f, 0.5f, 0.5f, -0.5f, 0.5f, -1e-9f }, gradients);
    }

    [Fact]
    public void ClipByValue_InfiniteClip_LeavesGradients()
    {
        float[] gradients = Random(31, 6);
        float[] original = (float[])gradients.Clone();
        GradientClipping.ClipByValue(gradients, float.PositiveInfinity);
        Assert.Equal(original, gradients);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void ClipByValue_InvalidClip_Throws(float clipValue)
    {
        var gradients = new float[3];
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue(gradients, clipValue)).ParamName);
    }

    [Fact]
    public void AllFinite_NonFiniteAtEveryPositionOfEveryLength_ReturnsFalse()
    {
        float[] poisons = { float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(-1) };
        for (int length = 1; length <= 40; length++)
        {
            float[] values = Random(length, (ulong)length);
            Assert.True(GradientClipping.AllFinite(values), $"length {length}, all finite");
            for (int position = 0; position < length; position++)
            {
                foreach (float poison in poisons)
                {
                    float saved = values[position];
                    values[position] = poison;
                    Assert.False(GradientClipping.AllFinite(values), $"length {length}, {poison} at {position}");
                    values[position] = saved;
                }
            }
        }
    }

    [Fact]
    public void AllFinite_ExtremeFiniteValues_ReturnsTrue()
    {
        float[] values = { float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, -0f, 0f, 1e-40f, 3.4e38f, 1f };
        Assert.True(GradientClipping.AllFinite(values));
        Assert.True(GradientClipping.AllFinite(ReadOnlySpan<float>.Empty));
    }

    private static float[] Random(int length, ulong seed)
    {
        var random = new RnnRandom(seed);
        var values = new float[length];
        random.FillNormal(values, 0f, 2f);
        return values;
    }
}
