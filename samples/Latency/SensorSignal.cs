using System;

namespace RnnGen.Samples.Latency;

/// <summary>Synthetic sensor: each channel is a sine of its own frequency and phase plus uniform noise, seeded.</summary>
public struct SensorSignal
{
    private const float NoiseAmplitude = 0.05f;
    private RnnRandom _random;
    private long _frame;
    private readonly ulong _seed;

    /// <summary>Starts a signal; the same seed gives the same frames.</summary>
    public SensorSignal(ulong seed)
    {
        _seed = seed;
        _random = new RnnRandom(seed);
        _frame = 0;
    }

    /// <summary>Writes the next frame, one value per channel.</summary>
    public void Next(Span<float> frame)
    {
        double t = _frame++;
        for (int c = 0; c < frame.Length; c++)
        {
            // Channel c has period 50 + 7c frames and a phase set by the seed.
            double phase = (_seed % 97) * 0.1 + c;
            frame[c] = (float)Math.Sin(2 * Math.PI * t / (50 + 7 * c) + phase)
                + NoiseAmplitude * (2 * _random.NextSingle() - 1);
        }
    }
}
