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
