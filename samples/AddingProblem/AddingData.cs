namespace RnnGen.Samples.AddingProblem;

/// <summary>
/// The adding problem (Hochreiter and Schmidhuber 1997; Le et al. 2015): each step carries a value drawn from U(0, 1)
/// and a marker; exactly two steps are marked, one in each half of the sequence, and the target is the sum of their
/// values. Predicting the mean sum, 1, scores the variance of the sum of two U(0, 1): 1/6 ≈ 0.167.
/// </summary>
public static class AddingData
{
    /// <summary>Time steps per sequence.</summary>
    public const int Steps = 60;

    /// <summary>Sequences per batch.</summary>
    public const int Batch = 32;

    /// <summary>MSE of always predicting 1.</summary>
    public const double Baseline = 1.0 / 6.0;

    /// <summary>Fills one batch: inputs [T, B, 2] time-major, targets [B, 1].</summary>
    public static void Fill(ref RnnRandom random, float[] inputs, float[] targets)
    {
        for (int b = 0; b < Batch; b++)
        {
            int first = random.NextInt(Steps / 2);
            int second = Steps / 2 + random.NextInt(Steps / 2);
            float sum = 0;
            for (int t = 0; t < Steps; t++)
            {
                int i = (t * Batch + b) * 2;
                float value = random.NextSingle();
                bool marked = t == first || t == second;
                inputs[i] = value;
                inputs[i + 1] = marked ? 1f : 0f;
                if (marked)
                    sum += value;
            }
            targets[b] = sum;
        }
    }
}
