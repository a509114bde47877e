using System.Collections.Generic;
using System.Runtime.Intrinsics;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class ActivationsTests
{
    private const double RelativeTolerance = 1e-6;

    // A dense sweep through the exp and tanh clamps and beyond, with subnormals.
    private static float[] Sweep()
    {
        var values = new List<float>();
        for (float x = -100f; x <= 100f; x += 0.0137f)
            values.Add(x);
        for (float x = -1f; x <= 1f; x += 1e-4f)
            values.Add(x);
        values.AddRange([0f, -0f, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 0.625f, -0.625f, 0.62499994f, 7.93219709f, -7.93219709f, 7.9321966f, 87.3f, -87.3f, 88.3f, 89f, -104f, 1e30f, -1e30f]);
        return values.ToArray();
    }

    [Fact]
    public void Sigmoid_Sweep_WithinRelativeTolerance() =>
        Check(Activations.Sigmoid, x => 1 / (1 + Math.Exp(-x)), absoluteFloor: 1e-37);

    // The rational tanh's bound, checked on every positive float by Peak/tanh_accuracy.c: below 3e-7.
    [Fact]
    public void Tanh_Sweep_WithinRelativeTolerance() =>
        Check(Activations.Tanh, Math.Tanh, absoluteFloor: 1e-37, relativeTolerance: 3e-7);

    [Fact]
    public void Exp_Sweep_WithinRelativeToleranceInsideClamp() =>
        Check(Activations.Exp, x => Math.Exp(Math.Clamp(x, (double)-87.3f, (double)88.3f)), absoluteFloor: 0);

    // The cell kernels take 16 lanes at a time where AVX-512 runs and finish a row on 8: both must agree exactly.
    [Fact]
    public void WideOverloads_SweepAndSpecialValues_EqualThe256BitOnesBitForBit()
    {
        if (!WideVectors.IsAccelerated)
            return;
        float[] values = [.. Sweep(), float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        int length = values.Length / 16 * 16;
        for (int start = 0; start < length; start += 16)
        {
            Vector512<float> x = Vector512.Create(values.AsSpan(start, 16));
            (Vector512<float> wide, Vector256<float> lower, Vector256<float> upper, string name)[] pairs =
            [
                (Activations.Exp(x), Activations.Exp(x.GetLower()), Activations.Exp(x.GetUpper()), "exp"),
                (Activations.Sigmoid(x), Activations.Sigmoid(x.GetLower()), Activations.Sigmoid(x.GetUpper()), "sigmoid"),
                (Activations.Tanh(x), Activations.Tanh(x.GetLower()), Activations.Tanh(x.GetUpper()), "tanh"),
            ];
            foreach (var (wide, lower, upper, name) in pairs)
            {
                Assert.True(wide.GetLower().AsInt32() == lower.AsInt32(), $"{name} at {start}: {wide.GetLower()} vs {lower}");
                Assert.True(wide.GetUpper().AsInt32() == upper.AsInt32(), $"{name} at {start + 8}: {wide.GetUpper()} vs {upper}");
            }
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Activations_SpecialValues_MatchMathF(float x)
    {
        if (!Activations.IsSupported)
            return;
        Vector256<float> v = Vector256.Create(x);
        AssertClose(MathF.Tanh(x), Activations.Tanh(v).GetElement(3));
        AssertClose(Activations.Sigmoid(x), Activations.Sigmoid(v).GetElement(5));
    }

    // NaN must stay NaN; saturated values may differ from the scalar library by a denormal.
    private static void AssertClose(float expected, float actual)
    {
        if (float.IsNaN(expected))
            Assert.True(float.IsNaN(actual), $"expected NaN, got {actual:R}");
        else
            Assert.True(Math.Abs(expected - actual) <= 1e-37f, $"expected {expected:R}, got {actual:R}");
    }

    // The vector forms exist only where the cell kernels use them (AVX2 + FMA); elsewhere the kernels run scalar code.
    private static void Check(Func<Vector256<float>, Vector256<float>> vector, Func<double, double> reference, double absoluteFloor,
        double relativeTolerance = RelativeTolerance)
    {
        if (!Activations.IsSupported)
            return;
        float[] xs = Sweep();
        for (int start = 0; start + 8 <= xs.Length; start += 8)
        {
            Vector256<float> result = vector(Vector256.Create(xs.AsSpan(start, 8)));
            for (int e = 0; e < 8; e++)
            {
                double expected = reference(xs[start + e]);
                double actual = result.GetElement(e);
                Assert.True(Math.Abs(actual - expected) <= relativeTolerance * Math.Abs(expected) + absoluteFloor,
                    $"x = {xs[start + e]:R}: {actual:R}, expected {expected:R}");
            }
        }
    }
}
