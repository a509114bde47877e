using System;

namespace RnnGen;

/// <summary>How a parameter tensor is initialised by <see cref="RnnParameters.InitializeDefault"/>.</summary>
public enum ParameterRole
{
    /// <summary>Input-to-hidden weight of a recurrent layer (<c>weight_ih_l{k}</c>): PyTorch U(±1/√H).</summary>
    InputWeight = 0,
    /// <summary>Hidden-to-hidden weight of a recurrent layer (<c>weight_hh_l{k}</c>): PyTorch U(±1/√H).</summary>
    RecurrentWeight = 1,
    /// <summary>Bias of a recurrent layer (<c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>): PyTorch U(±1/√H).</summary>
    RecurrentBias = 2,
    /// <summary>Weight of a linear layer: PyTorch U(±1/√fan_in) (kaiming_uniform with a=√5).</summary>
    LinearWeight = 3,
    /// <summary>Bias of a linear layer: PyTorch U(±1/√fan_in).</summary>
    LinearBias = 4,
    /// <summary>Embedding table: PyTorch N(0, 1).</summary>
    Embedding = 5,
}

/// <summary>
/// One named tensor inside a <see cref="RnnParameters"/> block: its PyTorch <c>state_dict</c> name, shape, and
/// position in the contiguous value and gradient arrays.
/// </summary>
public sealed class ParameterTensor
{
    private readonly int[] _shape;

    /// <summary>Describes a tensor.</summary>
    /// <param name="name">PyTorch <c>state_dict</c> name, for example <c>weight_ih_l0</c>.</param>
    /// <param name="shape">Row-major shape, PyTorch's.</param>
    /// <param name="offset">First element in the parameter block.</param>
    /// <param name="role">What the tensor is, which decides its default initialisation.</param>
    /// <param name="initBound">Bound <c>a</c> of the default U(-a, a) initialisation (ignored for embeddings).</param>
    public ParameterTensor(string name, int[] shape, int offset, ParameterRole role, float initBound)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (shape.Length == 0)
            throw new ArgumentException($"Tensor '{name}' must have at least one dimension.", nameof(shape));
        long length = 1;
        foreach (int dim in shape)
        {
            if (dim <= 0)
                throw new ArgumentException($"Tensor '{name}' has a non-positive dimension {dim}.", nameof(shape));
            length *= dim;
        }
        if (length > int.MaxValue)
            throw new ArgumentException($"Tensor '{name}' has more than {int.MaxValue} elements.", nameof(shape));
        if (!float.IsFinite(initBound))
            throw new ArgumentOutOfRangeException(nameof(initBound), initBound, $"Tensor '{name}' needs a finite initialisation bound a for U(-a, a); a = 0 gives zeros.");
        Name = name;
        _shape = (int[])shape.Clone();
        Offset = offset;
        Length = (int)length;
        Role = role;
        InitBound = initBound;
    }

    /// <summary>PyTorch <c>state_dict</c> name.</summary>
    public string Name { get; }

    /// <summary>Row-major shape, PyTorch's.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>First element in the parameter block.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>What the tensor is.</summary>
    public ParameterRole Role { get; }

    /// <summary>Bound of the default uniform initialisation.</summary>
    public float InitBound { get; }

    /// <summary>The shape written as PyTorch prints it, for example <c>[256, 32]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", _shape) + "]";

    /// <inheritdoc />
    public override string ToString() => Name + " " + ShapeText;
}
