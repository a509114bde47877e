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
    private const float ExpHigh = 88.3f;

    /// <summary>Where <see cref="Exp(Vector256{float})"/> stops following e^x: below it every input gives e^ExpLow ≈ 1.2e-38.</summary>
    internal const float ExpLow = -87.3f;

    // Eigen's generic_fast_tanh_float: the odd numerator's and even denominator's coefficients. The clamp is the
    // first float where this evaluation order gives exactly 1 (Eigen's 7.90531 gives 0.9999997): no input below it
    // gives more than 1, so tanh saturates at ±1 as the library's does.
    private const float TanhClamp = 7.93219709f;
    private const float TanhP1 = 4.89352455891786e-03f, TanhP3 = 6.37261928875436e-04f, TanhP5 = 1.48572235717979e-05f;
    private const float TanhP7 = 5.12229709037114e-08f, TanhP9 = -8.60467152213735e-11f, TanhP11 = 2.00018790482477e-13f;
    private const float TanhP13 = -2.76076847742355e-16f;
    private const float TanhQ0 = 4.89352518554385e-03f, TanhQ2 = 2.26843463243900e-03f, TanhQ4 = 1.18534705686654e-04f;
    private const float TanhQ6 = 1.19825839466702e-06f;

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

    /// <summary>
    /// <c>tanh</c> as one rational function, <c>x · P(x²) / Q(x²)</c> with <paramref name="x"/> clamped to ±7.93220
    /// (Eigen's fast float tanh; relative error below 3e-7, at most 4.95 ulp, against double-precision tanh on every
    /// float): half the operations of an <c>exp</c>-based formula plus the polynomial it needs near zero. Dividing
    /// <c>P</c> by <c>Q</c> before multiplying by <c>x</c> keeps subnormal inputs accurate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        // maxps/minps return their second operand when either is NaN, so NaN passes through the clamp.
        x = Avx.Min(Vector256.Create(TanhClamp), Avx.Max(Vector256.Create(-TanhClamp), x));
        Vector256<float> s = x * x;
        Vector256<float> p = Vector256.Create(TanhP13);
        p = Fma.MultiplyAdd(p, s, Vector256.Create(TanhP11));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(TanhP9));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(TanhP7));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(TanhP5));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(TanhP3));
        p = Fma.MultiplyAdd(p, s, Vector256.Create(TanhP1));
        Vector256<float> q = Vector256.Create(TanhQ6);
        q = Fma.MultiplyAdd(q, s, Vector256.Create(TanhQ4));
        q = Fma.MultiplyAdd(q, s, Vector256.Create(TanhQ2));
        q = Fma.MultiplyAdd(q, s, Vector256.Create(TanhQ0));
        return x * (p / q);
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
        x = Avx512F.Min(Vector512.Create(TanhClamp), Avx512F.Max(Vector512.Create(-TanhClamp), x));
        Vector512<float> s = x * x;
        Vector512<float> p = Vector512.Create(TanhP13);
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(TanhP11));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(TanhP9));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(TanhP7));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(TanhP5));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(TanhP3));
        p = Avx512F.FusedMultiplyAdd(p, s, Vector512.Create(TanhP1));
        Vector512<float> q = Vector512.Create(TanhQ6);
        q = Avx512F.FusedMultiplyAdd(q, s, Vector512.Create(TanhQ4));
        q = Avx512F.FusedMultiplyAdd(q, s, Vector512.Create(TanhQ2));
        q = Avx512F.FusedMultiplyAdd(q, s, Vector512.Create(TanhQ0));
        return x * (p / q);
    }

    /// <summary>Scalar <c>σ</c> for the tails of the vector loops.</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
