namespace RnnGen.Tests.Kernels;

/// <summary>Double-precision helpers shared by the cell tests.</summary>
internal static class CellTestMath
{
    public static readonly int[] Sizes = [1, 3, 7, 8, 15, 16, 17, 31, 33, 64];

    // Central differences in double: truncation error ~ε², rounding ~1e-16/ε, both far below float tolerance.
    public const double Epsilon = 1e-5;

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static float[] Uniform(int length, float low, float high, ref RnnRandom random)
    {
        float[] values = new float[length];
        random.FillUniform(values, low, high);
        return values;
    }

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>Central difference of <paramref name="loss"/> with respect to each element of <paramref name="input"/>.</summary>
    public static double[] NumericGradient(double[] input, Func<double> loss)
    {
        double[] gradient = new double[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            double saved = input[i];
            input[i] = saved + Epsilon;
            double plus = loss();
            input[i] = saved - Epsilon;
            double minus = loss();
            input[i] = saved;
            gradient[i] = (plus - minus) / (2 * Epsilon);
        }
        return gradient;
    }

    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{what}[{i}] = {actual[i]}, expected {expected[i]}");
    }
}
