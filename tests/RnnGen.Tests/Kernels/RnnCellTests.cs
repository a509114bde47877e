using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class RnnCellTests
{
    public static TheoryData<RnnActivation, int> ActivationsAndSizes()
    {
        var data = new TheoryData<RnnActivation, int>();
        foreach (RnnActivation activation in Enum.GetValues<RnnActivation>())
            foreach (int size in CellTestMath.Sizes)
                data.Add(activation, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(ActivationsAndSizes))]
    public void Activate_AnyLength_MatchesScalarReference(RnnActivation activation, int length)
    {
        var random = new RnnRandom((ulong)length);
        float[] values = CellTestMath.Uniform(length, -4f, 4f, ref random);
        double[] expected = Array.ConvertAll(values, v => Reference(v, activation));

        RnnCell.Activate(values, activation);

        CellTestMath.AssertClose(expected, values, 1e-6, "h");
    }

    [Theory]
    [MemberData(nameof(ActivationsAndSizes))]
    public void Backward_AnyLength_MatchesFiniteDifferences(RnnActivation activation, int length)
    {
        var random = new RnnRandom((ulong)(100 + length));
        float[] pre = CellTestMath.Uniform(length, -3f, 3f, ref random);
        for (int i = 0; i < length; i++)
            if (MathF.Abs(pre[i]) < 0.05f)
                pre[i] = 0.5f; // keep ReLU away from its kink, where the derivative is undefined
        float[] weights = CellTestMath.Uniform(length, -1f, 1f, ref random);
        float[] h = (float[])pre.Clone();
        RnnCell.Activate(h, activation);
        float[] dPre = new float[length];

        RnnCell.Backward(h, weights, dPre, activation);

        double[] preDouble = CellTestMath.ToDouble(pre);
        double[] numeric = CellTestMath.NumericGradient(preDouble, () =>
        {
            double loss = 0;
            for (int i = 0; i < length; i++)
                loss += weights[i] * Reference(preDouble[i], activation);
            return loss;
        });
        CellTestMath.AssertClose(numeric, dPre, 1e-5, "dPre");
    }

    [Fact]
    public void Backward_WrongLength_ThrowsNamingExpectedLength()
    {
        var error = Assert.Throws<ArgumentException>(() => RnnCell.Backward(new float[4], new float[4], new float[3], RnnActivation.Tanh));
        Assert.Equal("dPre", error.ParamName);
        Assert.Contains("must have length 4", error.Message);
    }

    [Fact]
    public void Activate_UndefinedActivation_ThrowsOutOfRange()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RnnCell.Activate(new float[2], (RnnActivation)7));
        Assert.Equal("activation", error.ParamName);
    }

    private static double Reference(double x, RnnActivation activation) =>
        activation == RnnActivation.Tanh ? Math.Tanh(x) : Math.Max(x, 0);
}
