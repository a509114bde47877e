namespace RnnGen.Tests;

/// <summary>Proves a steady state allocation-free: one warm-up call, then the bytes allocated on this thread.</summary>
internal static class AllocationMeter
{
    private const int Attempts = 3;

    /// <summary>
    /// Bytes allocated on this thread by <paramref name="calls"/> calls after a warm-up call: the least of three
    /// attempts. A real allocation shows in every attempt; a garbage collection triggered by a concurrently running
    /// test can shift the thread's allocation counter by the unused rest of its allocation context (seen: 3,632 and
    /// 8,032 bytes, once each in many runs), so a single attempt is not proof of an allocation.
    /// </summary>
    public static long Measure(Action action, int calls = 20)
    {
        action();
        long least = long.MaxValue;
        for (int attempt = 0; attempt < Attempts && least != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
                action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
