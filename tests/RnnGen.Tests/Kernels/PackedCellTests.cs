using System.Linq;
using System.Runtime.Intrinsics;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

/// <summary>
/// The packed batch-1 kernels against the unpacked path they replace (row-major GEMM, then the cell kernels), at
/// sizes on both sides of the 8-lane vectors and the 16-unit panels.
/// </summary>
public sealed class PackedCellTests
{
    // Summation order differs from the GEMM's, so agreement is to float rounding, not bit for bit.
    private const double Tolerance = 2e-5;

    public static TheoryData<int, int> InputAndHiddenSizes()
    {
        var data = new TheoryData<int, int>();
        foreach ((int input, int hidden) in new[] { (1, 1), (3, 7), (5, 8), (4, 9), (8, 15), (8, 16), (7, 17), (32, 23), (16, 24), (33, 25), (9, 31), (32, 64), (32, 129) })
            data.Add(input, hidden);
        return data;
    }

    [Theory]
    [MemberData(nameof(InputAndHiddenSizes))]
    public void LstmStep_AnyShape_MatchesGemmAndCell(int inputSize, int hidden)
    {
        Lstm lstm = Lstm.Create(inputSize, hidden, hidden, seed: (ulong)(inputSize * 1000 + hidden));
        float[] cExpected = (float[])lstm.CPrev.Clone(), hExpected = new float[hidden];
        lstm.Reference(cExpected, hExpected, out _);
        float[] c = (float[])lstm.CPrev.Clone(), h = new float[hidden];

        PackedCell.LstmStep(lstm.PackedIh, lstm.X, lstm.PackedHh, lstm.HPrev, c, h, inputSize, hidden, hidden);

        CellTestMath.AssertClose(CellTestMath.ToDouble(cExpected), c, Tolerance, "c");
        CellTestMath.AssertClose(CellTestMath.ToDouble(hExpected), h, Tolerance, "h");
    }

    [Theory]
    [InlineData(4, 9, 5)]
    [InlineData(8, 32, 16)]
    [InlineData(3, 20, 1)]
    public void LstmStep_Projection_ReadsTheProjectedState(int inputSize, int hidden, int projection)
    {
        Lstm lstm = Lstm.Create(inputSize, hidden, projection, seed: 11);
        float[] cExpected = (float[])lstm.CPrev.Clone(), hExpected = new float[hidden];
        lstm.Reference(cExpected, hExpected, out _);
        float[] c = (float[])lstm.CPrev.Clone(), h = new float[hidden];

        PackedCell.LstmStep(lstm.PackedIh, lstm.X, lstm.PackedHh, lstm.HPrev, c, h, inputSize, hidden, projection);

        CellTestMath.AssertClose(CellTestMath.ToDouble(cExpected), c, Tolerance, "c");
        CellTestMath.AssertClose(CellTestMath.ToDouble(hExpected), h, Tolerance, "h");
    }

    [Theory]
    [MemberData(nameof(InputAndHiddenSizes))]
    public void LstmForward_AnyShape_LeavesTheActivationsTheCellWould(int inputSize, int hidden)
    {
        Lstm lstm = Lstm.Create(inputSize, hidden, hidden, seed: (ulong)(inputSize * 7 + hidden));
        float[] cExpected = new float[hidden], hExpected = new float[hidden];
        lstm.Reference(cExpected, hExpected, out float[] gatesExpected, cPrev: lstm.CPrev);
        float[] gates = lstm.InputProjection();
        float[] c = new float[hidden], h = new float[hidden];

        PackedCell.LstmForward(gates, lstm.PackedHh, lstm.HPrev, lstm.CPrev, c, h, hidden, hidden);

        CellTestMath.AssertClose(CellTestMath.ToDouble(gatesExpected), gates, Tolerance, "gates");
        CellTestMath.AssertClose(CellTestMath.ToDouble(cExpected), c, Tolerance, "c");
        CellTestMath.AssertClose(CellTestMath.ToDouble(hExpected), h, Tolerance, "h");
    }

