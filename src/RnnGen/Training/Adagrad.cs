using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen;

/// <summary>
/// Adagrad (Duchi et al.), exactly as <c>torch.optim.Adagrad</c> for dense gradients:
/// <c>g += wd·p</c>; <c>clr = lr / (1 + (t-1)·lr_decay)</c>; <c>sum += g²</c>; <c>p -= clr·g / (sqrt(sum) + eps)</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private readonly float[] _sum;

    /// <summary>Creates the optimiser with PyTorch's defaults.</summary>
    /// <param name="parameters">The parameter block to update.</param>
    /// <param name="learningRate">Learning rate; finite and >= 0.</param>
    /// <param name="learningRateDecay">Decay of the learning rate per step; >= 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient; >= 0.</param>
    /// <param name="initialAccumulatorValue">Starting value of the squared-gradient sum; >= 0.</param>
    /// <param name="epsilon">Added to the denominator; >= 0.</param>
    public Adagrad(RnnParameters parameters, float learningRate = 1e-2f, double learningRateDecay = 0,
        double weightDecay = 0, double initialAccumulatorValue = 0, double epsilon = 1e-10)
        : base(parameters, learningRate)
    {
        RequireNonNegative(learningRateDecay, nameof(learningRateDecay));
        RequireNonNegative(weightDecay, nameof(weightDecay));
        RequireNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        RequireNonNegative(epsilon, nameof(epsilon));
        LearningRateDecay = learningRateDecay;
        WeightDecay = weightDecay;
        InitialAccumulatorValue = initialAccumulatorValue;
        Epsilon = epsilon;
        _sum = AddStateTensor("sum", (float)initialAccumulatorValue);
    }

    /// <inheritdoc />
    public override string Name => "Adagrad";

    /// <summary>Decay of the learning rate per step.</summary>
    public double LearningRateDecay { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Starting value of the squared-gradient sum.</summary>
    public double InitialAccumulatorValue { get; }

    /// <summary>Added to the denominator for stability.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, int offset, long step)
    {
        float negClr = (float)-(LearningRate / (1.0 + (step - 1) * LearningRateDecay));
        float eps = (float)Epsilon, wd = (float)WeightDecay;
        ref float p = ref MemoryMarshal.GetReference(values);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float s = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_sum), offset);
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
                Vector<float> sv = Vector.FusedMultiplyAdd(gv, gv, Vector.LoadUnsafe(ref s, (nuint)i));
                sv.StoreUnsafe(ref s, (nuint)i);
                Vector<float> std = Vector.SquareRoot(sv) + new Vector<float>(eps);
                (pv + gv * negClr / std).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            ref float pi = ref Unsafe.Add(ref p, i);
            float gi = Unsafe.Add(ref g, i);
            if (wd != 0f)
                gi = MathF.FusedMultiplyAdd(pi, wd, gi);
            float si = Unsafe.Add(ref s, i) = MathF.FusedMultiplyAdd(gi, gi, Unsafe.Add(ref s, i));
            pi += gi * negClr / (MathF.Sqrt(si) + eps);
        }
    }
}
