using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay, exactly as
/// <c>torch.optim.SGD</c>:
/// <c>d = g + wd·p</c>; <c>buf = d</c> on the first step, then <c>buf = momentum·buf + (1 - dampening)·d</c>;
/// <c>d = nesterov ? d + momentum·buf : buf</c>; <c>p -= lr·d</c>.
/// </summary>
public sealed class SGD : Optimizer
{
    private readonly float[]? _momentumBuffer;

    /// <summary>Creates the optimiser. PyTorch has no default learning rate for SGD, so it is required here too.</summary>
    /// <param name="parameters">The parameter block to update.</param>
    /// <param name="learningRate">Learning rate; finite and >= 0.</param>
    /// <param name="momentum">Momentum factor; >= 0. Zero keeps no state.</param>
    /// <param name="dampening">Dampening of the momentum; PyTorch places no bound on it.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient; >= 0.</param>
    /// <param name="nesterov">Nesterov momentum; requires momentum &gt; 0 and dampening = 0.</param>
    public SGD(RnnParameters parameters, float learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        RequireNonNegative(momentum, nameof(momentum));
        if (!double.IsFinite(dampening))
            throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "dampening must be finite.");
        RequireNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException(
                $"Nesterov momentum requires momentum > 0 and dampening = 0; got momentum {momentum} and dampening {dampening}.",
                nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        if (momentum != 0)
            _momentumBuffer = AddStateTensor("momentum_buffer");
    }

    /// <inheritdoc />
    public override string Name => "SGD";

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the momentum.</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, int offset, long step)
    {
        float negLr = -LearningRate;
        float wd = (float)WeightDecay;
        float momentum = (float)Momentum;
        float damp = (float)(1.0 - Dampening);
        // PyTorch's first momentum step copies d into the buffer instead of blending it with zeros.
        bool first = step == 1;
        bool nesterov = Nesterov;
        ref float p = ref MemoryMarshal.GetReference(values);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        int n = values.Length;
        int i = 0;

        if (_momentumBuffer is null)
        {
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector<float> pv = Vector.LoadUnsafe(ref p, (nuint)i);
                    Vector<float> d = Vector.LoadUnsafe(ref g, (nuint)i);
                    if (wd != 0f)
                        d = Vector.FusedMultiplyAdd(pv, new Vector<float>(wd), d);
                    Vector.FusedMultiplyAdd(d, new Vector<float>(negLr), pv).StoreUnsafe(ref p, (nuint)i);
                }
            }
            for (; i < n; i++)
            {
                ref float pi = ref Unsafe.Add(ref p, i);
                float d = Unsafe.Add(ref g, i);
                if (wd != 0f)
                    d = MathF.FusedMultiplyAdd(pi, wd, d);
                pi = MathF.FusedMultiplyAdd(d, negLr, pi);
            }
            return;
        }

        ref float b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_momentumBuffer), offset);
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> pv = Vector.LoadUnsafe(ref p, (nuint)i);
                Vector<float> d = Vector.LoadUnsafe(ref g, (nuint)i);
                if (wd != 0f)
                    d = Vector.FusedMultiplyAdd(pv, new Vector<float>(wd), d);
                Vector<float> buf = first
                    ? d
                    : Vector.FusedMultiplyAdd(d, new Vector<float>(damp), Vector.LoadUnsafe(ref b, (nuint)i) * momentum);
                buf.StoreUnsafe(ref b, (nuint)i);
                d = nesterov ? Vector.FusedMultiplyAdd(buf, new Vector<float>(momentum), d) : buf;
                Vector.FusedMultiplyAdd(d, new Vector<float>(negLr), pv).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            ref float pi = ref Unsafe.Add(ref p, i);
            ref float bi = ref Unsafe.Add(ref b, i);
            float d = Unsafe.Add(ref g, i);
            if (wd != 0f)
                d = MathF.FusedMultiplyAdd(pi, wd, d);
            bi = first ? d : MathF.FusedMultiplyAdd(d, damp, bi * momentum);
            d = nesterov ? MathF.FusedMultiplyAdd(bi, momentum, d) : bi;
            pi = MathF.FusedMultiplyAdd(d, negLr, pi);
        }
    }
}
