using System;
using System.ComponentModel;
using System.IO;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnGen.Kernels;

/// <summary>
/// Float buffers whose usable part starts on an alignment boundary: the packed weight copies (a cache line) and the
/// workspaces of generated models (a page).
/// </summary>
/// <remarks>
/// An array's data is only 8-byte aligned. At the wrong offset every other 32-byte load, and most 64-byte ones, straddle
/// two cache lines; and when two threads work on neighbouring rows of one buffer, a page shared at the edge lets one
/// core's prefetcher pull in lines the other is writing. The array is pinned, so the aligned start never moves.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static partial class AlignedBuffer
{
    /// <summary>A page: generated models start their workspace on one.</summary>
    public const int PageBytes = 4096;

    /// <summary>A cache line: packed weight copies start on one.</summary>
    public const int CacheLineBytes = 64;

    /// <summary>
    /// Allocates a pinned array with room for <paramref name="length"/> floats from <paramref name="start"/>, the first
    /// index whose address is a multiple of <paramref name="alignmentBytes"/>.
    /// </summary>
    /// <param name="length">Floats needed, at least 1.</param>
    /// <param name="alignmentBytes">A power of two from 4 to <see cref="PageBytes"/>.</param>
    /// <param name="start">Receives the index where the aligned floats begin.</param>
    /// <returns>The array; use elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is not positive or too large, or <paramref name="alignmentBytes"/> is not a power of two in [4, <see cref="PageBytes"/>].</exception>
    public static unsafe float[] Allocate(int length, int alignmentBytes, out int start)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (alignmentBytes < sizeof(float) || alignmentBytes > PageBytes || !BitOperations.IsPow2(alignmentBytes))
            throw new ArgumentOutOfRangeException(nameof(alignmentBytes), alignmentBytes, $"'{nameof(alignmentBytes)}' must be a power of two in [4, {PageBytes}].");
        int padding = alignmentBytes / sizeof(float) - 1;
        if (length > Array.MaxLength - padding)
            throw new ArgumentOutOfRangeException(nameof(length), length, "The buffer and its alignment padding do not fit in one array.");
        float[] buffer = GC.AllocateArray<float>(length + padding, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        start = (int)(((nuint)alignmentBytes - address % (nuint)alignmentBytes) % (nuint)alignmentBytes / sizeof(float));
        return buffer;
    }

    // A transparent huge page on x64 Linux.
    internal const int HugePageBytes = 2 * 1024 * 1024;

    private const int MadviseHugePage = 14;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static unsafe partial int Madvise(void* address, nuint length, int advice);

    // Whether the kernel hands out transparent huge pages to memory that asks for them ("always" or "madvise").
    internal static readonly bool HugePagesOffered = OperatingSystem.IsLinux() && HugePagesEnabled();

    private static bool HugePagesEnabled()
    {
        try
        {
            string mode = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
            return mode.Contains("[always]", StringComparison.Ordinal) || mode.Contains("[madvise]", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Buffers from half an L2 up that a kernel streams whole from the L2 again and again.
    private const long StreamedOnHugePagesBytes = 1024 * 1024;

    // A buffer that a kernel reads whole on every call (a packed weight copy): on a cache line, and from 1 MiB on huge
    // pages where the OS offers them, at the cost of the memory up to the next 2 MiB boundary.
    internal static float[] AllocateStreamed(int length, out int start) =>
        (long)length * sizeof(float) >= StreamedOnHugePagesBytes
            ? AllocateOnHugePages(length, out start)
            : Allocate(length, CacheLineBytes, out start);

    // Floats of zeroed memory starting on a huge page that the kernel is asked to back with huge pages (whole ones:
    // the array covers the length rounded up to a huge page, plus one for the alignment), so the buffer's physical
    // memory is contiguous. A weight copy streamed from the L2 on every step then spreads evenly over the L2's sets:
    // on 4 KiB pages, after other processes had churned the machine's memory, the H=256 step's 1.15 MiB stream took
    // 35–42 µs against 14–19 µs on a huge page, alternating in one process. Where huge pages are not offered, or for
    // a buffer too large for one array, it is a cache-line-aligned buffer.
    internal static unsafe float[] AllocateOnHugePages(int length, out int start)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        long covered = ((long)length * sizeof(float) + HugePageBytes - 1) / HugePageBytes * HugePageBytes;
        long floats = (covered + HugePageBytes) / sizeof(float);
        if (!HugePagesOffered || floats > Array.MaxLength)
            return Allocate(length, CacheLineBytes, out start);
        // Uninitialised, so that no page of the aligned range is touched before the advice; cleared right after.
        float[] buffer = GC.AllocateUninitializedArray<float>((int)floats, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        nuint aligned = (address + HugePageBytes - 1) & ~(nuint)(HugePageBytes - 1);
        start = (int)((aligned - address) / sizeof(float));
        Advise((void*)aligned, (nuint)covered);
        buffer.AsSpan(start, length).Clear();
        return buffer;
    }

    // Advice only: if the kernel declines, or a C library without madvise is loaded, the buffer works the same on
    // small pages.
    private static unsafe void Advise(void* address, nuint length)
    {
        try
        {
            _ = Madvise(address, length, MadviseHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }
}
