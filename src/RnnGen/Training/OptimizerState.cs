using System;
using System.Collections.Generic;

namespace RnnGen;

/// <summary>
/// A self-contained copy of an optimiser's whole state: what a checkpoint stores. Write <see cref="OptimizerName"/>,
/// <see cref="StepCount"/>, <see cref="LearningRate"/> and each tensor by its <see cref="OptimizerStateTensor.Name"/>;
/// to resume, rebuild it with the constructor and pass it to <see cref="Optimizer.RestoreState"/>.
/// </summary>
public sealed class OptimizerState
{
    private readonly OptimizerStateTensor[] _tensors;

    /// <summary>Creates a snapshot; the tensors' contents are copied.</summary>
    /// <param name="optimizerName">The optimiser's <see cref="Optimizer.Name"/>, for example <c>Adam</c>.</param>
    /// <param name="stepCount">Completed steps; >= 0.</param>
    /// <param name="learningRate">Learning rate; finite and >= 0.</param>
    /// <param name="tensors">State buffers with distinct names.</param>
    public OptimizerState(string optimizerName, long stepCount, float learningRate, IReadOnlyList<OptimizerStateTensor> tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(optimizerName);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        if (!float.IsFinite(learningRate) || learningRate < 0f)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and >= 0.");
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = new OptimizerStateTensor[tensors.Count];
        for (int i = 0; i < _tensors.Length; i++)
        {
            OptimizerStateTensor tensor = tensors[i] ?? throw new ArgumentException($"State tensor {i} is null.", nameof(tensors));
            for (int j = 0; j < i; j++)
            {
                if (_tensors[j].Name == tensor.Name)
                    throw new ArgumentException($"State tensor name '{tensor.Name}' appears twice.", nameof(tensors));
            }
            _tensors[i] = new OptimizerStateTensor(tensor.Name, tensor.Values);
        }
        OptimizerName = optimizerName;
        StepCount = stepCount;
        LearningRate = learningRate;
    }

    /// <summary>PyTorch's class name of the optimiser the state belongs to.</summary>
    public string OptimizerName { get; }

    /// <summary>Completed steps.</summary>
    public long StepCount { get; }

    /// <summary>Learning rate at the time of the snapshot.</summary>
    public float LearningRate { get; }

    /// <summary>The state buffers, in the optimiser's order.</summary>
    public IReadOnlyList<OptimizerStateTensor> Tensors => _tensors;

    internal OptimizerStateTensor? Find(string name)
    {
        foreach (OptimizerStateTensor tensor in _tensors)
        {
            if (tensor.Name == name)
                return tensor;
        }
        return null;
    }
}
