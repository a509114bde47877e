using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RnnGen.Kernels;

namespace RnnGen.Benchmarks.Peak;

/// <summary>
/// The floor under a batch-1 case on this machine at the moment of a measurement: the time to read its packed weight
/// copies from the cache as often as one run must, with nothing else to do. A batch-1 step does one multiply-add per
/// weight it loads, so it is paced by the loads, not by the FMA peak; <see cref="FmaPeak"/>'s percentage says little
/// about it, and this floor says how much room is left. (A kernel can beat it only by the part of a copy that stays in
/// L1 from one read to the next, a panel of the alternating batch-1 streams.)
/// </summary>
/// <remarks>
/// Each copy is a buffer of its size from <see cref="AlignedBuffer.AllocateStreamed"/>, the allocation the models'
/// copies come from (a cache line; huge pages from 1 MiB), read front to back by eight independent add chains of
/// the kernels' vector width, the buffer hot from the reads before, as the weights are between a case's calls. The
/// figure per copy is the median over blocks, since the host's speed moves between phases as the FMA peak's does
/// (l2_read.c beside this file is the same loop in C).
/// </remarks>
internal static class ReadFloor
{
    private const int Blocks = 31;
    private const int ReadsPerBlock = 16;
    private const int WarmupReads = 64;

    // Eight vectors of the widest accelerated width: what one iteration of the read loop loads.
    private static readonly int StrideFloats = 8 * (Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count);

    /// <summary>Microseconds to read each copy of <paramref name="reads"/> as many times as it says, summed.</summary>
    /// <param name="reads">The bytes of each copy a run streams, and how many times one run reads it whole.</param>
    public static double Microseconds(IReadOnlyList<(long Bytes, int Times)> reads)
    {
        double total = 0;
        foreach ((long bytes, int times) in reads)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
            total += times * OneReadMicroseconds(bytes);
        }
        return total;
    }

    private static double OneReadMicroseconds(long bytes)
    {
        // Rounded up to whole loop iterations (at most 511 bytes more than the copy).
        long floats = (bytes / sizeof(float) + StrideFloats - 1) / StrideFloats * StrideFloats;
        float[] buffer = AlignedBuffer.AllocateStreamed(checked((int)floats), out int start);
        Span<float> data = buffer.AsSpan(start, (int)floats);
        data.Fill(1f);
        float sink = 0;
        for (int read = 0; read < WarmupReads; read++)
            sink += Read(data);
        var perRead = new double[Blocks];
        for (int block = 0; block < Blocks; block++)
        {
            long begin = Stopwatch.GetTimestamp();
            for (int read = 0; read < ReadsPerBlock; read++)
                sink += Read(data);
            perRead[block] = Stopwatch.GetElapsedTime(begin).TotalMicroseconds / ReadsPerBlock;
        }
        GC.KeepAlive(sink);
        GC.KeepAlive(buffer);
        Array.Sort(perRead);
        return perRead[Blocks / 2];
    }

    // Independent chains, so that the loads and not the adds set the pace.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Read(ReadOnlySpan<float> data)
    {
        ref float start = ref MemoryMarshal.GetReference(data);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (nuint i = 0; i < (nuint)data.Length; i += 128)
            {
                a0 += Vector512.LoadUnsafe(ref start, i);
                a1 += Vector512.LoadUnsafe(ref start, i + 16);
                a2 += Vector512.LoadUnsafe(ref start, i + 32);
                a3 += Vector512.LoadUnsafe(ref start, i + 48);
                a4 += Vector512.LoadUnsafe(ref start, i + 64);
                a5 += Vector512.LoadUnsafe(ref start, i + 80);
                a6 += Vector512.LoadUnsafe(ref start, i + 96);
                a7 += Vector512.LoadUnsafe(ref start, i + 112);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
        }
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (nuint i = 0; i < (nuint)data.Length; i += 64)
        {
            b0 += Vector256.LoadUnsafe(ref start, i);
            b1 += Vector256.LoadUnsafe(ref start, i + 8);
            b2 += Vector256.LoadUnsafe(ref start, i + 16);
            b3 += Vector256.LoadUnsafe(ref start, i + 24);
            b4 += Vector256.LoadUnsafe(ref start, i + 32);
            b5 += Vector256.LoadUnsafe(ref start, i + 40);
            b6 += Vector256.LoadUnsafe(ref start, i + 48);
            b7 += Vector256.LoadUnsafe(ref start, i + 56);
        }
        return Vector256.Sum(b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7);
    }
}
