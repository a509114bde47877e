namespace RnnGen.Benchmarks.Cases;

/// <summary>Deterministic benchmark inputs.</summary>
internal static class Inputs
{
    /// <summary>Values uniform in [-1, 1).</summary>
    public static float[] Uniform(int length, ulong seed)
    {
        var values = new float[length];
        var random = new RnnRandom(seed);
        random.FillUniform(values, -1f, 1f);
        return values;
    }

    /// <summary>Token ids uniform in [0, <paramref name="vocabulary"/>).</summary>
    public static int[] Tokens(int length, int vocabulary, ulong seed)
    {
        var tokens = new int[length];
        var random = new RnnRandom(seed);
        for (int i = 0; i < tokens.Length; i++)
            tokens[i] = random.NextInt(vocabulary);
        return tokens;
    }
}
