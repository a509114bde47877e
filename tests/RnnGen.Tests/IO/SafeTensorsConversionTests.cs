using System.Buffers.Binary;
using RnnGen;

namespace RnnGen.Tests.IO;

/// <summary>Reading F16, BF16, F64 and I32 gives exactly what PyTorch's <c>.float()</c> and <c>.long()</c> give.</summary>
public sealed class SafeTensorsConversionTests
{
    private static byte[] Words16(ushort[] bits)
    {
        var bytes = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), bits[i]);
        return bytes;
    }

    private static void AssertBits(uint[] expectedBits, float[] actual)
    {
        Assert.Equal(expectedBits.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(expectedBits[i] == BitConverter.SingleToUInt32Bits(actual[i]), $"element {i}: expected 0x{expectedBits[i]:X8}, got 0x{BitConverter.SingleToUInt32Bits(actual[i]):X8} ({actual[i]})");
    }

    [Fact]
    public void GetSingle_F16_WidensExactlyIncludingSubnormalsInfinitiesAndNaN()
    {
        ushort[] half =
        [
            0x0000, 0x8000, // +0, -0
            0x0001, 0x8001, // smallest subnormal 2^-24, and its negative
            0x03FF,         // largest subnormal 1023 * 2^-24
            0x0400,         // smallest normal 2^-14
            0x3C00, 0xC000, // 1, -2
            0x3555,         // 0.333251953125
            0x7BFF,         // 65504, the largest finite half
            0x7C00, 0xFC00, // +inf, -inf
            0x7E00, 0xFE00, // quiet NaN, negative quiet NaN
        ];
        uint[] expected =
        [
            0x00000000, 0x80000000,
            0x33800000, 0xB3800000,
            0x387FC000,
            0x38800000,
            0x3F800000, 0xC0000000,
            0x3EAAA000,
            0x477FE000,
            0x7F800000, 0xFF800000,
            0x7FC00000, 0xFFC00000,
        ];
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("h", "F16", $"[{half.Length}]", Words16(half)));

        AssertBits(expected, file.GetSingle("h"));
    }

    [Fact]
    public void GetSingle_BF16_IsTheUpperHalfOfFloat32()
    {
        ushort[] bf16 = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0xBFC0, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x7FA0];
        uint[] expected = new uint[bf16.Length];
        for (int i = 0; i < bf16.Length; i++)
            expected[i] = (uint)bf16[i] << 16;
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("b", "BF16", "[3,4]", Words16(bf16)));

        float[] values = file.GetSingle("b");

        AssertBits(expected, values);
        Assert.Equal(9.18355e-41f, values[2]); // bf16 subnormal 2^-133
        Assert.Equal(-1.5f, values[6]);
        Assert.True(float.IsNaN(values[11]));
    }

    [Fact]
    public void GetSingle_F64_RoundsToNearestEvenAndSaturatesToInfinity()
    {
        double[] doubles =
        [
            1.0 / 3.0,
            1 + Math.Pow(2, -24),     // exactly half an ulp above 1: ties to even, 1
            1 + 3 * Math.Pow(2, -24), // ties to even, 1 + 2^-22
            Math.Pow(2, -149),        // smallest float subnormal, exact
            1e-45,                    // rounds to 2^-149
            double.Epsilon,           // underflows to 0
            -double.Epsilon,          // underflows to -0
            1e39, -1e39,              // beyond float range
            double.PositiveInfinity, double.NegativeInfinity,
            double.NaN,
            float.MaxValue,           // exact
            3.4028235677973366e38,    // halfway between float.MaxValue and 2^128: ties to even, +inf
        ];
        uint[] expected =
        [
            0x3EAAAAAB,
            0x3F800000,
            0x3F800002,
            0x00000001,
            0x00000001,
            0x00000000,
            0x80000000,
            0x7F800000, 0xFF800000,
            0x7F800000, 0xFF800000,
            BitConverter.SingleToUInt32Bits((float)double.NaN),
            0x7F7FFFFF,
            0x7F800000,
        ];
        var bytes = new byte[doubles.Length * 8];
        for (int i = 0; i < doubles.Length; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), doubles[i]);
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("d", "F64", $"[{doubles.Length}]", bytes));

        float[] values = file.GetSingle("d");

        AssertBits(expected, values);
        Assert.True(float.IsNaN(values[11]));
    }

    [Fact]
    public void GetSingle_F32_PreservesEveryBitPattern()
    {
        uint[] bits = [0x00000001, 0x807FFFFF, 0x7F7FFFFF, 0x7FC00001, 0xFFFFFFFF, 0x7F800001, 0x80000000];
        var bytes = new byte[bits.Length * 4];
        for (int i = 0; i < bits.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 * i), bits[i]);
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("f", "F32", $"[{bits.Length}]", bytes));

        AssertBits(bits, file.GetSingle("f"));
    }

    [Fact]
    public void GetInt64_I32_SignExtends()
    {
        int[] ints = [0, 1, -1, int.MaxValue, int.MinValue];
        var bytes = new byte[ints.Length * 4];
        for (int i = 0; i < ints.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), ints[i]);
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("i", "I32", "[5]", bytes));

        Assert.Equal(new long[] { 0, 1, -1, int.MaxValue, int.MinValue }, file.GetInt64("i"));
    }

    [Fact]
    public void GetSingle_IntegerTensor_ThrowsFormatExceptionNamingDType()
    {
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("count", "I64", "[]", new byte[8]));

        var error = Assert.Throws<SafeTensorsFormatException>(() => file.GetSingle("count"));
        Assert.Contains("'count'", error.Message, StringComparison.Ordinal);
        Assert.Contains("I64", error.Message, StringComparison.Ordinal);
        Assert.Equal("count", error.TensorName);
    }

    [Fact]
    public void GetInt64_FloatTensor_ThrowsFormatExceptionNamingDType()
    {
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("w", "BF16", "[1]", new byte[2]));

        var error = Assert.Throws<SafeTensorsFormatException>(() => file.GetInt64("w"));
        Assert.Contains("BF16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetSingle_MissingName_ThrowsFormatExceptionNamingIt()
    {
        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.SingleTensorFile("w", "F32", "[1]", new byte[4]));

        var error = Assert.Throws<SafeTensorsFormatException>(() => file.GetSingle("bias"));
        Assert.Contains("no tensor 'bias'", error.Message, StringComparison.Ordinal);
    }
}
