namespace RnnGen.Tests;

/// <summary>Central finite differences of a float32 loss against an analytic gradient.</summary>
internal static class FiniteDifferences
{
    // The loss is accumulated in float32, so steps much below 1e-3 drown in rounding; 1e-3 is also small enough that a
    // relu rarely straddles its kink.
    private const float Epsilon = 1e-3f;

    /// <summary>
    /// Checks every tensor of <paramref name="parameters"/>. The perturbations write through a span held across loss
    /// evaluations, so each evaluation first marks the values changed: models keep packed weight copies.
    /// </summary>
    public static void CheckParameters(Func<float> loss, RnnParameters parameters, ReadOnlySpan<float> analytic, string prefix = "")
    {
        float MarkedLoss()
        {
            parameters.MarkValuesChanged();
            return loss();
        }

        foreach (ParameterTensor tensor in parameters.Tensors)
            Check(MarkedLoss, parameters.GetValues(tensor.Name), analytic.Slice(tensor.Offset, tensor.Length), prefix + tensor.Name);
    }

    /// <summary>Checks up to <paramref name="samples"/> evenly spread entries of <paramref name="values"/>: perturbing
    /// each by ±ε must move <paramref name="loss"/> as <paramref name="analytic"/> predicts.</summary>
    public static void Check(Func<float> loss, Span<float> values, ReadOnlySpan<float> analytic, string what, int samples = 9)
    {
        float[] expected = analytic.ToArray();
        int stride = Math.Max(1, values.Length / samples);
        for (int i = 0; i < values.Length; i += stride)
        {
            float saved = values[i];
            values[i] = saved + Epsilon;
            double plus = loss();
            values[i] = saved - Epsilon;
            double minus = loss();
            values[i] = saved;
            double numeric = (plus - minus) / (2 * Epsilon);
            double error = Math.Abs(numeric - expected[i]);
            Assert.True(error <= 2e-3 + 2e-2 * Math.Abs(expected[i]), $"{what}[{i}]: backward {expected[i]:R}, finite difference {numeric:R}");
        }
    }
}
