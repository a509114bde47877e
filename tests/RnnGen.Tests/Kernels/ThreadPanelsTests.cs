using System.Runtime.CompilerServices;
using System.Threading;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class ThreadPanelsTests
{
    [Fact]
    public unsafe void ThreadPanels_CacheLineAligned_ReusedUntilALongerRequest()
    {
        Span<float> first = Gemm.ThreadPanels(1000);
        Assert.Equal(1000, first.Length);
        Assert.Equal(0u, (uint)((nuint)Unsafe.AsPointer(ref first[0]) % 64));
        first[999] = 42f;

        Span<float> shorter = Gemm.ThreadPanels(500);
        Assert.True(Unsafe.AreSame(ref first[0], ref shorter[0]), "a shorter request reuses the thread's buffer");

        Span<float> longer = Gemm.ThreadPanels(5000);
        Assert.Equal(5000, longer.Length);
        Assert.Equal(0u, (uint)((nuint)Unsafe.AsPointer(ref longer[0]) % 64));
    }

    [Fact]
    public unsafe void ThreadPanels_EachThreadHasItsOwn()
    {
        nuint mine = (nuint)Unsafe.AsPointer(ref Gemm.ThreadPanels(4096)[0]);
        nuint other = 0;
        var thread = new Thread(() => other = (nuint)Unsafe.AsPointer(ref Gemm.ThreadPanels(4096)[0]));
        thread.Start();
        thread.Join();

        Assert.NotEqual(0u, (ulong)other);
        Assert.NotEqual(mine, other);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void ThreadPanels_NonPositiveLength_Throws(int length) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.ThreadPanels(length));
}
