using System;
using System.ComponentModel;
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
public static class AlignedBuffer
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
}
