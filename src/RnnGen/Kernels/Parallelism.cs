using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Threading;

namespace RnnGen.Kernels;

/// <summary>
/// Opt-in intra-op parallelism for the large matrix products of <see cref="Gemm"/>, the cell kernels, the time loops
/// of generated models and the other passes of a training step (the loss, zeroing, clipping, the optimiser's update).
/// Parallelism applies only on a thread that entered an <see cref="Enable"/> scope, so concurrent inference on other
/// threads (for example many <c>Step</c> calls on separate states) never contends for workers it did not ask for.
/// </summary>
/// <remarks>
/// <para>Results are bit-identical to single-threaded ones: a product is split into bands of rows of <c>C</c> whose
/// edges fall on the row-group boundaries of the micro-kernels, so every element is computed by the same kernel with
/// the same summation order, and no reduction is reordered. The bands of a product or time loop are sized in
/// proportion to how fast each thread ran the previous ones of the same shape, so a core slowed by the host gets less
/// work; the split changes timing only. A generated model's time loop is split into bands of batch
/// rows (<see cref="ForEachBatchBand"/>) only where its kernels compute each row the same way for any band. The loss
/// and the gradient norm sum fixed chunks, sized by the length alone, and add the chunk sums in order.</para>
/// <para>The workers are persistent background threads created on first use. A worker spins briefly after each job
/// and then blocks, so an idle process burns no CPU. Handing out a job allocates nothing and uses neither
/// <see cref="System.Threading.Tasks.Task"/> nor the thread pool. The workers serve one product at a time: a thread
/// that finds them busy with another thread's product computes its own product alone, which gives the same result.</para>
/// <para>Only products of at least <see cref="MinimumParallelFlops"/> floating-point operations are split; below that
/// the hand-off costs more than it saves.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class KernelThreading
{
    /// <summary>The largest thread count <see cref="Enable"/> accepts.</summary>
    public const int MaxThreads = 64;

    /// <summary>Products below this many floating-point operations (<c>2·m·n·k</c>) always run on the calling thread.</summary>
    public const long MinimumParallelFlops = 1L << 21;

    [ThreadStatic]
    private static int t_threads;

    /// <summary>The number of threads the calling thread's products may use: 1 outside any <see cref="Enable"/> scope.</summary>
    public static int ThreadCount => Math.Max(1, t_threads);

    /// <summary>
    /// Lets products on the calling thread use up to <paramref name="threads"/> threads (the caller plus
    /// <c>threads − 1</c> workers) until the returned scope is disposed. Scopes nest; disposing one restores the count
    /// that was in force when it was entered.
    /// </summary>
    /// <param name="threads">Threads per product, from 1 to <see cref="MaxThreads"/>. More threads than cores only add contention.</param>
    /// <returns>A scope to dispose (with <c>using</c>) on the same thread.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is outside [1, <see cref="MaxThreads"/>].</exception>
    public static Scope Enable(int threads)
    {
        if (threads < 1 || threads > MaxThreads)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"'{nameof(threads)}' must be in [1, {MaxThreads}].");
        var scope = new Scope(ThreadCount);
        t_threads = threads;
        return scope;
    }

    /// <summary>Restores the calling thread's previous thread count when disposed; a <see langword="default"/> scope does nothing.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly int _previous;

        internal Scope(int previous) => _previous = previous;

        /// <summary>Restores the thread count that was in force when the scope was entered.</summary>
        public void Dispose()
        {
            if (_previous != 0)
                t_threads = _previous;
        }
    }

    /// <summary>Threads to split a product of <paramref name="flops"/> operations over, or 1 to run it inline.</summary>
    internal static int PartsFor(double flops)
    {
        int threads = t_threads;
        return threads > 1 && flops >= MinimumParallelFlops ? threads : 1;
    }

    /// <summary>
    /// Threads to split an elementwise kernel (a cell's activations and state update) of <paramref name="elements"/>
    /// state elements over, or 1 to run it inline. A part must outweigh the hand-off of a few microseconds.
    /// </summary>
    private static int PartsForElements(long elements)
    {
        int threads = t_threads;
        return threads > 1 && elements >= MinimumParallelElements ? threads : 1;
    }

    /// <summary>
    /// Runs <paramref name="job"/> over <paramref name="rows"/> independent rows as bands on several threads when the
    /// work (<paramref name="elements"/> state elements) is worth the hand-off. Returns <see langword="false"/>, having
    /// run nothing, when it is not or the workers are busy; the caller then runs all rows itself.
    /// </summary>
    internal static bool TryRunRows<TJob>(ref TJob job, int rows, long elements) where TJob : struct, IRowJob
    {
        int parts = Math.Min(PartsForElements(elements), rows);
        if (parts < 2)
            return false;
        var bands = new RowBands<TJob> { Job = job, Rows = rows };
        return TryRun(ref bands, parts);
    }

    /// <summary>
    /// Work over the rows of a batch that never read one another, such as one time loop of a recurrent layer: generated
    /// models implement it and hand it to <see cref="ForEachBatchBand"/>.
    /// </summary>
    public interface IBatchBandJob
    {
        /// <summary>Runs batch rows [<paramref name="first"/>, <paramref name="first"/> + <paramref name="rows"/>).</summary>
        /// <param name="first">The first row of the band.</param>
        /// <param name="rows">Rows in the band, at least 1.</param>
        void Run(int first, int rows);
    }

    /// <summary>
    /// Runs <paramref name="job"/> over <paramref name="batchSize"/> independent rows: as one band of rows per thread when
    /// the calling thread entered an <see cref="Enable"/> scope and the work outweighs the hand-off, otherwise as one
    /// band on the calling thread. Kernels called inside a band run on that band's thread alone.
    /// </summary>
    /// <remarks>
    /// A time loop split this way hands work to the other threads once, where splitting each step's product and cell
    /// hands it over twice per step. The bands follow the threads' measured speeds (a core slowed by the host gets fewer
    /// rows in the next call), so their sizes vary from call to call. When the job computes each row the same way
    /// whatever band it falls in (as the loops that generated models split this way do), the results are bit-identical
    /// for any thread count and any split.
    /// </remarks>
    /// <param name="job">The work; a struct, so handing it over allocates nothing.</param>
    /// <param name="batchSize">Rows of the batch, at least 1.</param>
    /// <param name="flops">Floating-point operations of the whole job, which decide whether it is worth splitting.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive or <paramref name="flops"/> is negative.</exception>
    public static void ForEachBatchBand<TJob>(ref TJob job, int batchSize, long flops) where TJob : struct, IBatchBandJob
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(flops);
        int parts = Math.Min(PartsFor(flops), batchSize);
        if (parts > 1)
        {
            // Band edges on even rows: the GEMM tiles run 8, 6 and 4 rows at full speed, and an odd band ends in a
            // one-row tile that runs at a fraction of that (15- and 17-row bands took 7-12% longer per row than 16).
            long kind = PartBalance.BatchKind(batchSize);
            var bands = new BatchBands<TJob> { Job = job };
            PartBalance.Split(kind, batchSize, granularity: 2, parts, bands.Edges);
            if (TryRun(ref bands, parts))
            {
                PartBalance.Update(kind, bands.Edges, parts);
                return;
            }
        }
        job.Run(0, batchSize);
    }

    // Part p of n takes rows [rows·p/n, rows·(p+1)/n), as even as integers allow.
    private static (int Start, int End) Band(int rows, int part, int parts) =>
        ((int)((long)rows * part / parts), (int)((long)rows * (part + 1) / parts));

    // A band of batch rows, run with splitting turned off on its thread.
    private struct BatchBands<TJob> : IParallelJob where TJob : struct, IBatchBandJob
    {
        public TJob Job;
        public PartEdges Edges;

        public void Run(int part, int parts)
        {
            int first = Edges[part], rows = Edges[part + 1] - first;
            int threads = t_threads;
            t_threads = 1;
            try
            {
                Job.Run(first, rows);
            }
            finally
            {
                t_threads = threads;
            }
        }
    }

    /// <summary>Work on independent rows, any band of which can run on any thread.</summary>
    internal interface IRowJob
    {
        /// <summary>Runs rows [<paramref name="start"/>, <paramref name="end"/>).</summary>
        void RunRows(int start, int end);
    }

    private struct RowBands<TJob> : IParallelJob where TJob : struct, IRowJob
    {
        public TJob Job;
        public int Rows;

        public void Run(int part, int parts)
        {
            (int start, int end) = Band(Rows, part, parts);
            Job.RunRows(start, end);
        }
    }

    /// <summary>Elementwise work over a range of one long block, such as an optimiser update or gradient clipping.</summary>
    internal interface IRangeJob
    {
        /// <summary>Runs elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
        void RunRange(int start, int length);
    }

    /// <summary>
    /// Elements from which an elementwise pass over a block splits across threads: a pass of 128 KiB or more streams
    /// from beyond the L2 for tens of microseconds, far above a hand-off.
    /// </summary>
    internal const int MinimumParallelRange = 1 << 15;

    /// <summary>The most chunks <see cref="OrderedChunk"/> cuts a block into, so their partial results fit on the stack.</summary>
    internal const int MaxOrderedChunks = 256;

    /// <summary>
    /// Chunk size for a reduction over <paramref name="length"/> items whose per-chunk results are combined in chunk
    /// order: it depends on the length alone, so the result is the same for any thread count. At least
    /// <paramref name="minimum"/> items, a multiple of <paramref name="multiple"/>, and at most
    /// <see cref="MaxOrderedChunks"/> chunks.
    /// </summary>
    internal static int OrderedChunk(int length, int minimum, int multiple)
    {
        long perChunk = ((long)length + MaxOrderedChunks - 1) / MaxOrderedChunks;
        return (int)Math.Max(minimum, (perChunk + multiple - 1) / multiple * multiple);
    }

    /// <summary>
    /// Runs <paramref name="job"/> over items [0, <paramref name="length"/>) as one band per thread when the calling
    /// thread entered an <see cref="Enable"/> scope and the items cover at least <see cref="MinimumParallelRange"/>
    /// elements (<paramref name="elementsPerItem"/> each), otherwise as one range on the calling thread. Band edges
    /// fall on multiples of <paramref name="grain"/>, so a job can give each grain-sized chunk its own result.
    /// </summary>
    internal static void ForEachRange<TJob>(ref TJob job, int length, int grain = 16, int elementsPerItem = 1) where TJob : struct, IRangeJob
    {
        int chunks = (int)(((long)length + grain - 1) / grain);
        int parts = Math.Min((long)length * elementsPerItem >= MinimumParallelRange ? t_threads : 1, chunks);
        if (parts > 1)
        {
            var bands = new RangeBands<TJob> { Job = job, Length = length, Grain = grain, Chunks = chunks };
            if (TryRun(ref bands, parts))
                return;
        }
        job.RunRange(0, length);
    }

    // The default grain of 16 floats is a cache line, so threads writing an aligned block never share a line.
    private struct RangeBands<TJob> : IParallelJob where TJob : struct, IRangeJob
    {
        public TJob Job;
        public int Length;
        public int Grain;
        public int Chunks;

        public void Run(int part, int parts)
        {
            (int first, int end) = Band(Chunks, part, parts);
            int start = first * Grain;
            Job.RunRange(start, (int)Math.Min((long)end * Grain, Length) - start);
        }
    }

    /// <summary>State elements (batch × hidden) from which a cell kernel splits its rows across threads.</summary>
    internal const long MinimumParallelElements = 4096;

    /// <summary>Products that ran on more than one thread since start-up; lets tests see that the parallel path ran.</summary>
    internal static long ParallelRuns => Interlocked.Read(ref WorkerPool.Runs);

    /// <summary>Parts that the owner of a job ran itself because no worker had claimed them yet.</summary>
    internal static long StolenParts => Interlocked.Read(ref WorkerPool.Steals);

    /// <summary>
    /// Runs <paramref name="job"/> as <paramref name="parts"/> parts, part 0 on the calling thread. Returns
    /// <see langword="false"/> without running anything when the workers are busy with another thread's job.
    /// </summary>
    internal static bool TryRun<TJob>(ref TJob job, int parts) where TJob : struct, IParallelJob =>
        WorkerPool.TryRun(ref job, parts);

    /// <summary>A job split into parts that write disjoint memory. Implementations are structs of pointers, sizes and at most an object reference.</summary>
    internal interface IParallelJob
    {
        /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
        void Run(int part, int parts);
    }

    // One job at a time, owned by the thread that won s_owner. The job lives in a per-type static slot (Slot<TJob>)
    // that the workers reach through a function pointer, so no delegate or box is created per call.
    //
    // Worker w runs part w, but only after claiming it for the job's generation; the owner, done with part 0, claims
    // and runs every part no worker has claimed yet. A worker that is blocked, slow to wake or descheduled by the host
    // then costs the job nothing but its share of the work, instead of holding the owner up until it gets a core (on
    // this shared VM a wake-up took 18-92 us median and over 1 ms at the 90th percentile). Parts compute the same
    // whichever thread runs them, so stealing keeps results bit-identical.
    private static unsafe class WorkerPool
    {
        // Worker spin before blocking, in Stopwatch ticks (~50 µs): long enough to cover the cell kernels that run
        // single-threaded between two products of a training step.
        private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;

        // s_job packs the generation (high bits) and the part count (low bits) into one word, so a worker reads both
        // of the same job.
        private const int PartBits = 8;
        private const long PartMask = (1 << PartBits) - 1;

        private static readonly object Gate = new();
        private static readonly long[] s_claims = new long[MaxThreads];
        private static Worker[] s_workers = [];
        private static int s_owner;
        private static long s_job;
        private static int s_remaining;
        private static delegate*<int, int, void> s_body;

        public static long Runs;
        public static long Steals;

        // The generation of the job published last.
        private static long CurrentGeneration => Volatile.Read(ref s_job) >> PartBits;

        public static bool TryRun<TJob>(ref TJob job, int parts) where TJob : struct, IParallelJob
        {
            if (Interlocked.CompareExchange(ref s_owner, 1, 0) != 0)
                return false;
            try
            {
                EnsureWorkers(parts - 1);
                Slot<TJob>.Job = job;
                s_body = &Slot<TJob>.RunPart;
                Volatile.Write(ref s_remaining, parts - 1);
                long generation = CurrentGeneration + 1;
                Interlocked.Exchange(ref s_job, generation << PartBits | (long)parts);
                Worker[] workers = s_workers;
                for (int w = 0; w < parts - 1; w++)
                    workers[w].Wake();
                RunTimed(ref job, 0, parts);
                for (int part = 1; part < parts; part++)
                {
                    if (TryClaim(part, generation))
                    {
                        RunTimed(ref job, part, parts);
                        Interlocked.Increment(ref Steals);
                        Interlocked.Decrement(ref s_remaining);
                    }
                }
                var spinner = new SpinWait();
                while (Volatile.Read(ref s_remaining) != 0)
                    spinner.SpinOnce(sleep1Threshold: -1);
                Interlocked.Increment(ref Runs);
                return true;
            }
            finally
            {
                // A band job holds its model; the slot must not keep it alive.
                Slot<TJob>.Job = default;
                Volatile.Write(ref s_owner, 0);
            }
        }

        // Every part is timed, for the jobs whose next split follows their parts' speeds (PartBalance).
        private static void RunTimed<TJob>(ref TJob job, int part, int parts) where TJob : struct, IParallelJob
        {
            long start = Stopwatch.GetTimestamp();
            job.Run(part, parts);
            PartBalance.Record(part, Stopwatch.GetTimestamp() - start);
        }

        // Exactly one thread claims each part of a job. A claim made with a stale generation fails, since the part was
        // claimed before that job could finish; and while a claimed part runs, its job can neither finish nor be
        // replaced, so the claimant reads that job's fields.
        private static bool TryClaim(int part, long generation)
        {
            long last = Volatile.Read(ref s_claims[part]);
            return last < generation && Interlocked.CompareExchange(ref s_claims[part], generation, last) == last;
        }

        private static void EnsureWorkers(int count)
        {
            if (s_workers.Length >= count)
                return;
            lock (Gate)
            {
                var workers = new Worker[count];
                Array.Copy(s_workers, workers, s_workers.Length);
                for (int w = s_workers.Length; w < count; w++)
                    workers[w] = new Worker(w + 1, CurrentGeneration);
                s_workers = workers;
            }
        }

        private static class Slot<TJob> where TJob : struct, IParallelJob
        {
            public static TJob Job;

            public static void RunPart(int part, int parts) => Job.Run(part, parts);
        }

        private sealed class Worker
        {
            private readonly int _part;
            private readonly SemaphoreSlim _wake = new(0);
            private long _seen;
            private int _sleeping;

            public Worker(int part, long generation)
            {
                _part = part;
                _seen = generation;
                new Thread(Loop) { IsBackground = true, Name = $"RnnGen kernel worker {part}" }.Start();
            }

            // Called by the owner after publishing a job: releases the worker only if it committed to blocking.
            public void Wake()
            {
                if (Interlocked.Exchange(ref _sleeping, 0) == 1)
                    _wake.Release();
            }

            private void Loop()
            {
                while (true)
                {
                    WaitForJob();
                    long job = Volatile.Read(ref s_job);
                    _seen = job >> PartBits;
                    int parts = (int)(job & PartMask);
                    if (_part < parts && TryClaim(_part, _seen))
                    {
                        long start = Stopwatch.GetTimestamp();
                        s_body(_part, parts);
                        PartBalance.Record(_part, Stopwatch.GetTimestamp() - start);
                        Interlocked.Decrement(ref s_remaining);
                    }
                }
            }

            private void WaitForJob()
            {
                long deadline = Stopwatch.GetTimestamp() + SpinTicks;
                while (CurrentGeneration == _seen)
                {
                    if (Stopwatch.GetTimestamp() < deadline)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    // A full fence, not a release store: x64 lets a plain store pass the load of s_job below, and then
                    // the owner could miss the flag while this thread misses the new job, blocking forever.
                    Interlocked.Exchange(ref _sleeping, 1);
                    // A job published after the exchange above finds _sleeping set and releases the semaphore. If one
                    // was published before it, take the flag back; if the owner took it first, consume its release.
                    if (CurrentGeneration != _seen && Interlocked.Exchange(ref _sleeping, 0) == 1)
                        return;
                    _wake.Wait();
                    // The release may be stale (an owner descheduled between publishing a job and waking the workers
                    // can wake this one after it already ran that job), so the loop checks the generation again.
                    deadline = Stopwatch.GetTimestamp() + SpinTicks;
                }
            }
        }
    }
}