    [Theory]
    [MemberData(nameof(InputAndHiddenSizes))]
    public void GruStep_AnyShape_MatchesGemmAndCell(int inputSize, int hidden)
    {
        Gru gru = Gru.Create(inputSize, hidden, seed: (ulong)(inputSize * 31 + hidden));
        float[] hExpected = new float[hidden];
        gru.Reference(hExpected, out _, out _);
        float[] h = new float[hidden];

        PackedCell.GruStep(gru.PackedIh, gru.X, gru.PackedHh, gru.HPrev, h, inputSize, hidden);

        CellTestMath.AssertClose(CellTestMath.ToDouble(hExpected), h, Tolerance, "h");
    }

    [Theory]
    [MemberData(nameof(InputAndHiddenSizes))]
    public void GruForward_AnyShape_LeavesWhatTheBackwardPassReads(int inputSize, int hidden)
    {
        Gru gru = Gru.Create(inputSize, hidden, seed: (ulong)(inputSize * 13 + hidden));
        float[] hExpected = new float[hidden];
        gru.Reference(hExpected, out float[] gatesExpected, out float[] ghExpected);
        float[] gx = gru.InputProjection();
        float[] candidate = new float[hidden], h = new float[hidden];

        PackedCell.GruForward(gx, candidate, gru.PackedHh, gru.HPrev, h, hidden);

        CellTestMath.AssertClose(CellTestMath.ToDouble(gatesExpected), gx, Tolerance, "gates");
        CellTestMath.AssertClose(CellTestMath.ToDouble(ghExpected.AsSpan(2 * hidden).ToArray()), candidate, Tolerance, "gh_n");
        CellTestMath.AssertClose(CellTestMath.ToDouble(hExpected), h, Tolerance, "h");
    }

    [Theory]
    [InlineData(4, 1, 1, 1)]
    [InlineData(4, 3, 7, 5)]
    [InlineData(3, 5, 9, 8)]
    [InlineData(4, 2, 17, 33)]
    [InlineData(3, 64, 23, 32)]
    [InlineData(4, 7, 16, 3)]
    [InlineData(3, 13, 32, 9)]
    public void ProjectInputs_AnyShape_MatchesGemmPlusBias(int gateCount, int rows, int hidden, int inputSize)
    {
        var random = new RnnRandom((ulong)(gateCount * 100 + hidden));
        float[] weight = CellTestMath.Uniform(gateCount * hidden * inputSize, -0.5f, 0.5f, ref random);
        float[] bias = CellTestMath.Uniform(gateCount * hidden, -0.5f, 0.5f, ref random);
        float[] x = CellTestMath.Uniform(rows * inputSize, -1f, 1f, ref random);
        float[] expected = new float[rows * gateCount * hidden];
        Gemm.MultiplyTransposedB(x, weight, expected, rows, gateCount * hidden, inputSize, false);
        Gemm.AddRowVector(expected, bias, rows);
        float[] packed = new float[PackedCell.PackedLength(gateCount, hidden, inputSize)];
        PackedCell.Pack(weight, bias, packed, gateCount, hidden, inputSize);
        float[] gates = new float[expected.Length];

        PackedCell.ProjectInputs(packed, x, gates, rows, gateCount, hidden, inputSize);

        CellTestMath.AssertClose(CellTestMath.ToDouble(expected), gates, Tolerance, "gates");
    }

