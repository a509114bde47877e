namespace RnnGen.Tests.Kernels;

public sealed class LossesTests
{
    [Fact]
    public void SoftmaxCrossEntropy_TwoEqualLogits_IsLogTwo()
    {
        float[] gradient = new float[2];

        float loss = Losses.SoftmaxCrossEntropy([0f, 0f], [0], gradient, 2);

        Assert.Equal(MathF.Log(2f), loss, 1e-6f);
        Assert.Equal([-0.5f, 0.5f], gradient);
    }

    // Widths below, at and across the 8-lane vectors of the fused row kernel (whose last vector overlaps the others).
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(23)]
    [InlineData(65)]
    [InlineData(300)]
    public void SoftmaxCrossEntropy_WithIgnoredRows_MatchesDoubleReference(int classes)
    {
        var random = new RnnRandom((ulong)classes);
        int[] targets = [0, Losses.IgnoreIndex, classes - 1, classes / 2, Losses.IgnoreIndex];
        float[] logits = new float[targets.Length * classes];
        random.FillUniform(logits, -5f, 5f);
        float[] gradient = new float[logits.Length];
        gradient.AsSpan().Fill(7f);
        (double expectedLoss, double[] expectedGradient) = Reference(logits, targets, classes);

        float loss = Losses.SoftmaxCrossEntropy(logits, targets, gradient, classes);

        Assert.Equal(expectedLoss, loss, 1e-5);
        CellTestMath.AssertClose(expectedGradient, gradient, 1e-6, "gradient");
    }

    [Fact]
    public void SoftmaxCrossEntropy_HugeLogits_StaysFinite()
    {
        float[] gradient = new float[3];

        float loss = Losses.SoftmaxCrossEntropy([1000f, 0f, -1000f], [1], gradient, 3);

        Assert.Equal(1000f, loss, 1e-3f);
        Assert.Equal([1f, -1f, 0f], gradient);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(65)]
    public void SoftmaxCrossEntropy_GradientIsTheLogits_MatchesSeparateBuffers(int classes)
    {
        var random = new RnnRandom((ulong)classes + 5);
        int[] targets = [classes - 1, 0, Losses.IgnoreIndex, classes / 2];
        float[] logits = new float[targets.Length * classes];
        random.FillUniform(logits, -5f, 5f);
        float[] separate = new float[logits.Length];
        float expectedLoss = Losses.SoftmaxCrossEntropy(logits, targets, separate, classes);

        float loss = Losses.SoftmaxCrossEntropy(logits, targets, logits, classes);

        Assert.Equal(expectedLoss, loss);
        Assert.Equal(separate, logits);
    }

    [Fact]
    public void SoftmaxCrossEntropy_WideRowWithFarLogits_GivesExactZerosAndPropagatesNaN()
    {
        float[] logits = new float[2 * 12];
        logits[0] = 1000f;
        logits[1] = float.NegativeInfinity;
        logits[11] = -1000f;
        float[] gradient = new float[logits.Length];

        float loss = Losses.SoftmaxCrossEntropy(logits.AsSpan(0, 12), [1], gradient.AsSpan(0, 12), 12);

        Assert.Equal(float.PositiveInfinity, loss);
        Assert.Equal(1f, gradient[0]);
        Assert.Equal(-1f, gradient[1]);
        Assert.All(gradient.AsSpan(2, 10).ToArray(), g => Assert.Equal(0f, g));

        logits[12 + 5] = float.NaN;
        Assert.True(float.IsNaN(Losses.SoftmaxCrossEntropy(logits.AsSpan(12, 12), [0], gradient.AsSpan(12, 12), 12)));
    }

    [Fact]
    public void SoftmaxCrossEntropy_EveryTargetIgnored_ReturnsNaNAndZeroGradient()
    {
        float[] gradient = [1f, 2f, 3f, 4f];

        float loss = Losses.SoftmaxCrossEntropy([1f, 2f, 3f, 4f], [Losses.IgnoreIndex, Losses.IgnoreIndex], gradient, 2);

        Assert.True(float.IsNaN(loss));
        Assert.Equal(new float[4], gradient);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void SoftmaxCrossEntropy_TargetOutOfRange_ThrowsNamingRowAndLeavesGradient(int badTarget)
    {
        float[] gradient = [9f, 9f, 9f, 9f, 9f, 9f];

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.SoftmaxCrossEntropy(new float[6], [0, badTarget], gradient, 3));

        Assert.Equal("targets", error.ParamName);
        Assert.Contains($"targets[1] = {badTarget}", error.Message);
        Assert.All(gradient, value => Assert.Equal(9f, value));
    }

    [Fact]
    public void SoftmaxCrossEntropy_WrongGradientLength_ThrowsNamingExpectedLength()
    {
        var error = Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy(new float[6], [0, 1], new float[5], 3));
        Assert.Equal("gradient", error.ParamName);
        Assert.Contains("must have length 6", error.Message);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(300)]
    [InlineData(600)]
    public void CrossEntropySum_WithIgnoredRows_MatchesReferenceSumAndCount(int classes)
    {
        var random = new RnnRandom((ulong)(classes + 1));
        int[] targets = [1, Losses.IgnoreIndex, classes - 1, 0];
        float[] logits = new float[targets.Length * classes];
        random.FillUniform(logits, -8f, 8f);
        (double meanLoss, _) = Reference(logits, targets, classes);

        double sum = Losses.CrossEntropySum(logits, targets, classes, out int count);

        Assert.Equal(3, count);
        Assert.Equal(meanLoss * 3, sum, 1e-5);
    }

    [Fact]
    public void CrossEntropySum_TargetOutOfRange_ThrowsNamingRow()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropySum(new float[4], [7, 0], 2, out _));
        Assert.Contains("targets[0] = 7", error.Message);
    }

    [Fact]
    public void MeanSquaredError_KnownValues_ReturnsMeanAndGradient()
    {
        float[] gradient = new float[3];

        float loss = Losses.MeanSquaredError([1f, 2f, 3f], [1f, 1f, 1f], gradient);

        Assert.Equal(5f / 3f, loss, 1e-6f);
        Assert.Equal(0f, gradient[0]);
        Assert.Equal(2f / 3f, gradient[1], 1e-6f);
        Assert.Equal(4f / 3f, gradient[2], 1e-6f);
    }

    [Fact]
    public void MeanSquaredError_WrongTargetLength_ThrowsNamingExpectedLength()
    {
        var error = Assert.Throws<ArgumentException>(() => Losses.MeanSquaredError(new float[3], new float[2], new float[3]));
        Assert.Equal("targets", error.ParamName);
        Assert.Contains("must have length 3", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(33)]
    [InlineData(65)]
    public void Softmax_RowsWithHugeLogit_MatchDoubleReference(int classes)
    {
        var random = new RnnRandom((ulong)(classes + 2));
        float[] values = new float[3 * classes];
        random.FillUniform(values, -50f, 50f);
        values[0] = 500f;
        double[] probabilities = new double[values.Length];
        for (int r = 0; r < 3; r++)
        {
            Span<float> row = values.AsSpan(r * classes, classes);
            double max = double.NegativeInfinity, sum = 0;
            foreach (float v in row)
                max = Math.Max(max, v);
            foreach (float v in row)
                sum += Math.Exp(v - max);
            for (int j = 0; j < classes; j++)
                probabilities[r * classes + j] = Math.Exp(row[j] - max) / sum;
        }

        Losses.Softmax(values, classes);

        CellTestMath.AssertClose(probabilities, values, 1e-6, "softmax");
    }

    [Fact]
    public void Softmax_LengthNotMultipleOfClasses_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Losses.Softmax(new float[7], 3));
        Assert.Equal("values", error.ParamName);
        Assert.Contains("multiple of classes = 3", error.Message);
    }

    // Mean loss and gradient (softmax − onehot) / count, in double.
    private static (double Loss, double[] Gradient) Reference(float[] logits, int[] targets, int classes)
    {
        double[] gradient = new double[logits.Length];
        double total = 0;
        int count = 0;
        foreach (int target in targets)
            if (target != Losses.IgnoreIndex)
                count++;
        for (int r = 0; r < targets.Length; r++)
        {
            if (targets[r] == Losses.IgnoreIndex)
                continue;
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++)
                max = Math.Max(max, logits[r * classes + j]);
            double sum = 0;
            for (int j = 0; j < classes; j++)
                sum += Math.Exp(logits[r * classes + j] - max);
            total += Math.Log(sum) + max - logits[r * classes + targets[r]];
            for (int j = 0; j < classes; j++)
                gradient[r * classes + j] = (Math.Exp(logits[r * classes + j] - max) / sum - (j == targets[r] ? 1 : 0)) / count;
        }
        return (total / count, gradient);
    }
}
