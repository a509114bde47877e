using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnGen.Kernels;

/// <summary>
/// Vectorised <c>exp</c>, <c>σ</c> and <c>tanh</c> for the fused cell loops, accurate to a few ulp (relative error
/// below 1e-6 everywhere, NaN propagated), so a gate row is activated in one pass instead of one library call per gate.
/// </summary>
internal static class Activations
{
    // exp saturates instead of overflowing: e^88.3 ≈ 2.1e38 < float.MaxValue, and 2^n stays a normal number.
    private const float ExpHigh = 88.3f, ExpLow = -87.3f;

    /// <summary>Whether the vector paths can run: the callers fall back to scalar code otherwise.</summary>
    public static bool IsSupported => Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>Cephes <c>expf</c>: <c>e^x = 2^n · e^r</c>, <c>r = x − n·ln 2</c> with ln 2 in two parts, degree-6 polynomial.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        // maxps/minps return their second operand when either is NaN, so NaN passes through the clamp.
        x = Avx.Min(Vector256.Create(ExpHigh), Avx.Max(Vector256.Create(ExpLow), x));
        Vector256<float> n = Avx.RoundToNegativeInfinity(Fma.MultiplyAdd(x, Vector256.Create(1.44269504088896341f), Vector256.Create(0.5f)));
        Vector256<float> r = Fma.MultiplyAddNegated(n, Vector256.Create(0.693359375f), x);
        r = Fma.MultiplyAddNegated(n, Vector256.Create(-2.12194440e-4f), r);
        Vector256<float> p = Vector256.Create(1.9875691500e-4f);
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1.3981999507e-3f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        Vector256<float> y = Fma.MultiplyAdd(p, r * r, r) + Vector256<float>.One;
        Vector256<int> exponent = Avx.ConvertToVector256Int32(n) + Vector256.Create(127);
        return y * Vector256.ShiftLeft(exponent, 23).AsSingle();
    }

    /// <summary><c>σ(x) = 1 / (1 + e^−x)</c>, PyTorch's formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    /// <summary>Cephes <c>tanhf</c>: an odd polynomial below |x| = 0.625, where <c>1 − 2/(e^2|x| + 1)</c> would cancel, that formula above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> sign = Vector256.Create(-0f);
        Vector256<float> ax = Vector256.AndNot(x, sign);
        Vector256<float> large = Vector256<float>.One - Vector256.Create(2f) / (Exp(ax + ax) + Vector256<float>.One);
        Vector256<float> s = x * x;
        Vector256<float> p = Vector256.Create(-5.70498872745e-3f);
        p = Fma.MultiplyAdd(p, s, Vector256.Create(2.06390887954e-2f));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(-5.37397155531e-2f));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(1.33314422036e-1f));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(-3.33332819422e-1f));
        Vector256<float> small = Fma.MultiplyAdd(p * s, x, x);
        // A NaN compares false, so it takes the polynomial branch, which propagates it.
        Vector256<float> useLarge = Avx.Compare(ax, Vector256.Create(0.625f), FloatComparisonMode.OrderedGreaterThanOrEqualNonSignaling);
        return Vector256.ConditionalSelect(useLarge, large | (x & sign), small);
    }

    // The 512-bit overloads (run where WideVectors.IsAccelerated) repeat the 256-bit ones operation for operation, so every lane is bit-identical to them.

    /// <summary><see cref="Exp(Vector256{float})"/> on sixteen lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Avx512F.Min(Vector512.Create(ExpHigh), Avx512F.Max(Vector512.Create(ExpLow), x));
        // RoundScale control 0x09: round toward −∞ to an integer, exceptions suppressed, as roundps 0x09.
        Vector512<float> n = Avx512F.RoundScale(Avx512F.FusedMultiplyAdd(x, Vector512.Create(1.44269504088896341f), Vector512.Create(0.5f)), 0x09);
        Vector512<float> r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(0.693359375f), x);
        r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(-2.12194440e-4f), r);
        Vector512<float> p = Vector512.Create(1.9875691500e-4f);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        Vector512<float> y = Avx512F.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        Vector512<int> exponent = Avx512F.ConvertToVector512Int32(n) + Vector512.Create(127);
        return y * Vector512.ShiftLeft(exponent, 23).AsSingle();
    }

    /// <summary><see cref="Sigmoid(Vector256{float})"/> on sixteen lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    /// <summary><see cref="Tanh(Vector256{float})"/> on sixteen lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> sign = Vector512.Create(-0f);
        Vector512<float> ax = Vector512.AndNot(x, sign);
        Vector512<float> large = Vector512<float>.One - Vector512.Create(2f) / (Exp(ax + ax) + Vector512<float>.One);
        Vector512<float> s = x * x;
        Vector512<float> p = Vector512.Create(-5.70498872745e-3f);
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(2.06390887954e-2f));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(-5.37397155531e-2f));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(1.33314422036e-1f));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(-3.33332819422e-1f));
        Vector512<float> small = Avx512F.FusedMultiplyAdd(p * s, x, x);
        Vector512<float> useLarge = Vector512.GreaterThanOrEqual(ax, Vector512.Create(0.625f));
        return Vector512.ConditionalSelect(useLarge, large | (x & sign), small);
    }

    /// <summary>Scalar <c>σ</c> for the tails of the vector loops.</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