    // The six-row groups run on AVX2, or on AVX-512 in gate pairs (a GRU's third gate alone) where Vector512 is
    // accelerated, after eight-row groups (gate pairs, and a GRU's third gate alone); .ci/run repeats the kernel tests
    // with AVX-512 off. 17 rows take an eight-row group, a six-row group and three single rows on AVX-512.
    [Theory]
    [InlineData(4, 32, 32)]
    [InlineData(3, 33, 7)]
    [InlineData(4, 40, 1)]
    public void ProjectInputs_RowGroups_EqualOneRowAtATimeBitForBit(int gateCount, int hidden, int inputSize)
    {
        const int Rows = 17;
        var random = new RnnRandom((ulong)(gateCount * 1000 + hidden));
        float[] weight = CellTestMath.Uniform(gateCount * hidden * inputSize, -0.5f, 0.5f, ref random);
        float[] bias = CellTestMath.Uniform(gateCount * hidden, -0.5f, 0.5f, ref random);
        float[] x = CellTestMath.Uniform(Rows * inputSize, -1f, 1f, ref random);
        float[] packed = new float[PackedCell.PackedLength(gateCount, hidden, inputSize)];
        PackedCell.Pack(weight, bias, packed, gateCount, hidden, inputSize);
        int width = gateCount * hidden;
        float[] grouped = new float[Rows * width], single = new float[Rows * width];

        PackedCell.ProjectInputs(packed, x, grouped, Rows, gateCount, hidden, inputSize);
        for (int r = 0; r < Rows; r++)
            PackedCell.ProjectInputs(packed, x.AsSpan(r * inputSize, inputSize), single.AsSpan(r * width, width), 1, gateCount, hidden, inputSize);

        Assert.Equal(single, grouped);
    }

    // Where AVX-512 runs, a whole panel's activations and state update take 16 lanes at once; the 8-lane finishes
    // still serve a partial last panel and other CPUs, so the two must agree exactly.
    [Fact]
    public void PanelFinishes_SixteenLanes_EqualTwoEightLaneFinishesBitForBit()
    {
        if (!WideVectors.IsAccelerated)
            return;
        const int Units = 16;
        var random = new RnnRandom(77);
        for (int trial = 0; trial < 200; trial++)
        {
            float scale = trial % 4 == 3 ? 30f : 4f;
            float[] pre = Enumerable.Range(0, 4 * Units).Select(_ => (random.NextSingle() * 2 - 1) * scale).ToArray();
            if (trial == 0)
                pre[3] = float.NaN;
            float[] previous = Enumerable.Range(0, Units).Select(_ => (random.NextSingle() * 2 - 1) * scale).ToArray();
            Vector512<float> Wide(int gate) => Vector512.Create(pre.AsSpan(gate * Units, Units));
            Vector256<float> Narrow(int gate, int half) => Vector256.Create(pre.AsSpan(gate * Units + half * 8, 8));

            foreach (bool stepMode in (bool[])[false, true])
            {
                float[] wideGates = new float[4 * Units], wideC = new float[Units], wideH = new float[Units];
                float[] gates = new float[4 * Units], c = new float[Units], h = new float[Units];
                PackedCell.LstmFinishPanel(Wide(0), Wide(1), Wide(2), Wide(3), ref wideGates[0], ref previous[0], ref wideC[0], ref wideH[0], Units, 0, stepMode);
                for (int half = 0; half < 2; half++)
                    PackedCell.LstmFinish(Narrow(0, half), Narrow(1, half), Narrow(2, half), Narrow(3, half), ref gates[0], ref previous[0], ref c[0], ref h[0], Units, half * 8, stepMode);
                Assert.Equal(Bits(gates), Bits(wideGates));
                Assert.Equal(Bits(c), Bits(wideC));
                Assert.Equal(Bits(h), Bits(wideH));

                float[] wideGx = new float[3 * Units], wideCandidate = new float[Units];
                float[] gx = new float[3 * Units], candidate = new float[Units];
                Array.Clear(wideH);
                Array.Clear(h);
                PackedCell.GruFinishPanel(Wide(0), Wide(1), Wide(2), Wide(3), ref wideGx[0], ref wideCandidate[0], ref previous[0], ref wideH[0], Units, 0, stepMode);
                for (int half = 0; half < 2; half++)
                    PackedCell.GruFinish(Narrow(0, half), Narrow(1, half), Narrow(2, half), Narrow(3, half), ref gx[0], ref candidate[0], ref previous[0], ref h[0], Units, half * 8, stepMode);
                Assert.Equal(Bits(gx), Bits(wideGx));
                Assert.Equal(Bits(candidate), Bits(wideCandidate));
                Assert.Equal(Bits(h), Bits(wideH));
            }
        }
    }

