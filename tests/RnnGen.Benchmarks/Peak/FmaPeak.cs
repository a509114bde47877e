using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace RnnGen.Benchmarks.Peak;

/// <summary>
/// The FMA peak of this machine at the moment of a measurement, as ../shared/anchors/fma_peak.c measures it:
/// independent FMA chains in registers on every thread, median of seven repetitions. The host's speed moves by up to
/// 2x between phases, so the quick runner measures it beside each case instead of trusting a fixed figure.
/// </summary>
internal static class FmaPeak
{
    private const int Repetitions = 7;

    // Per thread and repetition: 3M iterations of 12 chains, about 10 ms at this host's peak of either width.
    private const long Iterations = 3_000_000;
    private const int Chains = 12;

    /// <summary>Median GFLOP/s over all <paramref name="threads"/> threads of 256-bit (AVX2) or, with
    /// <paramref name="wide"/>, 512-bit FMA chains.</summary>
    public static double Gflops(int threads, bool wide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (wide && !Vector512.IsHardwareAccelerated)
            throw new PlatformNotSupportedException("512-bit vectors are not accelerated on this machine.");

        int lanes = wide ? Vector512<float>.Count : Vector256<float>.Count;
        Func<long, float> chains = wide ? Chains512 : Chains256;
        chains(1000);
        var seconds = new double[Repetitions];
        for (int repetition = 0; repetition < Repetitions; repetition++)
            seconds[repetition] = TimeOnThreads(chains, threads);
        Array.Sort(seconds);
        double flops = 2.0 * lanes * Chains * Iterations * threads;
        return flops / seconds[Repetitions / 2] / 1e9;
    }

    // Wall time from a common start until the last thread finishes; the calling thread runs one share itself.
    private static double TimeOnThreads(Func<long, float> chains, int threads)
    {
        int go = 0;
        var others = new Thread[threads - 1];
        for (int t = 0; t < others.Length; t++)
        {
            others[t] = new Thread(() =>
            {
                while (Volatile.Read(ref go) == 0)
                    Thread.SpinWait(20);
                Sink(chains(Iterations));
            });
            others[t].Start();
        }

        long start = Stopwatch.GetTimestamp();
        Volatile.Write(ref go, 1);
        Sink(chains(Iterations));
        foreach (Thread other in others)
            other.Join();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Sink(float value) => GC.KeepAlive(value);

    // Twelve chains cover the FMA latency on both ports (8 would do on 4-cycle FMAs) and leave registers for the
    // two operands, so the loop body is twelve FMAs and a counter.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(long iterations)
    {
        Vector256<float> a = Vector256.Create(0.999999f), b = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(0f), c1 = Vector256.Create(1f), c2 = Vector256.Create(2f), c3 = Vector256.Create(3f);
        Vector256<float> c4 = Vector256.Create(4f), c5 = Vector256.Create(5f), c6 = Vector256.Create(6f), c7 = Vector256.Create(7f);
        Vector256<float> c8 = Vector256.Create(8f), c9 = Vector256.Create(9f), c10 = Vector256.Create(10f), c11 = Vector256.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b);
            c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b);
            c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b);
            c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b);
            c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b);
            c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b);
            c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(long iterations)
    {
        Vector512<float> a = Vector512.Create(0.999999f), b = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(0f), c1 = Vector512.Create(1f), c2 = Vector512.Create(2f), c3 = Vector512.Create(3f);
        Vector512<float> c4 = Vector512.Create(4f), c5 = Vector512.Create(5f), c6 = Vector512.Create(6f), c7 = Vector512.Create(7f);
        Vector512<float> c8 = Vector512.Create(8f), c9 = Vector512.Create(9f), c10 = Vector512.Create(10f), c11 = Vector512.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b);
            c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b);
            c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b);
            c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b);
            c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
