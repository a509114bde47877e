namespace RnnGen.Tests;

/// <summary>Proves a steady state allocation-free: one warm-up call, then the bytes allocated on this thread.</summary>
internal static class AllocationMeter
{
    private const int Attempts = 3;

    /// <summary>
    /// Bytes allocated on this thread by <paramref name="calls"/> calls after a warm-up call: the least of three
    /// attempts. A real allocation shows in every attempt. A single attempt has twice counted bytes that did not
    /// repeat (3,632 and 8,032, once each in many full-suite runs; runtime work on the thread such as tiering, not
    /// reproduced alone), so one attempt is not proof of an allocation.
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
