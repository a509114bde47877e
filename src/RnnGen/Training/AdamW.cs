using System;
using System.Numerics.Tensors;

namespace RnnGen;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter), exactly as <c>torch.optim.AdamW</c>: the parameters are
/// first scaled by <c>1 - lr·wd</c>, then the Adam step runs on the unmodified gradient.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly float[] _expAvg;
    private readonly float[] _expAvgSq;
    private readonly float[]? _maxExpAvgSq;

    /// <summary>Creates the optimiser with PyTorch's defaults.</summary>
    /// <param name="parameters">The parameter block to update.</param>
    /// <param name="learningRate">Learning rate; finite and >= 0.</param>
    /// <param name="beta1">Decay of the first moment; in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment; in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator; >= 0.</param>
    /// <param name="weightDecay">Decoupled decay rate; >= 0.</param>
    /// <param name="amsgrad">Use the running maximum of the second moment (AMSGrad).</param>
    public AdamW(RnnParameters parameters, float learningRate = 1e-3f, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(parameters, learningRate)
    {
        RequireNonNegative(epsilon, nameof(epsilon));
        RequireUnitInterval(beta1, nameof(beta1));
        RequireUnitInterval(beta2, nameof(beta2));
        RequireNonNegative(weightDecay, nameof(weightDecay));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        AmsGrad = amsgrad;
        _expAvg = AddStateTensor("exp_avg");
        _expAvgSq = AddStateTensor("exp_avg_sq");
        if (amsgrad)
            _maxExpAvgSq = AddStateTensor("max_exp_avg_sq");
    }

    /// <inheritdoc />
    public override string Name => "AdamW";

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator for stability.</summary>
    public double Epsilon { get; }

    /// <summary>Decoupled decay rate.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool AmsGrad { get; }

    /// <inheritdoc />
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, int offset, long step)
    {
        // PyTorch multiplies even when the factor is 1; skipping that multiply changes no bit.
        double decay = 1.0 - (double)LearningRate * WeightDecay;
        if (decay != 1.0)
            TensorPrimitives.Multiply(values, (float)decay, values);
        AdamKernel.Update(values, gradients, _expAvg.AsSpan(offset, values.Length), _expAvgSq.AsSpan(offset, values.Length),
            _maxExpAvgSq is null ? default : _maxExpAvgSq.AsSpan(offset, values.Length), LearningRate, Beta1, Beta2, Epsilon, 0, step);
    }
}
