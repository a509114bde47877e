namespace RnnGen;

/// <summary>What one <see cref="Trainer{TInput, TTarget}"/> step did.</summary>
public readonly struct TrainerStepResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="loss">The batch loss returned by the training pass.</param>
    /// <param name="gradientNorm">L2 norm of all gradients before clipping.</param>
    /// <param name="skipped">Whether the optimiser step was skipped.</param>
    /// <param name="learningRate">Learning rate the step used (or would have used, when skipped).</param>
    public TrainerStepResult(float loss, float gradientNorm, bool skipped, float learningRate)
    {
        Loss = loss;
        GradientNorm = gradientNorm;
        Skipped = skipped;
        LearningRate = learningRate;
    }

    /// <summary>The batch loss returned by the training pass (mean over the batch's targets).</summary>
    public float Loss { get; }

    /// <summary>L2 norm of all gradients before clipping, as <c>clip_grad_norm_</c> returns it; non-finite when a gradient is.</summary>
    public float GradientNorm { get; }

    /// <summary>
    /// True when the loss or a gradient was NaN or infinite, so the optimiser step was skipped and the weights and
    /// optimiser state were left exactly as they were.
    /// </summary>
    public bool Skipped { get; }

    /// <summary>Learning rate the step used (or would have used, when skipped).</summary>
    public float LearningRate { get; }
}