    // Where AVX-512 runs, whole panels stream sixteen lanes wide and a partial last panel in 8-lane halves; other CPUs
    // take the halves everywhere. The shapes mix full panels, partial ones and a projected recurrent input.
    [Theory]
    [InlineData(32, 16, 16)]
    [InlineData(7, 33, 33)]
    [InlineData(32, 64, 64)]
    [InlineData(5, 40, 40)]
    [InlineData(3, 48, 20)]
    [InlineData(32, 129, 129)]
    public void PanelSteps_SixteenLanes_EqualEightLaneHalvesBitForBit(int inputSize, int hidden, int recurrent)
    {
        if (!WideVectors.IsAccelerated)
            return;
        Lstm lstm = Lstm.Create(inputSize, hidden, recurrent, seed: (ulong)(inputSize * 3 + hidden));
        foreach (bool stepMode in (bool[])[false, true])
        {
            float[][] results = new float[2][];
            foreach (bool wide in (bool[])[false, true])
            {
                float[] gates = stepMode ? [] : lstm.InputProjection();
                float[] c = new float[hidden], h = new float[hidden];
                PackedCell.Lstm(stepMode ? lstm.PackedIh : default, stepMode ? lstm.X : default, gates, lstm.PackedHh, lstm.HPrev, lstm.CPrev, c, h,
                    hidden, stepMode ? inputSize : 0, recurrent, wide, reversePanels: false);
                results[wide ? 1 : 0] = [.. gates, .. c, .. h];
            }
            Assert.Equal(Bits(results[0]), Bits(results[1]));
        }

        Gru gru = Gru.Create(inputSize, hidden, seed: (ulong)(inputSize * 5 + hidden));
        foreach (bool stepMode in (bool[])[false, true])
        {
            float[][] results = new float[2][];
            foreach (bool wide in (bool[])[false, true])
            {
                float[] gx = stepMode ? [] : gru.InputProjection();
                float[] candidate = stepMode ? [] : new float[hidden], h = new float[hidden];
                PackedCell.Gru(stepMode ? gru.PackedIh : default, stepMode ? gru.X : default, gx, candidate, gru.PackedHh, gru.HPrev, h,
                    hidden, stepMode ? inputSize : 0, wide, reversePanels: false);
                results[wide ? 1 : 0] = [.. gx, .. candidate, .. h];
            }
            Assert.Equal(Bits(results[0]), Bits(results[1]));
        }
    }

