using System;
using System.Globalization;

namespace RnnGen;

/// <summary>How a <see cref="Trainer{TInput, TTarget}"/> clips gradients before each optimiser step.</summary>
public enum TrainerClipMode
{
    /// <summary>No clipping.</summary>
    None,

    /// <summary><c>clip_grad_norm_</c>: scale all gradients so their L2 norm is at most the threshold.</summary>
    GlobalNorm,

    /// <summary><c>clip_grad_value_</c>: clamp every gradient to [-threshold, threshold].</summary>
    Value,
}

/// <summary>
/// A gradient-clipping rule for <see cref="Trainer{TInput, TTarget}.Clipping"/>: none, by global norm or by value.
/// One rule at a time, so the order of two clippings is never a question.
/// </summary>
public readonly struct TrainerClipping : IEquatable<TrainerClipping>
{
    private TrainerClipping(TrainerClipMode mode, float threshold)
    {
        Mode = mode;
        Threshold = threshold;
    }

    /// <summary>No clipping (the default value).</summary>
    public static TrainerClipping None => default;

    /// <summary>The rule.</summary>
    public TrainerClipMode Mode { get; }

    /// <summary>The maximum norm or the maximum magnitude; 0 for <see cref="TrainerClipMode.None"/>.</summary>
    public float Threshold { get; }

    /// <summary>Clip by global L2 norm, as <c>torch.nn.utils.clip_grad_norm_(parameters, maxNorm)</c>.</summary>
    /// <param name="maxNorm">Largest allowed norm; finite and >= 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative, infinite or NaN.</exception>
    public static TrainerClipping ByGlobalNorm(float maxNorm)
    {
        if (!float.IsFinite(maxNorm) || maxNorm < 0f)
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be finite and >= 0.");
        return new TrainerClipping(TrainerClipMode.GlobalNorm, maxNorm);
    }

    /// <summary>Clip every gradient to [-<paramref name="clipValue"/>, <paramref name="clipValue"/>], as <c>torch.nn.utils.clip_grad_value_</c>.</summary>
    /// <param name="clipValue">Largest allowed magnitude; finite and >= 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative, infinite or NaN.</exception>
    public static TrainerClipping ByValue(float clipValue)
    {
        if (!float.IsFinite(clipValue) || clipValue < 0f)
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clipValue must be finite and >= 0.");
        return new TrainerClipping(TrainerClipMode.Value, clipValue);
    }

    /// <inheritdoc />
    public bool Equals(TrainerClipping other) => Mode == other.Mode && Threshold.Equals(other.Threshold);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TrainerClipping other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Mode, Threshold);

    /// <summary>Whether two rules are the same.</summary>
    public static bool operator ==(TrainerClipping left, TrainerClipping right) => left.Equals(right);

    /// <summary>Whether two rules differ.</summary>
    public static bool operator !=(TrainerClipping left, TrainerClipping right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() =>
        Mode == TrainerClipMode.None ? "None" : string.Create(CultureInfo.InvariantCulture, $"{Mode}({Threshold})");
}
