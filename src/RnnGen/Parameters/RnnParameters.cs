using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Threading;

namespace RnnGen;

/// <summary>
/// All parameters of one model in one contiguous block, with a gradient block of the same layout.
/// Tensors are addressed by their PyTorch <c>state_dict</c> names. Optimisers, clipping and weight files work over
/// the whole block at once.
/// </summary>
public sealed class RnnParameters
{
    private readonly float[] _values;
    private readonly float[] _gradients;
    private readonly ParameterTensor[] _tensors;
    private readonly Dictionary<string, ParameterTensor> _byName;
    private long _version;

    /// <summary>Allocates zeroed value and gradient blocks for the given layout.</summary>
    /// <param name="tensors">Tensors in block order; they must tile the block without gaps or overlap.</param>
    public RnnParameters(IReadOnlyList<ParameterTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("A parameter block needs at least one tensor.", nameof(tensors));
        _tensors = new ParameterTensor[tensors.Count];
        _byName = new Dictionary<string, ParameterTensor>(tensors.Count, StringComparer.Ordinal);
        int next = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            ParameterTensor tensor = tensors[i] ?? throw new ArgumentException($"Tensor {i} is null.", nameof(tensors));
            if (tensor.Offset != next)
                throw new ArgumentException($"Tensor '{tensor.Name}' starts at {tensor.Offset}; expected {next} so the block has no gaps.", nameof(tensors));
            if (!_byName.TryAdd(tensor.Name, tensor))
                throw new ArgumentException($"Tensor name '{tensor.Name}' appears twice.", nameof(tensors));
            _tensors[i] = tensor;
            if ((long)next + tensor.Length > Array.MaxLength)
                throw new ArgumentException($"The tensors hold more than {Array.MaxLength} floats together, more than one array can; '{tensor.Name}' ends at {(long)next + tensor.Length}.", nameof(tensors));
            next += tensor.Length;
        }
        _values = new float[next];
        _gradients = new float[next];
    }

    /// <summary>Total number of scalar parameters.</summary>
    public int Count => _values.Length;

    /// <summary>The tensors, in block order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => _tensors;

    /// <summary>The whole value block, writable.</summary>
    /// <remarks>
    /// Every call advances <see cref="Version"/>, because the caller may write through the span; kernels that keep a
    /// packed copy of the weights repack on their next use. Read through <see cref="ReadOnlyValues"/> to avoid that.
    /// A span kept and written after later model calls needs <see cref="MarkValuesChanged"/>.
    /// </remarks>
    public Span<float> Values
    {
        get
        {
            MarkValuesChanged();
            return _values;
        }
    }

    /// <summary>The whole value block, read-only; reading does not advance <see cref="Version"/>.</summary>
    public ReadOnlySpan<float> ReadOnlyValues => _values;

    /// <summary>
    /// Advances whenever the values may have changed: on every <see cref="Values"/> or <see cref="GetValues"/> call,
    /// initialisation, copy, load and optimiser step. Packed weight copies compare it to decide whether to repack.
    /// </summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>
    /// Declares that the values changed behind a span obtained earlier, so packed weight copies are rebuilt before
    /// their next use.
    /// </summary>
    public void MarkValuesChanged() => Interlocked.Increment(ref _version);

    /// <summary>The whole gradient block, laid out like <see cref="Values"/>.</summary>
    public Span<float> Gradients => _gradients;

    /// <summary>Finds a tensor by its PyTorch name.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public ParameterTensor this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            return _byName.TryGetValue(name, out ParameterTensor? tensor)
                ? tensor
                : throw new KeyNotFoundException($"The model has no parameter '{name}'. Known: {string.Join(", ", _byName.Keys)}.");
        }
    }

    /// <summary>Tries to find a tensor by its PyTorch name.</summary>
    public bool TryGetTensor(string name, out ParameterTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        bool found = _byName.TryGetValue(name, out ParameterTensor? t);
        tensor = t!;
        return found;
    }

    /// <summary>The values of one tensor.</summary>
    public Span<float> GetValues(string name)
    {
        ParameterTensor t = this[name];
        MarkValuesChanged();
        return _values.AsSpan(t.Offset, t.Length);
    }

    /// <summary>The gradient of one tensor.</summary>
    public Span<float> GetGradients(string name)
    {
        ParameterTensor t = this[name];
        return _gradients.AsSpan(t.Offset, t.Length);
    }

    /// <summary>
    /// Sets every gradient to zero, ready for the next accumulation; inside a
    /// <see cref="Kernels.KernelThreading.Enable"/> scope, one range per thread.
    /// </summary>
    public unsafe void ZeroGradients()
    {
        fixed (float* gradients = _gradients)
        {
            var job = new ClearJob { Values = gradients };
            Kernels.KernelThreading.ForEachRange(ref job, _gradients.Length);
        }
    }

    /// <summary>Global L2 norm of the gradient block.</summary>
    public float GradientNorm() => TensorPrimitives.Norm<float>(_gradients);

    /// <summary>
    /// PyTorch's default initialisation, drawn from a seeded generator so the same seed always gives the same
    /// weights: recurrent weights and biases U(±1/√H), linear layers U(±1/√fan_in), embeddings N(0, 1).
    /// </summary>
    public void InitializeDefault(ulong seed)
    {
        var random = new RnnRandom(seed);
        foreach (ParameterTensor tensor in _tensors)
        {
            Span<float> values = _values.AsSpan(tensor.Offset, tensor.Length);
            if (tensor.Role == ParameterRole.Embedding)
                random.FillNormal(values, 0f, 1f);
            else
                random.FillUniform(values, -tensor.InitBound, tensor.InitBound);
        }
        MarkValuesChanged();
    }

    /// <summary>Copies all values from another block of the same layout.</summary>
    public void CopyValuesFrom(RnnParameters source)
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireSameLayout(source, nameof(source));
        source._values.AsSpan().CopyTo(_values);
        MarkValuesChanged();
    }

    internal void RequireSameLayout(RnnParameters other, string parameterName)
    {
        if (other._tensors.Length != _tensors.Length)
            throw new ArgumentException($"Parameter layouts differ: {other._tensors.Length} tensors vs {_tensors.Length}.", parameterName);
        for (int i = 0; i < _tensors.Length; i++)
        {
            if (other._tensors[i].Name != _tensors[i].Name || !other._tensors[i].Shape.SequenceEqual(_tensors[i].Shape))
                throw new ArgumentException($"Parameter layouts differ at tensor {i}: {other._tensors[i]} vs {_tensors[i]}.", parameterName);
        }
    }

    private unsafe struct ClearJob : Kernels.KernelThreading.IRangeJob
    {
        public float* Values;

        public void RunRange(int start, int length) => new Span<float>(Values + start, length).Clear();
    }
}