    // Every panel reads the whole previous state and writes only its own units, so the order panels stream in
    // cannot change a bit of the result.
    [Theory]
    [MemberData(nameof(InputAndHiddenSizes))]
    public void ReversedPanels_AnyShape_SameResultsBitForBit(int inputSize, int hidden)
    {
        Lstm lstm = Lstm.Create(inputSize, hidden, hidden, seed: (ulong)(inputSize * 17 + hidden));
        Gru gru = Gru.Create(inputSize, hidden, seed: (ulong)(inputSize * 19 + hidden));
        float[][] results = new float[2][];
        foreach (bool reverse in (bool[])[false, true])
        {
            float[] stepC = (float[])lstm.CPrev.Clone(), stepH = new float[hidden];
            PackedCell.LstmStep(lstm.PackedIh, lstm.X, lstm.PackedHh, lstm.HPrev, stepC, stepH, inputSize, hidden, hidden, reverse);
            float[] gates = lstm.InputProjection(), c = new float[hidden], h = new float[hidden];
            PackedCell.LstmForward(gates, lstm.PackedHh, lstm.HPrev, lstm.CPrev, c, h, hidden, hidden, reverse);
            float[] gruStepH = new float[hidden];
            PackedCell.GruStep(gru.PackedIh, gru.X, gru.PackedHh, gru.HPrev, gruStepH, inputSize, hidden, reverse);
            float[] gx = gru.InputProjection(), candidate = new float[hidden], gruH = new float[hidden];
            PackedCell.GruForward(gx, candidate, gru.PackedHh, gru.HPrev, gruH, hidden, reverse);
            results[reverse ? 1 : 0] = [.. stepC, .. stepH, .. gates, .. c, .. h, .. gruStepH, .. gx, .. candidate, .. gruH];
        }
        Assert.Equal(Bits(results[0]), Bits(results[1]));
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData(3, 7)]
    [InlineData(5, 17)]
    [InlineData(32, 33)]
    public void PortablePaths_MatchTheVectorKernels(int inputSize, int hidden)
    {
        Lstm lstm = Lstm.Create(inputSize, hidden, hidden, seed: 41);
        float[] c = (float[])lstm.CPrev.Clone(), h = new float[hidden];
        float[] cPortable = (float[])lstm.CPrev.Clone(), hPortable = new float[hidden];
        PackedCell.LstmStep(lstm.PackedIh, lstm.X, lstm.PackedHh, lstm.HPrev, c, h, inputSize, hidden, hidden);
        PackedCell.LstmPortable(lstm.PackedIh, lstm.X, default, lstm.PackedHh, lstm.HPrev, cPortable, cPortable, hPortable, hidden, inputSize, hidden);
        CellTestMath.AssertClose(CellTestMath.ToDouble(c), cPortable, Tolerance, "LSTM c");
        CellTestMath.AssertClose(CellTestMath.ToDouble(h), hPortable, Tolerance, "LSTM h");

        float[] gates = lstm.InputProjection(), gatesPortable = lstm.InputProjection();
        PackedCell.LstmForward(gates, lstm.PackedHh, lstm.HPrev, lstm.CPrev, c, h, hidden, hidden);
        PackedCell.LstmPortable(default, default, gatesPortable, lstm.PackedHh, lstm.HPrev, lstm.CPrev, cPortable, hPortable, hidden, 0, hidden);
        CellTestMath.AssertClose(CellTestMath.ToDouble(gates), gatesPortable, Tolerance, "LSTM gates");

        Gru gru = Gru.Create(inputSize, hidden, seed: 42);
        float[] gx = gru.InputProjection(), gxPortable = gru.InputProjection();
        float[] candidate = new float[hidden], candidatePortable = new float[hidden];
        PackedCell.GruForward(gx, candidate, gru.PackedHh, gru.HPrev, h, hidden);
        PackedCell.GruPortable(default, default, gxPortable, candidatePortable, gru.PackedHh, gru.HPrev, hPortable, hidden, 0);
        CellTestMath.AssertClose(CellTestMath.ToDouble(gx), gxPortable, Tolerance, "GRU gates");
        CellTestMath.AssertClose(CellTestMath.ToDouble(candidate), candidatePortable, Tolerance, "GRU gh_n");
        CellTestMath.AssertClose(CellTestMath.ToDouble(h), hPortable, Tolerance, "GRU h");

        float[] projected = new float[2 * 3 * hidden], projectedPortable = new float[projected.Length];
        float[] rows = [.. gru.X, .. gru.X];
        PackedCell.ProjectInputs(gru.PackedIh, rows, projected, 2, 3, hidden, inputSize);
        PackedCell.ProjectInputsPortable(gru.PackedIh, rows, projectedPortable, 2, 3, hidden, inputSize);
        CellTestMath.AssertClose(CellTestMath.ToDouble(projected), projectedPortable, Tolerance, "projection");
    }

