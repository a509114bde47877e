using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen;

/// <summary>The moment update and parameter step shared by <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
internal static class AdamKernel
{
    /// <summary>
    /// PyTorch's <c>_single_tensor_adam</c> from the moment updates on, in its float32 operation order:
    /// <c>m = m·β1 + (1-β1)·g</c> (fused), <c>v = v·β2 + ((1-β2)·g)·g</c> (fused, as GCC contracts addcmul),
    /// <c>denom = sqrt(v̂)/sqrt(bc2) + eps</c>, <c>p += (-lr/bc1 · m) / denom</c>.
    /// <c>coupledWeightDecay</c> is Adam's L2 term added to the gradient; AdamW passes zero and decays the
    /// parameters itself first. The moment spans are the same range of their buffers as <paramref name="values"/>;
    /// <paramref name="maxExpAvgSq"/> is empty without AMSGrad.
    /// </summary>
    public static void Update(Span<float> values, ReadOnlySpan<float> gradients, Span<float> expAvg, Span<float> expAvgSq,
        Span<float> maxExpAvgSq, double learningRate, double beta1, double beta2, double eps, double coupledWeightDecay, long step)
    {
        double biasCorrection1 = 1.0 - Math.Pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.Pow(beta2, step);
        float negStepSize = (float)-(learningRate / biasCorrection1);
        float bc2Sqrt = (float)Math.Sqrt(biasCorrection2);
        float b1 = (float)beta1, oneMinusB1 = (float)(1.0 - beta1);
        float b2 = (float)beta2, oneMinusB2 = (float)(1.0 - beta2);
        float wd = (float)coupledWeightDecay, epsilon = (float)eps;
        bool amsgrad = !maxExpAvgSq.IsEmpty;

        ref float p = ref MemoryMarshal.GetReference(values);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float m = ref MemoryMarshal.GetReference(expAvg);
        ref float v = ref MemoryMarshal.GetReference(expAvgSq);
        // Without amsgrad the max buffer is never touched; aliasing v keeps one loop body for both cases.
        ref float vMax = ref amsgrad ? ref MemoryMarshal.GetReference(maxExpAvgSq) : ref v;
        int n = values.Length;
        int i = 0;

        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> pv = Vector.LoadUnsafe(ref p, (nuint)i);
                Vector<float> gv = Vector.LoadUnsafe(ref g, (nuint)i);
                if (wd != 0f)
                    gv = Vector.FusedMultiplyAdd(pv, new Vector<float>(wd), gv);
                Vector<float> mv = Vector.FusedMultiplyAdd(gv, new Vector<float>(oneMinusB1), Vector.LoadUnsafe(ref m, (nuint)i) * b1);
                Vector<float> vv = Vector.FusedMultiplyAdd(gv * oneMinusB2, gv, Vector.LoadUnsafe(ref v, (nuint)i) * b2);
                mv.StoreUnsafe(ref m, (nuint)i);
                vv.StoreUnsafe(ref v, (nuint)i);
                if (amsgrad)
                {
                    vv = Vector.Max(Vector.LoadUnsafe(ref vMax, (nuint)i), vv);
                    vv.StoreUnsafe(ref vMax, (nuint)i);
                }
                Vector<float> denom = Vector.SquareRoot(vv) / new Vector<float>(bc2Sqrt) + new Vector<float>(epsilon);
                (pv + mv * negStepSize / denom).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            ref float pi = ref Unsafe.Add(ref p, i);
            float gi = Unsafe.Add(ref g, i);
            if (wd != 0f)
                gi = MathF.FusedMultiplyAdd(pi, wd, gi);
            float mi = Unsafe.Add(ref m, i) = MathF.FusedMultiplyAdd(gi, oneMinusB1, Unsafe.Add(ref m, i) * b1);
            float vi = Unsafe.Add(ref v, i) = MathF.FusedMultiplyAdd(gi * oneMinusB2, gi, Unsafe.Add(ref v, i) * b2);
            if (amsgrad)
                vi = Unsafe.Add(ref vMax, i) = MathF.Max(Unsafe.Add(ref vMax, i), vi);
            float denom = MathF.Sqrt(vi) / bc2Sqrt + epsilon;
            pi += mi * negStepSize / denom;
        }
    }
}
