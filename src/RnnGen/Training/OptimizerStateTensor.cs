using System;

namespace RnnGen;

/// <summary>One named state buffer of an <see cref="Optimizer"/>, such as Adam's <c>exp_avg</c>.</summary>
public sealed class OptimizerStateTensor
{
    private readonly float[] _values;

    /// <summary>Creates a buffer holding a copy of <paramref name="values"/>, for example one read from a checkpoint.</summary>
    /// <param name="name">PyTorch's name for the buffer.</param>
    /// <param name="values">The buffer's contents.</param>
    public OptimizerStateTensor(string name, ReadOnlySpan<float> values)
        : this(name, values.ToArray())
    {
    }

    // Wraps the array without copying: an optimiser's own buffers are exposed live.
    internal OptimizerStateTensor(string name, float[] values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _values = values;
    }

    /// <summary>PyTorch's name for the buffer (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>, …).</summary>
    public string Name { get; }

    /// <summary>Number of values; equal to the parameter count.</summary>
    public int Length => _values.Length;

    /// <summary>The contents. For an optimiser's own buffer this is a live view that the next step changes.</summary>
    public ReadOnlySpan<float> Values => _values;

    internal Span<float> Buffer => _values;
}
