using System;
using System.Numerics.Tensors;

namespace RnnGen.Inference;

/// <summary>
/// Picks the next token from a softmax head's output: greedy, plain sampling, temperature and top-k, all seeded
/// through a caller-owned <see cref="RnnRandom"/> and allocation-free.
/// </summary>
/// <remarks>
/// Every method takes <em>probabilities</em>, because that is what a generated model's <c>Step</c> and <c>Forward</c>
/// write for a softmax head. They need not sum to exactly 1 (they are renormalised), but must be finite and not
/// negative, with a positive sum. Temperature is applied as <c>p^(1/T)</c> renormalised, which is exactly
/// <c>softmax(logits / T)</c>; it is computed as <c>exp((ln p − ln p_max) / T)</c> so small temperatures cannot
/// underflow every weight to zero. A token whose probability is 0 is never returned by a sampling method.
/// </remarks>
public static class Sampling
{
    /// <summary>The most likely token; the lowest index wins a tie. Logits give the same answer as their softmax.</summary>
    /// <param name="probabilities">One score per token; not empty, no NaN.</param>
    /// <returns>The index of the largest score.</returns>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty or holds a NaN.</exception>
    public static int Greedy(ReadOnlySpan<float> probabilities)
    {
        if (probabilities.IsEmpty)
            throw new ArgumentException($"'{nameof(probabilities)}' must have length 1 or more but is empty.", nameof(probabilities));
        int best = 0;
        float bestValue = probabilities[0];
        for (int i = 0; i < probabilities.Length; i++)
        {
            float value = probabilities[i];
            if (float.IsNaN(value))
                ThrowNaN(i, value);
            // Strictly greater keeps the first of equal maxima.
            if (value > bestValue)
            {
                best = i;
                bestValue = value;
            }
        }
        return best;
    }

    /// <summary>Draws a token with probability proportional to <paramref name="probabilities"/>.</summary>
    /// <param name="probabilities">One non-negative, finite weight per token, with a positive sum.</param>
    /// <param name="random">The generator; advanced by one draw.</param>
    /// <returns>The drawn index.</returns>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty, holds a negative or non-finite value, or sums to 0.</exception>
    public static int Sample(ReadOnlySpan<float> probabilities, ref RnnRandom random)
    {
        double total = Validate(probabilities, out _);
        return Draw(probabilities, total, ref random);
    }

    /// <summary>Draws a token from <paramref name="probabilities"/> sharpened (<c>T &lt; 1</c>) or flattened (<c>T &gt; 1</c>) by a temperature.</summary>
    /// <param name="probabilities">One non-negative, finite weight per token, with a positive sum.</param>
    /// <param name="temperature">T &gt; 0 and finite; 1 samples the distribution as it is, and T → 0 approaches <see cref="Greedy"/>.</param>
    /// <param name="random">The generator; advanced by one draw.</param>
    /// <param name="scratch">Receives the unnormalised tempered weights; length <c>probabilities.Length</c>, not overlapping <paramref name="probabilities"/>.</param>
    /// <returns>The drawn index.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is invalid, or <paramref name="scratch"/> has the wrong length or overlaps it.</exception>
    public static int SampleWithTemperature(ReadOnlySpan<float> probabilities, float temperature, ref RnnRandom random, Span<float> scratch)
    {
        ValidateTemperature(temperature);
        ValidateScratch(probabilities, scratch);
        Validate(probabilities, out _);

        // ln 0 = −∞ and exp(−∞) = 0, so impossible tokens stay impossible. Subtracting the largest computed log (not
        // MathF.Log of the largest p, which may differ from the vectorised log by an ulp) leaves the most likely
        // token at exactly exp(0) = 1, however small T is.
        TensorPrimitives.Log(probabilities, scratch);
        TensorPrimitives.Subtract(scratch, TensorPrimitives.Max(scratch), scratch);
        TensorPrimitives.Multiply(scratch, InverseTemperature(temperature), scratch);
        TensorPrimitives.Exp(scratch, scratch);
        return Draw(scratch, Sum(scratch), ref random);
    }

    /// <summary>Draws a token from the <paramref name="k"/> most likely, after applying a temperature to them.</summary>
    /// <param name="probabilities">One non-negative, finite weight per token, with a positive sum.</param>
    /// <param name="k">How many of the most likely tokens may be drawn, 1 to <c>probabilities.Length</c>; ties at the cut keep the lower indices.</param>
    /// <param name="temperature">T &gt; 0 and finite; 1 leaves the kept probabilities as they are.</param>
    /// <param name="random">The generator; advanced by one draw.</param>
    /// <param name="scratch">Working memory; length <c>probabilities.Length</c>, not overlapping <paramref name="probabilities"/>.</param>
    /// <returns>The drawn index; always one of the top <paramref name="k"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside <c>[1, probabilities.Length]</c>, or <paramref name="temperature"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is invalid, or <paramref name="scratch"/> has the wrong length or overlaps it.</exception>
    public static int SampleTopK(ReadOnlySpan<float> probabilities, int k, float temperature, ref RnnRandom random, Span<float> scratch)
    {
        ValidateTemperature(temperature);
        ValidateScratch(probabilities, scratch);
        Validate(probabilities, out float max);
        if (k < 1 || k > probabilities.Length)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"'{nameof(k)}' must be in [1, {probabilities.Length}] (probabilities.Length).");

