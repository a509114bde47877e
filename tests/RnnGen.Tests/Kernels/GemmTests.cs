using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class GemmTests
{
    private static readonly int[] Sizes = [1, 3, 7, 8, 15, 16, 17, 31, 33, 64];

    // Guard floats around every operand: a kernel that writes outside its span changes them.
    private const int Guard = 9;
    private const float GuardValue = 12345.5f;

    public enum Form { TransposedB, Plain, TransposedA }

    private delegate void Kernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate);

    public static TheoryData<Form, int, bool> FormRowsAndMode()
    {
        var data = new TheoryData<Form, int, bool>();
        foreach (Form form in Enum.GetValues<Form>())
            foreach (int m in Sizes)
            {
                data.Add(form, m, false);
                data.Add(form, m, true);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(FormRowsAndMode))]
    public void Product_SampledSizeCube_MatchesDoubleReference(Form form, int m, bool accumulate)
    {
        var random = new RnnRandom((ulong)(m * 31 + (int)form * 7 + (accumulate ? 1 : 0)));
        // Half the cube: for each (m, n) every other k, shifted so that each k still meets every m and every n.
        int mIndex = Array.IndexOf(Sizes, m);
        for (int nIndex = 0; nIndex < Sizes.Length; nIndex++)
            for (int t = 0; t < Sizes.Length / 2; t++)
                CheckProduct(Public(form), form, m, Sizes[nIndex], Sizes[(mIndex + nIndex + 2 * t) % Sizes.Length], accumulate, ref random);
    }

    // Sizes on both sides of the vector width (8), the micro-panel width (16) and the row tile (6, with tails of 4 and 1).
    private static readonly int[] PanelSizes = [1, 7, 8, 9, 23, 24, 25, 33];

    [Theory]
    [InlineData(Form.TransposedB)]
    [InlineData(Form.Plain)]
    [InlineData(Form.TransposedA)]
    public void Product_PanelEdgeSizeCube_MatchesDoubleReference(Form form)
    {
        var random = new RnnRandom(17 + (ulong)form);
        foreach (int m in PanelSizes)
            foreach (int n in PanelSizes)
                foreach (int k in PanelSizes)
                {
                    CheckProduct(Public(form), form, m, n, k, accumulate: false, ref random);
                    CheckProduct(Public(form), form, m, n, k, accumulate: true, ref random);
                }
    }

    // Above Gemm.SmallRows rows every element of A · B and Aᵀ · B, and of A · Bᵀ when m ≥ n (not flipped), is one FMA
    // chain over p in order from C or zero: the property that lets threads split C anywhere and stay bit-identical. It
    // holds for the AVX2 16-column tiles and for the AVX-512 32-column pair tiles alike (80 and 48 columns mix pairs
    // with a single panel); .ci/run repeats the kernel tests with AVX-512 disabled.
    [Theory]
    [InlineData(Form.Plain, 4, 9, 7)]
    [InlineData(Form.Plain, 33, 25, 600)]
    [InlineData(Form.Plain, 32, 256, 1024)]
    [InlineData(Form.TransposedA, 9, 24, 23)]
    [InlineData(Form.TransposedA, 65, 33, 700)]
    [InlineData(Form.TransposedA, 100, 40, 300)]
    [InlineData(Form.TransposedB, 25, 23, 33)]
    [InlineData(Form.TransposedB, 130, 65, 256)]
    [InlineData(Form.TransposedB, 64, 40, 513)]
    [InlineData(Form.Plain, 13, 80, 37)]
    [InlineData(Form.TransposedA, 50, 48, 64)]
    [InlineData(Form.TransposedA, 300, 40, 700)]
    public void PanelProduct_AnyShape_EqualsSequentialFmaChain(Form form, int m, int n, int k)
    {
        // The portable fallback makes no such promise; it only has to be close (the reference tests above).
        if (!System.Runtime.Intrinsics.X86.Fma.IsSupported)
            return;
        var random = new RnnRandom((ulong)(m * 7 + n * 3 + k));
        float[] a = new float[m * k], b = new float[n * k], c0 = new float[m * n];
        random.FillUniform(a, -1f, 1f);
        random.FillUniform(b, -1f, 1f);
        random.FillUniform(c0, -1f, 1f);
        foreach (bool accumulate in (bool[])[false, true])
        {
            float[] c = (float[])c0.Clone();
            Public(form)(a, b, c, m, n, k, accumulate);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float chain = accumulate ? c0[i * n + j] : 0f;
                    for (int p = 0; p < k; p++)
                    {
                        float x = form == Form.TransposedA ? a[p * m + i] : a[i * k + p];
                        float y = form == Form.TransposedB ? b[j * k + p] : b[p * n + j];
                        chain = MathF.FusedMultiplyAdd(x, y, chain);
                    }
                    Assert.True(chain == c[i * n + j], $"{form} m={m} n={n} k={k} accumulate={accumulate}: C[{i},{j}] = {c[i * n + j]}, chain {chain}");
                }
        }
    }

    [Theory]
    [InlineData(Form.TransposedB, 5, 200, 600)]
    [InlineData(Form.TransposedB, 1, 1030, 520)]
    [InlineData(Form.TransposedB, 7, 9, 1100)]
    [InlineData(Form.Plain, 9, 200, 600)]
    [InlineData(Form.Plain, 1, 420, 1030)]
    [InlineData(Form.Plain, 6, 50, 513)]
    [InlineData(Form.TransposedA, 9, 200, 600)]
    [InlineData(Form.TransposedA, 130, 33, 530)]
    [InlineData(Form.TransposedA, 6, 1, 1024)]
    public void Product_CacheBlockedShapes_MatchesDoubleReference(Form form, int m, int n, int k)
    {
        var random = new RnnRandom((ulong)(m + n + k));
        CheckProduct(Public(form), form, m, n, k, accumulate: false, ref random);
        CheckProduct(Public(form), form, m, n, k, accumulate: true, ref random);
    }

    [Theory]
    [InlineData(Form.TransposedB)]
    [InlineData(Form.Plain)]
    [InlineData(Form.TransposedA)]
    public void PortableProduct_SampledSizes_MatchesDoubleReference(Form form)
    {
        var random = new RnnRandom(99);
        Kernel portable = form switch
        {
            Form.TransposedB => Gemm.TransposedBPortable,
            Form.Plain => Gemm.MultiplyPortable,
            _ => Gemm.TransposedAPortable,
        };
        foreach (int m in (int[])[1, 7, 16, 33])
            foreach (int n in (int[])[1, 8, 17])
                foreach (int k in (int[])[3, 15, 64])
                {
                    CheckProduct(portable, form, m, n, k, accumulate: false, ref random);
                    CheckProduct(portable, form, m, n, k, accumulate: true, ref random);
                }
    }

    [Theory]
    [InlineData(Form.TransposedB, false)]
    [InlineData(Form.TransposedB, true)]
    [InlineData(Form.Plain, false)]
    [InlineData(Form.Plain, true)]
    [InlineData(Form.TransposedA, false)]
    [InlineData(Form.TransposedA, true)]
    public void Product_EmptyInnerDimension_ClearsOrKeepsC(Form form, bool accumulate)
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        Public(form)(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, c, 2, 3, 0, accumulate);
        Assert.Equal(accumulate ? [1f, 2f, 3f, 4f, 5f, 6f] : new float[6], c);
    }

    [Theory]
    [InlineData(Form.TransposedB, "a", 11)]
    [InlineData(Form.TransposedB, "b", 19)]
    [InlineData(Form.TransposedB, "c", 14)]
    [InlineData(Form.Plain, "a", 13)]
    [InlineData(Form.Plain, "b", 21)]
    [InlineData(Form.Plain, "c", 16)]
    [InlineData(Form.TransposedA, "a", 11)]
    [InlineData(Form.TransposedA, "b", 21)]
    [InlineData(Form.TransposedA, "c", 14)]
    public void Product_WrongSpanLength_ThrowsNamingExpectedLength(Form form, string parameter, int length)
    {
        const int m = 3, n = 5, k = 4;
        (int aLength, int bLength) = form switch
        {
            Form.TransposedB => (m * k, n * k),
            Form.Plain => (m * k, k * n),
            _ => (k * m, k * n),
        };
        int expected = parameter switch { "a" => aLength, "b" => bLength, _ => m * n };
        float[] a = new float[parameter == "a" ? length : aLength];
        float[] b = new float[parameter == "b" ? length : bLength];
        float[] c = new float[parameter == "c" ? length : m * n];

        var error = Assert.Throws<ArgumentException>(() => Public(form)(a, b, c, m, n, k, false));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"must have length {expected}", error.Message);
        Assert.Contains($"has length {length}", error.Message);
    }

    [Fact]
    public void Multiply_NegativeDimension_ThrowsOutOfRange()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply([], [], [], 0, 0, -1, false));
        Assert.Equal("k", error.ParamName);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 33)]
    public void AddRowVector_AnyShape_AddsBiasToEveryRow(int rows, int width)
    {
        var random = new RnnRandom(5);
        float[] c = new float[rows * width];
        float[] bias = new float[width];
        random.FillUniform(c, -1f, 1f);
        random.FillUniform(bias, -1f, 1f);
        float[] before = (float[])c.Clone();

        Gemm.AddRowVector(c, bias, rows);

        for (int i = 0; i < c.Length; i++)
            Assert.Equal(before[i] + bias[i % width], c[i]);
    }

    [Fact]
    public void AddRowVector_WrongLength_ThrowsNamingExpectedLength()
    {
        var error = Assert.Throws<ArgumentException>(() => Gemm.AddRowVector(new float[7], new float[3], 2));
        Assert.Equal("c", error.ParamName);
        Assert.Contains("must have length 6", error.Message);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 9)]
    [InlineData(17, 33)]
    public void AccumulateColumnSums_AnyShape_AddsColumnSums(int rows, int width)
    {
        var random = new RnnRandom(6);
        float[] a = new float[rows * width];
        float[] sums = new float[width];
        random.FillUniform(a, -1f, 1f);
        random.FillUniform(sums, -1f, 1f);
        double[] expected = new double[width];
        for (int j = 0; j < width; j++)
        {
            expected[j] = sums[j];
            for (int r = 0; r < rows; r++)
                expected[j] += a[r * width + j];
        }

        Gemm.AccumulateColumnSums(a, sums, rows);

        for (int j = 0; j < width; j++)
            Assert.Equal(expected[j], sums[j], 1e-5);
    }

    // The two-sum form adds to each span exactly what the one-sum form would: the generated backward pass relies on it
    // to give b_ih and b_hh the same gradients as two separate passes did.
    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 33)]
    [InlineData(130, 200)]
    public void AccumulateColumnSums_TwoSums_EachBitIdenticalToOneSum(int rows, int width)
    {
        var random = new RnnRandom((ulong)(rows + 7 * width));
        float[] a = new float[rows * width], sums = new float[width], second = new float[width];
        random.FillUniform(a, -1f, 1f);
        random.FillUniform(sums, -1f, 1f);
        random.FillUniform(second, -3f, 3f);
        float[] expectedSums = (float[])sums.Clone(), expectedSecond = (float[])second.Clone();
        Gemm.AccumulateColumnSums(a, expectedSums, rows);
        Gemm.AccumulateColumnSums(a, expectedSecond, rows);

        Gemm.AccumulateColumnSums(a, sums, second, rows);

        Assert.Equal(expectedSums, sums);
        Assert.Equal(expectedSecond, second);
    }

    [Fact]
    public void AccumulateColumnSums_TwoSumsMismatchedOrOverlapping_ThrowsNamingSecondSums()
    {
        float[] sums = new float[8];
        var shorter = Assert.Throws<ArgumentException>(() => Gemm.AccumulateColumnSums(new float[16], sums.AsSpan(0, 4), new float[3], 4));
        Assert.Equal("secondSums", shorter.ParamName);
        Assert.Contains("must have length 4", shorter.Message);
        var overlapping = Assert.Throws<ArgumentException>(() => Gemm.AccumulateColumnSums(new float[16], sums.AsSpan(0, 4), sums.AsSpan(2, 4), 4));
        Assert.Equal("secondSums", overlapping.ParamName);
        Assert.Contains("must not overlap", overlapping.Message);
        Assert.All(sums, value => Assert.Equal(0f, value));
    }

    [Fact]
    public void AccumulateColumnSums_WrongLength_ThrowsNamingExpectedLength()
    {
        var error = Assert.Throws<ArgumentException>(() => Gemm.AccumulateColumnSums(new float[5], new float[3], 2));
        Assert.Equal("a", error.ParamName);
        Assert.Contains("must have length 6", error.Message);
    }

    private static Kernel Public(Form form) => form switch
    {
        Form.TransposedB => Gemm.MultiplyTransposedB,
        Form.Plain => Gemm.Multiply,
        _ => Gemm.MultiplyTransposedA,
    };

    private static void CheckProduct(Kernel kernel, Form form, int m, int n, int k, bool accumulate, ref RnnRandom random)
    {
        float[] aBuffer = Guarded(m * k, ref random);
        float[] bBuffer = Guarded(n * k, ref random);
        float[] cBuffer = Guarded(m * n, ref random);
        float[] c0 = cBuffer.AsSpan(Guard, m * n).ToArray();

        kernel(aBuffer.AsSpan(Guard, m * k), bBuffer.AsSpan(Guard, n * k), cBuffer.AsSpan(Guard, m * n), m, n, k, accumulate);

        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = form == Form.TransposedA ? aBuffer[Guard + p * m + i] : aBuffer[Guard + i * k + p];
                    double y = form == Form.TransposedB ? bBuffer[Guard + j * k + p] : bBuffer[Guard + p * n + j];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }
                if (accumulate)
                {
                    sum += c0[i * n + j];
                    magnitude += Math.Abs(c0[i * n + j]);
                }
                double actual = cBuffer[Guard + i * n + j];
                Assert.True(Math.Abs(actual - sum) <= 1e-5 * (magnitude + 1),
                    $"{form} m={m} n={n} k={k} accumulate={accumulate}: C[{i},{j}] = {actual}, expected {sum}");
            }
        AssertGuardsIntact(cBuffer, m * n, form, m, n, k);
    }

    private static float[] Guarded(int length, ref RnnRandom random)
    {
        float[] buffer = new float[length + 2 * Guard];
        buffer.AsSpan().Fill(GuardValue);
        random.FillUniform(buffer.AsSpan(Guard, length), -1f, 1f);
        return buffer;
    }

    private static void AssertGuardsIntact(float[] buffer, int length, Form form, int m, int n, int k)
    {
        for (int i = 0; i < Guard; i++)
        {
            Assert.True(buffer[i] == GuardValue && buffer[Guard + length + i] == GuardValue,
                $"{form} m={m} n={n} k={k} wrote outside C");
        }
    }
}
