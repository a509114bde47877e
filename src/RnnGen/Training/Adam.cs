using System;

namespace RnnGen;

/// <summary>
/// Adam (Kingma and Ba), optionally AMSGrad, with L2 weight decay added to the gradient, exactly as
/// <c>torch.optim.Adam</c>: <c>g += wd·p</c>; <c>m = β1·m + (1-β1)·g</c>; <c>v = β2·v + (1-β2)·g²</c>;
/// <c>p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps)</c>, where AMSGrad uses the running maximum of v.
/// </summary>
public sealed class Adam : Optimizer
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
    /// <param name="weightDecay">L2 penalty added to the gradient; >= 0.</param>
    /// <param name="amsgrad">Use the running maximum of the second moment (AMSGrad).</param>
    public Adam(RnnParameters parameters, float learningRate = 1e-3f, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false)
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
    public override string Name => "Adam";

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator for stability.</summary>
    public double Epsilon { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool AmsGrad { get; }

    /// <inheritdoc />
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, int offset, long step) =>
        AdamKernel.Update(values, gradients, _expAvg.AsSpan(offset, values.Length), _expAvgSq.AsSpan(offset, values.Length),
            _maxExpAvgSq is null ? default : _maxExpAvgSq.AsSpan(offset, values.Length), LearningRate, Beta1, Beta2, Epsilon,
            WeightDecay, step);
}
