using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class LstmCellTests
{
    public static TheoryData<int, int> BatchesAndSizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int hidden in CellTestMath.Sizes)
        {
            data.Add(1, hidden);
            data.Add(3, hidden);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchesAndSizes))]
    public void Forward_AnyShape_MatchesScalarReference(int batch, int hidden)
    {
        var random = new RnnRandom((ulong)(batch * 1000 + hidden));
        float[] gates = CellTestMath.Uniform(batch * 4 * hidden, -4f, 4f, ref random);
        float[] cPrev = CellTestMath.Uniform(batch * hidden, -2f, 2f, ref random);
        double[] expectedGates = new double[gates.Length];
        double[] expectedC = new double[cPrev.Length];
        double[] expectedH = new double[cPrev.Length];
        Reference(CellTestMath.ToDouble(gates), CellTestMath.ToDouble(cPrev), batch, hidden, expectedGates, expectedC, expectedH);
        float[] c = new float[cPrev.Length];
        float[] h = new float[cPrev.Length];

        LstmCell.Forward(gates, cPrev, c, h, batch, hidden);

        CellTestMath.AssertClose(expectedGates, gates, 1e-6, "gates");
        CellTestMath.AssertClose(expectedC, c, 1e-6, "c");
        CellTestMath.AssertClose(expectedH, h, 1e-6, "h");
    }

    [Fact]
    public void Forward_CellStateInPlace_MatchesSeparateBuffers()
    {
        var random = new RnnRandom(8);
        float[] pre = CellTestMath.Uniform(2 * 4 * 17, -3f, 3f, ref random);
        float[] cPrev = CellTestMath.Uniform(2 * 17, -1f, 1f, ref random);
        float[] c = new float[cPrev.Length];
        float[] h = new float[cPrev.Length];
        LstmCell.Forward((float[])pre.Clone(), cPrev, c, h, 2, 17);
        float[] state = (float[])cPrev.Clone();
        float[] hInPlace = new float[cPrev.Length];

        LstmCell.Forward((float[])pre.Clone(), state, state, hInPlace, 2, 17);

        Assert.Equal(c, state);
        Assert.Equal(h, hInPlace);
    }

    [Theory]
    [MemberData(nameof(BatchesAndSizes))]
    public void Backward_AnyShape_MatchesFiniteDifferences(int batch, int hidden)
    {
        var random = new RnnRandom((ulong)(batch * 1000 + hidden + 7));
        float[] pre = CellTestMath.Uniform(batch * 4 * hidden, -3f, 3f, ref random);
        float[] cPrev = CellTestMath.Uniform(batch * hidden, -2f, 2f, ref random);
        float[] weightH = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        float[] weightC = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        float[] gates = (float[])pre.Clone();
        float[] c = new float[cPrev.Length];
        float[] h = new float[cPrev.Length];
        LstmCell.Forward(gates, cPrev, c, h, batch, hidden);
        float[] dC = (float[])weightC.Clone();
        float[] dGates = new float[gates.Length];

        LstmCell.Backward(gates, cPrev, c, weightH, dC, dGates, batch, hidden);

        // L = Σ weightH ⊙ h + Σ weightC ⊙ c, so dL/dh = weightH and the gradient reaching c from later steps is weightC.
        double[] preDouble = CellTestMath.ToDouble(pre);
        double[] cPrevDouble = CellTestMath.ToDouble(cPrev);
        double[] scratchGates = new double[pre.Length], scratchC = new double[cPrev.Length], scratchH = new double[cPrev.Length];
        double Loss()
        {
            Reference(preDouble, cPrevDouble, batch, hidden, scratchGates, scratchC, scratchH);
            double loss = 0;
            for (int i = 0; i < scratchH.Length; i++)
                loss += weightH[i] * scratchH[i] + weightC[i] * scratchC[i];
            return loss;
        }
        CellTestMath.AssertClose(CellTestMath.NumericGradient(preDouble, Loss), dGates, 1e-5, "dGates");
        CellTestMath.AssertClose(CellTestMath.NumericGradient(cPrevDouble, Loss), dC, 1e-5, "dCPrev");
    }

    // A unit's gates are read before its gradients are written, so dGates may be the gates themselves (generated
    // models do this). 1100 units: without the vector activations (CI runs these tests with AVX2 off) tanh(c) comes in
    // chunks of 1024 units, the last overlapping the one before.
    [Theory]
    [MemberData(nameof(BatchesAndSizes))]
    [InlineData(1, 1100)]
    public void Backward_InPlace_MatchesSeparateBuffers(int batch, int hidden)
    {
        var random = new RnnRandom((ulong)(batch * 1000 + hidden + 11));
        float[] gates = CellTestMath.Uniform(batch * 4 * hidden, -3f, 3f, ref random);
        float[] cPrev = CellTestMath.Uniform(batch * hidden, -2f, 2f, ref random);
        float[] dH = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        float[] dCStart = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        float[] c = new float[cPrev.Length];
        LstmCell.Forward(gates, cPrev, c, new float[cPrev.Length], batch, hidden);
        float[] dGates = new float[gates.Length], dC = (float[])dCStart.Clone();
        LstmCell.Backward(gates, cPrev, c, dH, dC, dGates, batch, hidden);
        float[] inPlace = (float[])gates.Clone(), dCInPlace = (float[])dCStart.Clone();

        LstmCell.Backward(inPlace, cPrev, c, dH, dCInPlace, inPlace, batch, hidden);

        Assert.Equal(dGates, inPlace);
        Assert.Equal(dC, dCInPlace);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Backward_GradientsOverlappingGatesElsewhere_Throw(int shift)
    {
        const int batch = 2, hidden = 4, length = 4 * batch * hidden;
        float[] buffer = new float[length + 1];

        var error = Assert.Throws<ArgumentException>(() => LstmCell.Backward(buffer.AsSpan(shift > 0 ? 0 : 1, length), new float[8], new float[8],
            new float[8], new float[8], buffer.AsSpan(shift > 0 ? 1 : 0, length), batch, hidden));

        Assert.Equal("dGates", error.ParamName);
    }

    [Fact]
    public void Backward_LongRow_MatchesFiniteDifferences() => Backward_AnyShape_MatchesFiniteDifferences(1, 1100);

    [Theory]
    [InlineData("gates", 15)]
    [InlineData("cPrev", 3)]
    [InlineData("c", 5)]
    [InlineData("h", 3)]
    public void Forward_WrongLength_ThrowsNamingExpectedLength(string parameter, int length)
    {
        const int batch = 2, hidden = 2;
        float[] gates = new float[parameter == "gates" ? length : 16];
        float[] cPrev = new float[parameter == "cPrev" ? length : 4];
        float[] c = new float[parameter == "c" ? length : 4];
        float[] h = new float[parameter == "h" ? length : 4];

        var error = Assert.Throws<ArgumentException>(() => LstmCell.Forward(gates, cPrev, c, h, batch, hidden));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"must have length {(parameter == "gates" ? 16 : 4)}", error.Message);
    }

    [Theory]
    [InlineData("dH", 3)]
    [InlineData("dC", 5)]
    [InlineData("dGates", 17)]
    public void Backward_WrongLength_ThrowsNamingExpectedLength(string parameter, int length)
    {
        const int batch = 2, hidden = 2;
        float[] dH = new float[parameter == "dH" ? length : 4];
        float[] dC = new float[parameter == "dC" ? length : 4];
        float[] dGates = new float[parameter == "dGates" ? length : 16];

        var error = Assert.Throws<ArgumentException>(() => LstmCell.Backward(new float[16], new float[4], new float[4], dH, dC, dGates, batch, hidden));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"must have length {(parameter == "dGates" ? 16 : 4)}", error.Message);
    }

    private static void Reference(double[] pre, double[] cPrev, int batch, int hidden, double[] gates, double[] c, double[] h)
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
            {
                int g = 4 * hidden * b + j;
                double i = CellTestMath.Sigmoid(pre[g]);
                double f = CellTestMath.Sigmoid(pre[g + hidden]);
                double cell = Math.Tanh(pre[g + 2 * hidden]);
                double o = CellTestMath.Sigmoid(pre[g + 3 * hidden]);
                (gates[g], gates[g + hidden], gates[g + 2 * hidden], gates[g + 3 * hidden]) = (i, f, cell, o);
                int s = hidden * b + j;
                c[s] = f * cPrev[s] + i * cell;
                h[s] = o * Math.Tanh(c[s]);
            }
    }
}
