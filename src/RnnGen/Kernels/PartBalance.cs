using System;
using System.Runtime.CompilerServices;

namespace RnnGen.Kernels;

// Where a parallel job's parts split their work: the time loops of generated models (bands of batch rows) and the large
// products (bands of rows or columns of C). On a shared host one core can run up to ~20% slower than the other for
// seconds at a time, and an even split waits for the slow part. On this project's 2-vCPU VM the two bands of the
// char-LM's time loops differed by 2-19% from one process to the next, and the two halves of its weight-gradient
// product by up to 17%, not always the same core slower for both. So each kind of job (a product shape, or a batch
// size) keeps a running speed per part, measured on every run, and the next run of that kind gives each part work in
// proportion. Any split computes the same bits (rows of a batch and elements of C are computed alike in any band); the
// balance changes timing only.
//
// Jobs of one kind at a time are the common case; a speed table is kept for the few most recent kinds.
internal static class PartBalance
{
    // Weight of the newest run in each part's running speed, and the most one run's measurement may differ from even:
    // a lasting imbalance moves the split within ten or so runs, but one hiccup (a part descheduled for a millisecond)
    // moves a speed by at most 2.5%, less than the 6% one pair of rows of a 32-row batch needs to change hands.
    private const double NewestWeight = 0.1;
    private const double MinMeasured = 0.75, MaxMeasured = 1.25;

    // Running speeds stay within these bounds of even, so that a long stall cannot starve a thread.
    private const double MinSpeed = 0.5, MaxSpeed = 2.0;

    private const int Kinds = 16;

    // Speed tables by kind (0 = unused); part p runs on worker p, part 0 on the job's owner, so each entry describes
    // one thread. Filled round-robin.
    private static readonly long[] s_kinds = new long[Kinds];
    private static readonly double[][] s_speeds = CreateTables();
    private static int s_nextKind;

    // The last run's elapsed ticks and thread per part, written as each part ends (by the worker pool, for every job)
    // and read by the owner of a balanced job after its run.
    private static readonly long[] s_ticks = new long[KernelThreading.MaxThreads];
    private static readonly int[] s_threads = new int[KernelThreading.MaxThreads];

    /// <summary>A job kind for a time loop over <paramref name="batchSize"/> rows.</summary>
    public static long BatchKind(int batchSize) => 1L << 62 | (uint)batchSize;

    /// <summary>A job kind for a product of one form and shape.</summary>
    public static long ProductKind(int form, int m, int n, int k) =>
        2L << 61 | (long)form << 56 | ((long)m & 0xFFFFF) << 36 | ((long)n & 0xFFFFF) << 16 | ((long)k & 0xFFFF);

    /// <summary>
    /// Edges for the next run of <paramref name="kind"/>: part p takes units [edges[p], edges[p + 1]) of
    /// <paramref name="length"/>, split on multiples of <paramref name="granularity"/> in proportion to the parts'
    /// measured speeds (evenly for a kind not seen yet).
    /// </summary>
    public static void Split(long kind, int length, int granularity, int parts, Span<int> edges)
    {
        int table = Find(kind);
        Split(length, granularity, parts, table < 0 ? default : s_speeds[table], edges);
    }

    /// <summary>
    /// Cuts <paramref name="length"/> units into <paramref name="parts"/> parts in proportion to
    /// <paramref name="speeds"/> (evenly when empty): inner edges on multiples of <paramref name="granularity"/> (of 1
    /// when there are fewer whole granules than parts), every part non-empty, the last taking any remainder.
    /// </summary>
    internal static void Split(int length, int granularity, int parts, ReadOnlySpan<double> speeds, Span<int> edges)
    {
        if (length / granularity < parts)
            granularity = 1;
        int granules = length / granularity;
        double total = 0;
        for (int p = 0; p < parts && !speeds.IsEmpty; p++)
            total += speeds[p];
        // Speeds written by another job's run meanwhile may be stale, never invalid; an empty or odd table splits evenly.
        bool even = !(double.IsFinite(total) && total > 0);
        edges[0] = 0;
        double cumulative = 0;
        for (int p = 0; p < parts - 1; p++)
        {
            cumulative += even ? 1.0 / parts : speeds[p] / total;
            int granule = (int)Math.Round(granules * cumulative, MidpointRounding.AwayFromZero);
            edges[p + 1] = Math.Clamp(granule, edges[p] / granularity + 1, granules - (parts - 1 - p)) * granularity;
        }
        edges[parts] = length;
    }

    /// <summary>Records that part <paramref name="part"/> of the job just run took <paramref name="ticks"/> Stopwatch ticks on the calling thread.</summary>
    public static void Record(int part, long ticks)
    {
        s_ticks[part] = ticks;
        s_threads[part] = Environment.CurrentManagedThreadId;
    }

    /// <summary>
    /// Folds the run of <paramref name="kind"/> just finished, split at <paramref name="edges"/>, into its speeds, unless
    /// one thread ran several parts (the owner takes a part no worker claimed in time, and its time then says nothing
    /// about the worker).
    /// </summary>
    /// <remarks>
    /// Called by the job's owner after the workers are released, so another thread's job may be recording meanwhile;
    /// that mixes at most one measurement, which the bounds above keep harmless.
    /// </remarks>
    public static void Update(long kind, ReadOnlySpan<int> edges, int parts)
    {
        Span<double> speed = stackalloc double[parts];
        double mean = 0;
        for (int p = 0; p < parts; p++)
        {
            for (int q = 0; q < p; q++)
            {
                if (s_threads[q] == s_threads[p])
                    return;
            }
            speed[p] = (edges[p + 1] - edges[p]) / (double)Math.Max(1, s_ticks[p]);
            mean += speed[p] / parts;
        }
        if (!(mean > 0))
            return;
        int table = Find(kind);
        if (table < 0)
            table = Claim(kind);
        double[] speeds = s_speeds[table];
        for (int p = 0; p < parts; p++)
        {
            double measured = Math.Clamp(speed[p] / mean, MinMeasured, MaxMeasured);
            speeds[p] = Math.Clamp((1 - NewestWeight) * speeds[p] + NewestWeight * measured, MinSpeed, MaxSpeed);
        }
    }

    /// <summary>Forgets every measured speed: the next split of every kind is even.</summary>
    internal static void Reset()
    {
        Array.Clear(s_kinds);
        foreach (double[] speeds in s_speeds)
            Array.Fill(speeds, 1.0);
    }

    private static int Find(long kind)
    {
        for (int i = 0; i < Kinds; i++)
        {
            if (s_kinds[i] == kind)
                return i;
        }
        return -1;
    }

    private static int Claim(long kind)
    {
        int table = s_nextKind;
        s_nextKind = (table + 1) % Kinds;
        Array.Fill(s_speeds[table], 1.0);
        s_kinds[table] = kind;
        return table;
    }

    private static double[][] CreateTables()
    {
        var tables = new double[Kinds][];
        for (int i = 0; i < Kinds; i++)
        {
            tables[i] = new double[KernelThreading.MaxThreads];
            Array.Fill(tables[i], 1.0);
        }
        return tables;
    }
}

/// <summary>Part edges carried by a job, so every part of one run reads the same split.</summary>
[InlineArray(KernelThreading.MaxThreads + 1)]
internal struct PartEdges
{
    private int _element;
}
