using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class AlignedBufferTests
{
    [Theory]
    [InlineData(1, 4)]
    [InlineData(17, 64)]
    [InlineData(1000, 64)]
    [InlineData(1, AlignedBuffer.PageBytes)]
    [InlineData(300_000, AlignedBuffer.PageBytes)]
    public unsafe void Allocate_StartsOnTheBoundaryWithRoomForTheLength(int length, int alignment)
    {
        for (int attempt = 0; attempt < 8; attempt++)
        {
            float[] buffer = AlignedBuffer.Allocate(length, alignment, out int start);

            nuint address = (nuint)Unsafe.AsPointer(ref buffer[start]);
            Assert.Equal(0u, (uint)(address % (nuint)alignment));
            Assert.InRange(start, 0, alignment / sizeof(float) - 1);
            Assert.True(buffer.Length - start >= length);
            Assert.All(buffer, value => Assert.Equal(0f, value));
        }
    }

    [Fact]
    public unsafe void Allocate_ArrayIsPinned_TheStartSurvivesACollection()
    {
        float[] buffer = AlignedBuffer.Allocate(100_000, AlignedBuffer.PageBytes, out int start);
        nuint before = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        nuint after = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));

        Assert.Equal(before, after);
        Assert.Equal(0u, (uint)((nuint)Unsafe.AsPointer(ref buffer[start]) % AlignedBuffer.PageBytes));
    }

    // Where the OS offers transparent huge pages (this project's Linux machines do) the buffer starts on one; elsewhere
    // it falls back to a cache line. Either way the length fits, the array is pinned and the usable part is zero.
    [Theory]
    [InlineData(1)]
    [InlineData(300_000)]
    [InlineData(524_289)]
    public unsafe void AllocateOnHugePages_StartsOnAHugePageWhereOffered(int length)
    {
        float[] buffer = AlignedBuffer.AllocateOnHugePages(length, out int start);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        nuint address = (nuint)Unsafe.AsPointer(ref buffer[start]);
        int alignment = AlignedBuffer.HugePagesOffered ? AlignedBuffer.HugePageBytes : AlignedBuffer.CacheLineBytes;
        Assert.Equal(0u, (uint)(address % (nuint)alignment));
        Assert.True(buffer.Length - start >= length);
        Assert.All(buffer.AsSpan(start, length).ToArray(), value => Assert.Equal(0f, value));
    }

    [Theory]
    [InlineData(262_143, false)]
    [InlineData(262_144, true)]
    public unsafe void AllocateStreamed_HugePagesFromOneMebibyte(int length, bool onHugePages)
    {
        float[] buffer = AlignedBuffer.AllocateStreamed(length, out int start);

        nuint address = (nuint)Unsafe.AsPointer(ref buffer[start]);
        Assert.Equal(0u, (uint)(address % AlignedBuffer.CacheLineBytes));
        if (onHugePages && AlignedBuffer.HugePagesOffered)
            Assert.Equal(0u, (uint)(address % AlignedBuffer.HugePageBytes));
        else
            Assert.True(buffer.Length - start < length + AlignedBuffer.CacheLineBytes / sizeof(float), "a small buffer is not padded to a huge page");
        Assert.True(buffer.Length - start >= length);
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(-1, 64)]
    [InlineData(10, 0)]
    [InlineData(10, 2)]
    [InlineData(10, 48)]
    [InlineData(10, 2 * AlignedBuffer.PageBytes)]
    [InlineData(int.MaxValue, 64)]
    public void Allocate_InvalidArguments_Throw(int length, int alignment) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedBuffer.Allocate(length, alignment, out _));
}
