using System;
using System.Collections.Generic;

namespace RnnGen;

/// <summary>
/// Updates one <see cref="RnnParameters"/> block from its gradient block, with PyTorch's <c>torch.optim</c> update
/// formulas (1.13, <c>foreach=False</c>, <c>maximize=False</c>). Every update runs over the whole contiguous block in
/// one vectorised pass and allocates nothing; state buffers are allocated once, in the constructor.
/// </summary>
/// <remarks>
/// Hyper-parameters are doubles, as PyTorch's are (Python floats), and each derived scalar (for example
/// <c>1 - beta1</c> or <c>lr / bias_correction1</c>) is computed in double and rounded to float32 only where a
/// kernel uses it, as PyTorch does; elementwise work follows PyTorch's float32 operation order, including the fused
/// multiply-adds of its AVX2 kernels. The learning rate is a float; a PyTorch learning rate that is not a float32 value
/// (such as 1e-3) can therefore round a scalar one ulp differently.
/// </remarks>
public abstract class Optimizer
{
    private readonly List<OptimizerStateTensor> _state = new();
    private float _learningRate;

    /// <summary>Binds the optimiser to a parameter block.</summary>
    /// <param name="parameters">The block whose <see cref="RnnParameters.Values"/> are updated from its <see cref="RnnParameters.Gradients"/>.</param>
    /// <param name="learningRate">Initial learning rate; finite and non-negative.</param>
    protected Optimizer(RnnParameters parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters;
        if (!float.IsFinite(learningRate) || learningRate < 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and >= 0.");
        _learningRate = learningRate;
    }

    /// <summary>PyTorch's class name for this optimiser, for example <c>Adam</c>; checkpoints record it.</summary>
    public abstract string Name { get; }

    /// <summary>The parameter block this optimiser updates.</summary>
    public RnnParameters Parameters { get; }

    /// <summary>Learning rate used by the next <see cref="Step"/>; schedules set it between steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, infinite or NaN.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!float.IsFinite(value) || value < 0f)
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be finite and >= 0.");
            _learningRate = value;
        }
    }

    /// <summary>Number of completed steps (PyTorch's per-parameter <c>step</c>).</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// Live, read-only views of every state buffer, named as in PyTorch's optimiser <c>state_dict</c>
    /// (<c>exp_avg</c>, <c>momentum_buffer</c>, …), each as long as the parameter block. Together with
    /// <see cref="StepCount"/> and <see cref="LearningRate"/> they are the optimiser's whole state.
    /// </summary>
    public IReadOnlyList<OptimizerStateTensor> StateTensors => _state;

    /// <summary>
    /// Applies one update from the current gradients and increments <see cref="StepCount"/>. Inside a
    /// <see cref="Kernels.KernelThreading.Enable"/> scope an elementwise optimiser updates a large block as one range
    /// per thread; every element is computed the same way, so the result is bit-identical to one thread's.
    /// </summary>
    public unsafe void Step()
    {
        long step = StepCount + 1;
        Span<float> values = Parameters.Values;
        if (UpdatesElementwise)
        {
            fixed (float* valuesPointer = values)
            fixed (float* gradientsPointer = Parameters.Gradients)
            {
                var job = new UpdateJob { Optimizer = this, Values = valuesPointer, Gradients = gradientsPointer, StepNumber = step };
                Kernels.KernelThreading.ForEachRange(ref job, values.Length);
            }
        }
        else
        {
            Update(values, Parameters.Gradients, 0, step);
        }
        StepCount = step;
    }

    /// <summary>
    /// Whether <see cref="Update"/> is elementwise, so that <see cref="Step"/> may split the block into ranges across
    /// threads. Every built-in optimiser is. An optimiser whose update needs the whole block at once (a per-tensor
    /// norm, for example) returns <see langword="false"/>, and <see cref="Step"/> then calls <see cref="Update"/> once,
    /// on the calling thread, with the whole block and an offset of 0.
    /// </summary>
    protected virtual bool UpdatesElementwise => true;

    /// <summary>Copies the whole state (step count, learning rate and every state buffer) into a snapshot.</summary>
    public OptimizerState CaptureState() => new(Name, StepCount, LearningRate, _state);

    /// <summary>
    /// Restores a snapshot taken by <see cref="CaptureState"/> or read from a checkpoint. Everything is validated
    /// before anything is written, so a mismatched snapshot leaves the optimiser untouched.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The snapshot is for another optimiser, lacks or adds a state buffer, or a buffer has the wrong length.
    /// </exception>
    public void RestoreState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.OptimizerName != Name)
            throw new ArgumentException($"The state is for optimiser '{state.OptimizerName}'; expected '{Name}'.", nameof(state));
        if (state.Tensors.Count != _state.Count)
            throw new ArgumentException(
                $"The state has {state.Tensors.Count} buffers; expected {_state.Count} ({StateNames()}).", nameof(state));
        foreach (OptimizerStateTensor own in _state)
        {
            OptimizerStateTensor source = state.Find(own.Name)
                ?? throw new ArgumentException($"The state lacks buffer '{own.Name}'; expected {StateNames()}.", nameof(state));
            if (source.Length != own.Length)
                throw new ArgumentException(
                    $"State buffer '{own.Name}' has {source.Length} values; expected {own.Length}.", nameof(state));
        }
        foreach (OptimizerStateTensor own in _state)
            state.Find(own.Name)!.Values.CopyTo(own.Buffer);
        StepCount = state.StepCount;
        LearningRate = state.LearningRate;
    }

    /// <summary>Allocates a state buffer as long as the parameter block; call from the constructor only.</summary>
    /// <param name="name">PyTorch's name for the buffer.</param>
    /// <param name="initialValue">Value every element starts with.</param>
    /// <returns>The buffer, which the optimiser keeps and updates in place.</returns>
    protected float[] AddStateTensor(string name, float initialValue = 0f)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var buffer = new float[Parameters.Count];
        if (initialValue != 0f)
            buffer.AsSpan().Fill(initialValue);
        _state.Add(new OptimizerStateTensor(name, buffer));
        return buffer;
    }

    /// <summary>
    /// Updates one range of the parameter block in place from the same range of the gradient block. <see cref="Step"/>
    /// may call this for disjoint ranges at once, on different threads, so an update must be elementwise: element i
    /// of the range reads and writes only element <paramref name="offset"/> + i of the parameter, gradient and state
    /// buffers (or the optimiser overrides <see cref="UpdatesElementwise"/> to get the whole block in one call).
    /// </summary>
    /// <param name="values">The range of the parameter block, starting at <paramref name="offset"/>.</param>
    /// <param name="gradients">The same range of the gradient block.</param>
    /// <param name="offset">Index of the range's first element in the block and in every state buffer.</param>
    /// <param name="step">The 1-based number of this step (PyTorch's <c>step</c> after its increment).</param>
    protected abstract void Update(Span<float> values, ReadOnlySpan<float> gradients, int offset, long step);

    /// <summary>Throws unless <paramref name="value"/> is finite and non-negative, as PyTorch requires of most hyper-parameters.</summary>
    private protected static void RequireNonNegative(double value, string paramName)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be finite and >= 0.");
    }

    /// <summary>Throws unless 0 &lt;= <paramref name="value"/> &lt; 1, PyTorch's rule for Adam's betas.</summary>
    private protected static void RequireUnitInterval(double value, string paramName)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be in [0, 1).");
    }

    private unsafe struct UpdateJob : Kernels.KernelThreading.IRangeJob
    {
        public Optimizer Optimizer;
        public float* Values;
        public float* Gradients;
        public long StepNumber;

        public void RunRange(int start, int length) =>
            Optimizer.Update(new Span<float>(Values + start, length), new ReadOnlySpan<float>(Gradients + start, length), start, StepNumber);
    }

    private string StateNames()
    {
        if (_state.Count == 0)
            return "none";
        var names = new string[_state.Count];
        for (int i = 0; i < names.Length; i++)
            names[i] = "'" + _state[i].Name + "'";
        return string.Join(", ", names);
    }
}
