namespace RnnGen.Samples.Tagger;

/// <summary>
/// A toy tagging task that needs both directions: every digit of a random string is tagged by comparing it with its
/// neighbours. Tag = (digit &gt; previous ? 1 : 0) + (digit &gt; next ? 2 : 0), a missing neighbour counting as −1:
/// 0 "valley or slope down-up", 1 "rising", 2 "falling", 3 "peak".
/// </summary>
public static class TagData
{
    /// <summary>Longest sequence, T.</summary>
    public const int Steps = 24;

    /// <summary>Sequences per batch.</summary>
    public const int Batch = 32;

    /// <summary>Shortest sequence.</summary>
    public const int MinLength = 6;

    /// <summary>Number of tags.</summary>
    public const int Tags = 4;

    /// <summary>Tag names, for the printed example.</summary>
    public static readonly string[] Names = { "low", "rise", "fall", "peak" };

    /// <summary>Fills one batch: digits [T, B], lengths [B], tags [T, B] with <see cref="Losses.IgnoreIndex"/> at padded steps.</summary>
    public static void Fill(ref RnnRandom random, int[] digits, int[] lengths, int[] tags)
    {
        for (int b = 0; b < Batch; b++)
        {
            int length = MinLength + random.NextInt(Steps - MinLength + 1);
            lengths[b] = length;
            for (int t = 0; t < Steps; t++)
                digits[t * Batch + b] = t < length ? random.NextInt(10) : 0;
            for (int t = 0; t < Steps; t++)
            {
                if (t >= length)
                {
                    tags[t * Batch + b] = Losses.IgnoreIndex;
                    continue;
                }
                int digit = digits[t * Batch + b];
                int previous = t > 0 ? digits[(t - 1) * Batch + b] : -1;
                int next = t + 1 < length ? digits[(t + 1) * Batch + b] : -1;
                tags[t * Batch + b] = (digit > previous ? 1 : 0) + (digit > next ? 2 : 0);
            }
        }
    }
}