        probabilities.CopyTo(scratch);
        float cut = KthLargest(scratch, k);
        int above = 0;
        foreach (float p in probabilities)
        {
            if (p > cut)
                above++;
        }

        // Keep everything above the cut plus the first (k − above) entries equal to it, then temper the kept ones.
        int tiesLeft = k - above;
        float logMax = MathF.Log(max);
        float inverseTemperature = InverseTemperature(temperature);
        for (int i = 0; i < probabilities.Length; i++)
        {
            float p = probabilities[i];
            bool keep = p > cut || (p == cut && tiesLeft-- > 0);
            scratch[i] = keep ? MathF.Exp((MathF.Log(p) - logMax) * inverseTemperature) : 0f;
        }
        return Draw(scratch, Sum(scratch), ref random);
    }

    // Checks every weight and returns their sum (in double, so long vocabularies lose no precision) and maximum.
    private static double Validate(ReadOnlySpan<float> probabilities, out float max)
    {
        if (probabilities.IsEmpty)
            throw new ArgumentException($"'{nameof(probabilities)}' must have length 1 or more but is empty.", nameof(probabilities));
        double total = 0;
        max = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            float p = probabilities[i];
            if (!(p >= 0) || float.IsPositiveInfinity(p))
                throw new ArgumentException(
                    $"'{nameof(probabilities)}[{i}]' = {p} must be finite and 0 or more.", nameof(probabilities));
            total += p;
            max = Math.Max(max, p);
        }
        if (total <= 0)
            throw new ArgumentException($"'{nameof(probabilities)}' must have a positive sum but every entry is 0.", nameof(probabilities));
        return total;
    }

    private static void ValidateTemperature(float temperature)
    {
        if (!(temperature > 0) || float.IsPositiveInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"'{nameof(temperature)}' must be finite and greater than 0.");
    }

    private static void ValidateScratch(ReadOnlySpan<float> probabilities, Span<float> scratch)
    {
        if (scratch.Length != probabilities.Length)
            throw new ArgumentException(
                $"'{nameof(scratch)}' must have length {probabilities.Length} (probabilities.Length) but has length {scratch.Length}.", nameof(scratch));
        if (probabilities.Overlaps(scratch))
            throw new ArgumentException($"'{nameof(scratch)}' must not overlap '{nameof(probabilities)}'.", nameof(scratch));
    }

    // Below T ≈ 2.9e-39, 1/T overflows and 0 × ∞ would turn the maximum's weight into NaN. Clamping changes nothing
    // else: any log-ratio below −1e-38 already maps to exp(−∞) = 0, so the draw is greedy either way.
    private static float InverseTemperature(float temperature) => Math.Min(1f / temperature, float.MaxValue);

    private static double Sum(ReadOnlySpan<float> weights)
    {
        double total = 0;
        foreach (float w in weights)
            total += w;
        return total;
    }

    // Inverse-CDF draw. A zero weight never satisfies "cumulative > u" on its own, so it is never returned; if
    // rounding leaves u at or past the last cumulative value, the last positive weight takes the draw.
    private static int Draw(ReadOnlySpan<float> weights, double total, ref RnnRandom random)
    {
        double u = random.NextDouble() * total;
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (w <= 0)
                continue;
            cumulative += w;
            if (cumulative > u)
                return i;
            last = i;
        }
        return last;
    }

    // The k-th largest value (k from 1), by quickselect with a three-way partition so runs of equal values (such as
    // many zero probabilities) stay linear. Reorders values.
    private static float KthLargest(Span<float> values, int k)
    {
        int target = k - 1;
        int lo = 0, hi = values.Length - 1;
        while (true)
        {
            float pivot = MedianOfThree(values[lo], values[lo + (hi - lo) / 2], values[hi]);
            // Descending: [lo, lt) > pivot, [lt, gt] == pivot, (gt, hi] < pivot.
            int lt = lo, i = lo, gt = hi;
            while (i <= gt)
            {
                float v = values[i];
                if (v > pivot)
                {
                    values[i++] = values[lt];
                    values[lt++] = v;
                }
                else if (v < pivot)
                {
                    values[i] = values[gt];
                    values[gt--] = v;
                }
                else
                {
                    i++;
                }
            }
            if (target < lt)
                hi = lt - 1;
            else if (target > gt)
                lo = gt + 1;
            else
                return pivot;
        }
    }

    private static float MedianOfThree(float a, float b, float c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    private static void ThrowNaN(int index, float value) =>
        throw new ArgumentException($"'probabilities[{index}]' = {value} must not be NaN.", "probabilities");
}
