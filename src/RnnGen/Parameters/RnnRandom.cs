using System;

namespace RnnGen;

/// <summary>
/// Small, fast, seedable generator (xoshiro256**) whose whole state is four <see cref="ulong"/> values, so it can be
/// stored in a checkpoint and resumed bit-identically. It is a value type: copying it forks the stream.
/// </summary>
public struct RnnRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the generator; the same seed always gives the same stream.</summary>
    public RnnRandom(ulong seed)
    {
        // SplitMix64 spreads any seed (including 0) over the 256-bit state, as the xoshiro authors recommend.
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>Restores a generator from <see cref="GetState"/>.</summary>
    public static RnnRandom FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4)
            throw new ArgumentException($"Generator state has {state.Length} words; expected 4.", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("Generator state must not be all zero.", nameof(state));
        RnnRandom r = default;
        r._s0 = state[0]; r._s1 = state[1]; r._s2 = state[2]; r._s3 = state[3];
        return r;
    }

    /// <summary>Writes the four state words, for checkpoints.</summary>
    public readonly void GetState(Span<ulong> state)
    {
        if (state.Length != 4)
            throw new ArgumentException($"Generator state has 4 words; the destination holds {state.Length}.", nameof(state));
        state[0] = _s0; state[1] = _s1; state[2] = _s2; state[3] = _s3;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        // default(RnnRandom) has the all-zero state, a fixed point of xoshiro; treat it as seed 0 instead of returning 0 forever.
        if ((_s0 | _s1 | _s2 | _s3) == 0)
            this = new RnnRandom(0);
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        // Lemire's multiply-shift with rejection of the biased low range.
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 product = (UInt128)r * bound;
            if ((ulong)product >= threshold)
                return (int)(ulong)(product >> 64);
        }
    }

    /// <summary>Fills with U(<paramref name="low"/>, <paramref name="high"/>).</summary>
    public void FillUniform(Span<float> destination, float low, float high)
    {
        if (!float.IsFinite(low))
            throw new ArgumentOutOfRangeException(nameof(low), low, "The lower bound must be finite.");
        if (!float.IsFinite(high) || high < low)
            throw new ArgumentOutOfRangeException(nameof(high), high, $"The upper bound must be finite and >= low ({low}).");
        float width = high - low;
        for (int i = 0; i < destination.Length; i++)
            destination[i] = low + width * NextSingle();
    }

    /// <summary>Fills with N(<paramref name="mean"/>, <paramref name="std"/>²) by the Box–Muller transform.</summary>
    public void FillNormal(Span<float> destination, float mean, float std)
    {
        if (!float.IsFinite(mean))
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "The mean must be finite.");
        if (!float.IsFinite(std) || std < 0)
            throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be finite and >= 0.");
        for (int i = 0; i < destination.Length; i += 2)
        {
            double u1 = 1.0 - NextDouble();
            double u2 = NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            destination[i] = (float)(mean + std * radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < destination.Length)
                destination[i + 1] = (float)(mean + std * radius * Math.Sin(2 * Math.PI * u2));
        }
    }
}