    [Theory]
    [InlineData(4, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(4, 8, 8)]
    [InlineData(4, 16, 16)]
    [InlineData(3, 17, 9)]
    [InlineData(4, 24, 33)]
    [InlineData(3, 33, 64)]
    public void Pack_AnyShape_FollowsThePanelLayout(int gateCount, int hidden, int columns)
    {
        var random = new RnnRandom((ulong)(gateCount * 1000 + hidden * 10 + columns));
        float[] weight = CellTestMath.Uniform(gateCount * hidden * columns, -1f, 1f, ref random);
        float[] bias = CellTestMath.Uniform(gateCount * hidden, -1f, 1f, ref random);
        float[] packed = new float[PackedCell.PackedLength(gateCount, hidden, columns)];
        packed.AsSpan().Fill(float.NaN);

        PackedCell.Pack(weight, bias, packed, gateCount, hidden, columns);

        int rowWidth = gateCount * PackedCell.PanelUnits;
        for (int i = 0; i < packed.Length; i++)
        {
            int panel = i / ((columns + 1) * rowWidth), row = i / rowWidth % (columns + 1), gate = i % rowWidth / PackedCell.PanelUnits;
            int unit = panel * PackedCell.PanelUnits + i % PackedCell.PanelUnits;
            float expected = unit >= hidden ? 0f : row == 0 ? bias[gate * hidden + unit] : weight[(gate * hidden + unit) * columns + row - 1];
            Assert.True(expected.Equals(packed[i]), $"packed[{i}] (panel {panel}, row {row}, gate {gate}, unit {unit}) = {packed[i]}, expected {expected}");
        }
    }

    [Fact]
    public void Pack_NoBias_PacksZeroBiasRows()
    {
        var random = new RnnRandom(5);
        float[] weight = CellTestMath.Uniform(4 * 9 * 3, -1f, 1f, ref random);
        float[] withZeros = new float[PackedCell.PackedLength(4, 9, 3)], withoutBias = new float[withZeros.Length];

        PackedCell.Pack(weight, new float[4 * 9], withZeros, 4, 9, 3);
        PackedCell.Pack(weight, default, withoutBias, 4, 9, 3);

        Assert.Equal(withZeros, withoutBias);
    }

    // Shapes on both sides of the 8-lane halves, the 16-output panels and the eight partial sums per output.
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(8, 8)]
    [InlineData(16, 16)]
    [InlineData(17, 9)]
    [InlineData(20, 3)]
    [InlineData(32, 64)]
    [InlineData(33, 65)]
    [InlineData(65, 256)]
    public void Dense_AnyShape_MatchesGemmPlusBias(int outputs, int inputs)
    {
        Linear linear = Linear.Create(outputs, inputs, seed: (ulong)(outputs * 1000 + inputs));
        float[] expected = new float[outputs], y = new float[outputs], portable = new float[outputs];
        Gemm.MultiplyTransposedB(linear.X, linear.Weight, expected, 1, outputs, inputs, false);
        Gemm.AddRowVector(expected, linear.Bias, 1);

        PackedCell.Dense(linear.Packed, linear.X, y, outputs, inputs);
        PackedCell.DensePortable(linear.Packed, linear.X, portable, outputs, inputs);

        CellTestMath.AssertClose(CellTestMath.ToDouble(expected), y, Tolerance, "y");
        CellTestMath.AssertClose(CellTestMath.ToDouble(expected), portable, Tolerance, "portable y");
    }

    // Where AVX-512 runs, a panel takes sixteen lanes at once; the 8-lane halves serve other CPUs and must agree exactly.
    [Theory]
    [InlineData(16, 8)]
    [InlineData(33, 65)]
    [InlineData(9, 13)]
    [InlineData(48, 7)]
    public void Dense_SixteenLanes_EqualEightLaneHalvesBitForBit(int outputs, int inputs)
    {
        if (!WideVectors.IsAccelerated)
            return;
        Linear linear = Linear.Create(outputs, inputs, seed: (ulong)(outputs * 7 + inputs));
        float[] wide = new float[outputs], halves = new float[outputs];

        PackedCell.Dense(linear.Packed, linear.X, wide, outputs, inputs, widePanels: true);
        PackedCell.Dense(linear.Packed, linear.X, halves, outputs, inputs, widePanels: false);

        Assert.Equal(Bits(halves), Bits(wide));
    }

