using System;
using System.Runtime.CompilerServices;

namespace RnnGen.Kernels;

// Where the bands of a time loop (KernelThreading.ForEachBatchBand) split the batch. On a shared host one core often
// runs a loop 5-20% slower than the other for seconds at a time (this project's 2-vCPU VM: the two 16-row bands of the
// char-LM's loops differed by 2-19% from one process to the next), and an even split waits for the slow band at the
// end of every loop. So each part's speed is measured, and the next loop gives each thread rows in proportion to its
// speed. Rows are independent, so any split computes the same bits; the balance changes timing only.
internal static class BatchBandBalance
{
    // Band edges fall on even rows: the GEMM tiles run 8, 6 and 4 rows at full speed, and an odd band ends in a
    // one-row tile that runs at a fraction of that (15- and 17-row bands took 7-12% longer per row than 16).
    internal const int RowMultiple = 2;

    // Weight of the newest loop in each part's running speed: a few loops follow a change of phase, and one hiccup
    // (a part descheduled for a moment) moves the split by at most a quarter of its error.
    private const double NewestWeight = 0.25;

    // Relative speeds are kept within these bounds of the even share, so that a long stall cannot starve a thread.
    private const double MinSpeed = 0.5, MaxSpeed = 2.0;

    // Relative speed of the thread that runs each part (part p on worker p, part 0 on the job's owner); 1 is even.
    private static readonly double[] s_speed = CreateEvenSpeeds();

    // The last run's rows, elapsed ticks and thread per part, written by the parts and read by the owner afterwards.
    private static readonly int[] s_rows = new int[KernelThreading.MaxThreads];
    private static readonly long[] s_ticks = new long[KernelThreading.MaxThreads];
    private static readonly int[] s_threads = new int[KernelThreading.MaxThreads];

    /// <summary>Edges of the bands for a run: part p takes rows [edges[p], edges[p + 1]).</summary>
    public static void Split(int rows, int parts, ref BandEdges edges) =>
        Split(rows, parts, s_speed, edges);

    /// <summary>
    /// Cuts <paramref name="rows"/> into <paramref name="parts"/> bands in proportion to <paramref name="speeds"/>, with
    /// inner edges on multiples of <see cref="RowMultiple"/> and at least one row per band.
    /// </summary>
    internal static void Split(int rows, int parts, ReadOnlySpan<double> speeds, Span<int> edges)
    {
        double total = 0;
        for (int p = 0; p < parts; p++)
            total += speeds[p];
        edges[0] = 0;
        double cumulative = 0;
        for (int p = 0; p < parts - 1; p++)
        {
            cumulative += speeds[p];
            // Speeds written by another owner's run meanwhile may be torn or stale, never invalid; the clamp keeps
            // every band non-empty whatever they are.
            double share = double.IsFinite(total) && total > 0 ? cumulative / total : (p + 1.0) / parts;
            int edge = (int)Math.Round(rows * share / RowMultiple) * RowMultiple;
            edges[p + 1] = Math.Clamp(edge, edges[p] + 1, rows - (parts - 1 - p));
        }
        edges[parts] = rows;
    }

    /// <summary>Records that part <paramref name="part"/> ran <paramref name="rows"/> rows in <paramref name="ticks"/> Stopwatch ticks.</summary>
    public static void Record(int part, int rows, long ticks)
    {
        s_rows[part] = rows;
        s_ticks[part] = ticks;
        s_threads[part] = Environment.CurrentManagedThreadId;
    }

    /// <summary>
    /// Folds the run just finished into the speeds, unless one thread ran several parts (the owner takes a part no
    /// worker claimed in time, and its time then says nothing about the worker).
    /// </summary>
    public static void Update(int parts)
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
            speed[p] = s_rows[p] / (double)Math.Max(1, s_ticks[p]);
            mean += speed[p] / parts;
        }
        for (int p = 0; p < parts; p++)
            s_speed[p] = Math.Clamp((1 - NewestWeight) * s_speed[p] + NewestWeight * speed[p] / mean, MinSpeed, MaxSpeed);
    }

    /// <summary>Forgets the measured speeds: the next split is even.</summary>
    internal static void Reset() => Array.Fill(s_speed, 1.0);

    private static double[] CreateEvenSpeeds()
    {
        var speeds = new double[KernelThreading.MaxThreads];
        Array.Fill(speeds, 1.0);
        return speeds;
    }
}

/// <summary>Band edges carried by a job, so every part of one run reads the same split.</summary>
[InlineArray(KernelThreading.MaxThreads + 1)]
internal struct BandEdges
{
    private int _element;
}
