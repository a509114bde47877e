using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen;

/// <summary>
/// RMSprop (Hinton), optionally centred and with momentum, exactly as <c>torch.optim.RMSprop</c>:
/// <c>g += wd·p</c>; <c>s = α·s + (1-α)·g²</c>; centred: <c>a = α·a + (1-α)·g</c>, <c>avg = sqrt(s - a²) + eps</c>,
/// else <c>avg = sqrt(s) + eps</c>; with momentum <c>buf = momentum·buf + g/avg</c>, <c>p -= lr·buf</c>;
/// without, <c>p -= lr·g/avg</c>.
/// </summary>
public sealed class RMSprop : Optimizer
{
    private readonly float[] _squareAvg;
    private readonly float[]? _momentumBuffer;
    private readonly float[]? _gradAvg;

    /// <summary>Creates the optimiser with PyTorch's defaults.</summary>
    /// <param name="parameters">The parameter block to update.</param>
    /// <param name="learningRate">Learning rate; finite and >= 0.</param>
    /// <param name="alpha">Smoothing constant of the squared-gradient average; >= 0 (PyTorch's only bound).</param>
    /// <param name="epsilon">Added to the denominator; >= 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient; >= 0.</param>
    /// <param name="momentum">Momentum factor; >= 0. Zero keeps no momentum buffer.</param>
    /// <param name="centered">Normalise by the estimated variance instead of the uncentred second moment.</param>
    public RMSprop(RnnParameters parameters, float learningRate = 1e-2f, double alpha = 0.99, double epsilon = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(parameters, learningRate)
    {
        RequireNonNegative(epsilon, nameof(epsilon));
        RequireNonNegative(momentum, nameof(momentum));
        RequireNonNegative(weightDecay, nameof(weightDecay));
        RequireNonNegative(alpha, nameof(alpha));
        Alpha = alpha;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        Momentum = momentum;
        Centered = centered;
        _squareAvg = AddStateTensor("square_avg");
        if (momentum > 0)
            _momentumBuffer = AddStateTensor("momentum_buffer");
        if (centered)
            _gradAvg = AddStateTensor("grad_avg");
    }

    /// <inheritdoc />
    public override string Name => "RMSprop";

    /// <summary>Smoothing constant of the averages.</summary>
    public double Alpha { get; }

    /// <summary>Added to the denominator for stability.</summary>
    public double Epsilon { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Whether the centred variant is used.</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, int offset, long step)
    {
        float lr = LearningRate, negLr = -lr;
        float alpha = (float)Alpha, oneMinusAlpha = (float)(1.0 - Alpha);
        float eps = (float)Epsilon, wd = (float)WeightDecay, momentum = (float)Momentum;
        bool centered = _gradAvg is not null, useMomentum = _momentumBuffer is not null;
        ref float p = ref MemoryMarshal.GetReference(values);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float s = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_squareAvg), offset);
        // Absent buffers alias the square average; the flags guarantee they are never read or written.
        ref float a = ref centered ? ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_gradAvg!), offset) : ref s;
        ref float b = ref useMomentum ? ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_momentumBuffer!), offset) : ref s;
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
                Vector<float> sv = Vector.FusedMultiplyAdd(gv * oneMinusAlpha, gv, Vector.LoadUnsafe(ref s, (nuint)i) * alpha);
                sv.StoreUnsafe(ref s, (nuint)i);
                Vector<float> avg;
                if (centered)
                {
                    Vector<float> av = Vector.FusedMultiplyAdd(gv, new Vector<float>(oneMinusAlpha), Vector.LoadUnsafe(ref a, (nuint)i) * alpha);
                    av.StoreUnsafe(ref a, (nuint)i);
                    avg = Vector.SquareRoot(Vector.FusedMultiplyAdd(-av, av, sv));
                }
                else
                {
                    avg = Vector.SquareRoot(sv);
                }
                avg += new Vector<float>(eps);
                if (useMomentum)
                {
                    Vector<float> bv = Vector.LoadUnsafe(ref b, (nuint)i) * momentum + gv / avg;
                    bv.StoreUnsafe(ref b, (nuint)i);
                    pv = Vector.FusedMultiplyAdd(bv, new Vector<float>(negLr), pv);
                }
                else
                {
                    pv += gv * negLr / avg;
                }
                pv.StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            ref float pi = ref Unsafe.Add(ref p, i);
            float gi = Unsafe.Add(ref g, i);
            if (wd != 0f)
                gi = MathF.FusedMultiplyAdd(pi, wd, gi);
            float si = Unsafe.Add(ref s, i) = MathF.FusedMultiplyAdd(gi * oneMinusAlpha, gi, Unsafe.Add(ref s, i) * alpha);
            float avg;
            if (centered)
            {
                float ai = Unsafe.Add(ref a, i) = MathF.FusedMultiplyAdd(gi, oneMinusAlpha, Unsafe.Add(ref a, i) * alpha);
                avg = MathF.Sqrt(MathF.FusedMultiplyAdd(-ai, ai, si));
            }
            else
            {
                avg = MathF.Sqrt(si);
            }
            avg += eps;
            if (useMomentum)
            {
                float bi = Unsafe.Add(ref b, i) = Unsafe.Add(ref b, i) * momentum + gi / avg;
                pi = MathF.FusedMultiplyAdd(bi, negLr, pi);
            }
            else
            {
                pi += gi * negLr / avg;
            }
        }
    }
}
