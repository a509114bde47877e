using System;
using System.Diagnostics;

namespace RnnGen.Samples.Latency;

/// <summary>Per-step latencies and allocations of one stream.</summary>
public sealed class LatencyRun
{
    // Warm-up runs until tiered compilation has promoted Step (call counting starts ~100 ms after launch).
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromMilliseconds(400);
    private const int MinWarmUpFrames = 20_000;

    private readonly long[] _ticks;

    private LatencyRun(long[] ticks, long allocatedBytes, float checksum)
    {
        _ticks = ticks;
        AllocatedBytes = allocatedBytes;
        Checksum = checksum;
    }

    /// <summary>Bytes allocated on the streaming thread during the measured loop.</summary>
    public long AllocatedBytes { get; }

    /// <summary>Sum of the last output, to compare runs bit for bit.</summary>
    public float Checksum { get; }

    /// <summary>Warms up, resets the state, then streams <paramref name="frames"/> frames from a seeded signal and times each step.</summary>
    public static LatencyRun Measure<TStream>(TStream stream, int frames, ulong signalSeed) where TStream : struct, IFrameStream
    {
        var frame = new float[stream.InputSize];
        var output = new float[stream.OutputSize];
        var ticks = new long[frames];

        var warmUpSignal = new SensorSignal(signalSeed + 1);
        long warmUpEnd = Stopwatch.GetTimestamp() + (long)(WarmUpTime.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < MinWarmUpFrames || Stopwatch.GetTimestamp() < warmUpEnd; i++)
        {
            warmUpSignal.Next(frame);
            stream.Step(frame, output);
        }
        stream.Reset();

        var signal = new SensorSignal(signalSeed);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < frames; i++)
        {
            signal.Next(frame);
            long start = Stopwatch.GetTimestamp();
            stream.Step(frame, output);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        float checksum = 0;
        foreach (float value in output)
            checksum += value;
        Array.Sort(ticks);
        return new LatencyRun(ticks, allocated, checksum);
    }

    /// <summary>Latency at quantile <paramref name="q"/> (nearest rank), in microseconds.</summary>
    public double Percentile(double q)
    {
        int rank = Math.Clamp((int)Math.Ceiling(q * _ticks.Length) - 1, 0, _ticks.Length - 1);
        return _ticks[rank] * 1e6 / Stopwatch.Frequency;
    }

    /// <summary>One line: p50, p99, p99.9 and max in microseconds.</summary>
    public string Summary() =>
        $"p50 {Percentile(0.50):F2} µs  p99 {Percentile(0.99):F2} µs  p99.9 {Percentile(0.999):F2} µs  max {Percentile(1.0):F2} µs";
}