    [Fact]
    public void Dense_WrongShapesOrAliasing_Throw()
    {
        Linear linear = Linear.Create(9, 12, seed: 4);

        Assert.Throws<ArgumentException>(() => PackedCell.Dense(linear.Packed, new float[11], new float[9], 9, 12));
        Assert.Throws<ArgumentException>(() => PackedCell.Dense(linear.Packed, linear.X, new float[8], 9, 12));
        Assert.Throws<ArgumentException>(() => PackedCell.Dense(linear.Packed.AsSpan(1), linear.X, new float[9], 9, 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedCell.Dense(linear.Packed, linear.X, new float[9], 0, 12));
        float[] shared = new float[21];
        ArgumentException aliasing = Assert.Throws<ArgumentException>(() => PackedCell.Dense(linear.Packed, shared.AsSpan(0, 12), shared.AsSpan(10, 9), 9, 12));
        Assert.Equal("y", aliasing.ParamName);
    }

    [Fact]
    public void Arguments_WrongShapesOrAliasing_Throw()
    {
        Lstm lstm = Lstm.Create(4, 8, 8, seed: 3);
        float[] c = new float[8], h = new float[8];

        Assert.Throws<ArgumentOutOfRangeException>(() => PackedCell.PackedLength(4, 0, 3));
        Assert.Throws<ArgumentException>(() => PackedCell.Pack(new float[10], default, new float[PackedCell.PackedLength(4, 8, 4)], 4, 8, 4));
        Assert.Throws<ArgumentException>(() => PackedCell.Pack(new float[4 * 8 * 4], new float[3], new float[PackedCell.PackedLength(4, 8, 4)], 4, 8, 4));
        Assert.Throws<ArgumentException>(() => PackedCell.LstmStep(lstm.PackedIh, new float[3], lstm.PackedHh, lstm.HPrev, c, h, 4, 8, 8));
        Assert.Throws<ArgumentException>(() => PackedCell.LstmStep(lstm.PackedHh, lstm.X, lstm.PackedHh, lstm.HPrev, c, h, 4, 8, 8));
        float[] state = (float[])lstm.HPrev.Clone();
        ArgumentException aliasing = Assert.Throws<ArgumentException>(() => PackedCell.LstmStep(lstm.PackedIh, lstm.X, lstm.PackedHh, state, c, state, 4, 8, 8));
        Assert.Equal("h", aliasing.ParamName);
    }

    private sealed record Linear(float[] Weight, float[] Bias, float[] X, float[] Packed)
    {
        public static Linear Create(int outputs, int inputs, ulong seed)
        {
            var random = new RnnRandom(seed);
            float[] weight = CellTestMath.Uniform(outputs * inputs, -0.5f, 0.5f, ref random);
            float[] bias = CellTestMath.Uniform(outputs, -0.5f, 0.5f, ref random);
            float[] packed = new float[PackedCell.PackedLength(1, outputs, inputs)];
            PackedCell.Pack(weight, bias, packed, 1, outputs, inputs);
            return new Linear(weight, bias, CellTestMath.Uniform(inputs, -1f, 1f, ref random), packed);
        }
    }

    private sealed record Lstm(float[] WeightIh, float[] WeightHh, float[] BiasIh, float[] BiasHh, float[] X, float[] HPrev, float[] CPrev,
        float[] PackedIh, float[] PackedHh, int InputSize, int Hidden, int Recurrent)
    {
        public static Lstm Create(int inputSize, int hidden, int recurrent, ulong seed)
        {
            var random = new RnnRandom(seed);
            float[] weightIh = CellTestMath.Uniform(4 * hidden * inputSize, -0.5f, 0.5f, ref random);
            float[] weightHh = CellTestMath.Uniform(4 * hidden * recurrent, -0.5f, 0.5f, ref random);
            float[] biasIh = CellTestMath.Uniform(4 * hidden, -0.5f, 0.5f, ref random);
            float[] biasHh = CellTestMath.Uniform(4 * hidden, -0.5f, 0.5f, ref random);
            float[] packedIh = new float[PackedCell.PackedLength(4, hidden, inputSize)];
            float[] packedHh = new float[PackedCell.PackedLength(4, hidden, recurrent)];
            PackedCell.Pack(weightIh, biasIh, packedIh, 4, hidden, inputSize);
            PackedCell.Pack(weightHh, biasHh, packedHh, 4, hidden, recurrent);
            return new Lstm(weightIh, weightHh, biasIh, biasHh,
                CellTestMath.Uniform(inputSize, -1f, 1f, ref random), CellTestMath.Uniform(recurrent, -1f, 1f, ref random),
                CellTestMath.Uniform(hidden, -1f, 1f, ref random), packedIh, packedHh, inputSize, hidden, recurrent);
        }

        /// <summary>x W_ihᵀ + b_ih, what the sequence forward pass computes for every step in one GEMM.</summary>
        public float[] InputProjection()
        {
            float[] gates = new float[4 * Hidden];
            Gemm.MultiplyTransposedB(X, WeightIh, gates, 1, 4 * Hidden, InputSize, false);
            Gemm.AddRowVector(gates, BiasIh, 1);
            return gates;
        }

        public void Reference(float[] c, float[] h, out float[] gates, float[]? cPrev = null)
        {
            gates = InputProjection();
            Gemm.MultiplyTransposedB(HPrev, WeightHh, gates, 1, 4 * Hidden, Recurrent, true);
            Gemm.AddRowVector(gates, BiasHh, 1);
            LstmCell.Forward(gates, cPrev ?? c, c, h, 1, Hidden);
        }
    }

    private sealed record Gru(float[] WeightIh, float[] WeightHh, float[] BiasIh, float[] BiasHh, float[] X, float[] HPrev,
        float[] PackedIh, float[] PackedHh, int InputSize, int Hidden)
    {
        public static Gru Create(int inputSize, int hidden, ulong seed)
        {
            var random = new RnnRandom(seed);
            float[] weightIh = CellTestMath.Uniform(3 * hidden * inputSize, -0.5f, 0.5f, ref random);
            float[] weightHh = CellTestMath.Uniform(3 * hidden * hidden, -0.5f, 0.5f, ref random);
            float[] biasIh = CellTestMath.Uniform(3 * hidden, -0.5f, 0.5f, ref random);
            float[] biasHh = CellTestMath.Uniform(3 * hidden, -0.5f, 0.5f, ref random);
            float[] packedIh = new float[PackedCell.PackedLength(3, hidden, inputSize)];
            float[] packedHh = new float[PackedCell.PackedLength(3, hidden, hidden)];
            PackedCell.Pack(weightIh, biasIh, packedIh, 3, hidden, inputSize);
            PackedCell.Pack(weightHh, biasHh, packedHh, 3, hidden, hidden);
            return new Gru(weightIh, weightHh, biasIh, biasHh,
                CellTestMath.Uniform(inputSize, -1f, 1f, ref random), CellTestMath.Uniform(hidden, -1f, 1f, ref random),
                packedIh, packedHh, inputSize, hidden);
        }

        public float[] InputProjection()
        {
            float[] gx = new float[3 * Hidden];
            Gemm.MultiplyTransposedB(X, WeightIh, gx, 1, 3 * Hidden, InputSize, false);
            Gemm.AddRowVector(gx, BiasIh, 1);
            return gx;
        }

        public void Reference(float[] h, out float[] gates, out float[] gh)
        {
            gates = InputProjection();
            gh = new float[3 * Hidden];
            Gemm.MultiplyTransposedB(HPrev, WeightHh, gh, 1, 3 * Hidden, Hidden, false);
            Gemm.AddRowVector(gh, BiasHh, 1);
            GruCell.Forward(gates, gh, HPrev, h, 1, Hidden);
        }
    }
}
