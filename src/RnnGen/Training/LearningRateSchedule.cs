using System;

namespace RnnGen;

/// <summary>A learning rate as a function of the number of completed optimiser steps.</summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for the step that follows <paramref name="step"/> completed steps.</summary>
    /// <param name="step">Completed steps (PyTorch's <c>last_epoch</c> when the scheduler is stepped once per optimiser step); >= 0.</param>
    public abstract float GetLearningRate(long step);

    /// <summary>Sets <see cref="Optimizer.LearningRate"/> for the optimiser's next step from its <see cref="Optimizer.StepCount"/>.</summary>
    /// <param name="optimizer">The optimiser to update.</param>
    public void Apply(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.LearningRate = GetLearningRate(optimizer.StepCount);
    }

    /// <summary>Throws unless a rate or factor is finite and non-negative.</summary>
    private protected static void RequireNonNegative(float value, string paramName)
    {
        if (!float.IsFinite(value) || value < 0f)
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be finite and >= 0.");
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.StepLR</c>: the rate is multiplied by <c>gamma</c> every <c>stepSize</c> steps,
/// in its closed form <c>baseLr · gamma^⌊step / stepSize⌋</c> computed in double.
/// </summary>
public sealed class StepLR : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">Rate at step 0; finite and >= 0.</param>
    /// <param name="stepSize">Steps between decays; > 0.</param>
    /// <param name="gamma">Factor applied at each decay; finite and >= 0.</param>
    public StepLR(float baseLr, int stepSize, float gamma = 0.1f)
    {
        RequireNonNegative(baseLr, nameof(baseLr));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        RequireNonNegative(gamma, nameof(gamma));
        BaseLr = baseLr;
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Rate at step 0.</summary>
    public float BaseLr { get; }

    /// <summary>Steps between decays.</summary>
    public int StepSize { get; }

    /// <summary>Factor applied at each decay.</summary>
    public float Gamma { get; }

    /// <inheritdoc />
    public override float GetLearningRate(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return (float)(BaseLr * Math.Pow(Gamma, step / StepSize));
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.ExponentialLR</c>: the rate is multiplied by <c>gamma</c> every step, in its closed
/// form <c>baseLr · gamma^step</c> computed in double.
/// </summary>
public sealed class ExponentialLR : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">Rate at step 0; finite and >= 0.</param>
    /// <param name="gamma">Factor applied every step; finite and >= 0.</param>
    public ExponentialLR(float baseLr, float gamma)
    {
        RequireNonNegative(baseLr, nameof(baseLr));
        RequireNonNegative(gamma, nameof(gamma));
        BaseLr = baseLr;
        Gamma = gamma;
    }

    /// <summary>Rate at step 0.</summary>
    public float BaseLr { get; }

    /// <summary>Factor applied every step.</summary>
    public float Gamma { get; }

    /// <inheritdoc />
    public override float GetLearningRate(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return (float)(BaseLr * Math.Pow(Gamma, step));
    }
}

/// <summary>
/// Linear warm-up followed by cosine decay, the usual schedule for Adam-trained sequence models.
/// Steps <c>0 … warmupSteps-1</c> use <c>baseLr · (step + 1) / warmupSteps</c>, so the first update already moves
/// and the last warm-up step reaches <c>baseLr</c>; from <c>warmupSteps</c> to <c>totalSteps</c> the rate follows
/// <c>minLr + (baseLr - minLr) · (1 + cos(π · progress)) / 2</c>; after <c>totalSteps</c> it stays at <c>minLr</c>.
/// </summary>
public sealed class CosineWithWarmup : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">Peak rate, reached at the end of warm-up; finite and >= 0.</param>
    /// <param name="warmupSteps">Warm-up length; >= 0 and less than <paramref name="totalSteps"/>.</param>
    /// <param name="totalSteps">Step at which the decay reaches <paramref name="minLr"/>; > 0.</param>
    /// <param name="minLr">Final rate; in [0, <paramref name="baseLr"/>].</param>
    public CosineWithWarmup(float baseLr, long warmupSteps, long totalSteps, float minLr = 0f)
    {
        RequireNonNegative(baseLr, nameof(baseLr));
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (warmupSteps >= totalSteps)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"warmupSteps must be less than totalSteps ({totalSteps}).");
        if (!(minLr >= 0f && minLr <= baseLr))
            throw new ArgumentOutOfRangeException(nameof(minLr), minLr, $"minLr must be in [0, baseLr] = [0, {baseLr}].");
        BaseLr = baseLr;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        MinLr = minLr;
    }

    /// <summary>Peak rate.</summary>
    public float BaseLr { get; }

    /// <summary>Warm-up length.</summary>
    public long WarmupSteps { get; }

    /// <summary>Step at which the decay ends.</summary>
    public long TotalSteps { get; }

    /// <summary>Final rate.</summary>
    public float MinLr { get; }

    /// <inheritdoc />
    public override float GetLearningRate(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return (float)((double)BaseLr * (step + 1) / WarmupSteps);
        if (step >= TotalSteps)
            return MinLr;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return (float)(MinLr + ((double)BaseLr - MinLr) * 0.5 * (1.0 + Math.Cos(Math.PI * progress)));
    }
}
