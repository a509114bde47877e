using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class GruCellTests
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
        float[] gx = CellTestMath.Uniform(batch * 3 * hidden, -3f, 3f, ref random);
        float[] gh = CellTestMath.Uniform(batch * 3 * hidden, -3f, 3f, ref random);
        float[] hPrev = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        double[] expectedGates = new double[gx.Length];
        double[] expectedH = new double[hPrev.Length];
        Reference(CellTestMath.ToDouble(gx), CellTestMath.ToDouble(gh), CellTestMath.ToDouble(hPrev), batch, hidden, expectedGates, expectedH);
        float[] h = new float[hPrev.Length];

        GruCell.Forward(gx, gh, hPrev, h, batch, hidden);

        CellTestMath.AssertClose(expectedGates, gx, 1e-6, "gates");
        CellTestMath.AssertClose(expectedH, h, 1e-6, "h");
    }

    [Fact]
    public void Forward_HiddenStateInPlace_MatchesSeparateBuffers()
    {
        var random = new RnnRandom(9);
        float[] gx = CellTestMath.Uniform(2 * 3 * 17, -3f, 3f, ref random);
        float[] gh = CellTestMath.Uniform(2 * 3 * 17, -3f, 3f, ref random);
        float[] hPrev = CellTestMath.Uniform(2 * 17, -1f, 1f, ref random);
        float[] h = new float[hPrev.Length];
        GruCell.Forward((float[])gx.Clone(), gh, hPrev, h, 2, 17);
        float[] state = (float[])hPrev.Clone();

        GruCell.Forward((float[])gx.Clone(), gh, state, state, 2, 17);

        Assert.Equal(h, state);
    }

    [Theory]
    [MemberData(nameof(BatchesAndSizes))]
    public void Backward_AnyShape_MatchesFiniteDifferences(int batch, int hidden)
    {
        var random = new RnnRandom((ulong)(batch * 1000 + hidden + 11));
        float[] gxPre = CellTestMath.Uniform(batch * 3 * hidden, -3f, 3f, ref random);
        float[] gh = CellTestMath.Uniform(batch * 3 * hidden, -3f, 3f, ref random);
        float[] hPrev = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        float[] weights = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        float[] dHPrevStart = CellTestMath.Uniform(batch * hidden, -1f, 1f, ref random);
        float[] gates = (float[])gxPre.Clone();
        GruCell.Forward(gates, gh, hPrev, new float[hPrev.Length], batch, hidden);
        float[] dGx = new float[gates.Length];
        float[] dGh = new float[gates.Length];
        float[] dHPrev = (float[])dHPrevStart.Clone();

        GruCell.Backward(gates, gh, hPrev, weights, dGx, dGh, dHPrev, batch, hidden);

        double[] gxDouble = CellTestMath.ToDouble(gxPre);
        double[] ghDouble = CellTestMath.ToDouble(gh);
        double[] hPrevDouble = CellTestMath.ToDouble(hPrev);
        double[] scratchGates = new double[gates.Length], scratchH = new double[hPrev.Length];
        double Loss()
        {
            Reference(gxDouble, ghDouble, hPrevDouble, batch, hidden, scratchGates, scratchH);
            double loss = 0;
            for (int i = 0; i < scratchH.Length; i++)
                loss += weights[i] * scratchH[i];
            return loss;
        }
        CellTestMath.AssertClose(CellTestMath.NumericGradient(gxDouble, Loss), dGx, 1e-5, "dGx");
        CellTestMath.AssertClose(CellTestMath.NumericGradient(ghDouble, Loss), dGh, 1e-5, "dGh");
        // gh is an independent input here, so the finite difference in hPrev is exactly the direct path dH ⊙ z.
        double[] direct = CellTestMath.NumericGradient(hPrevDouble, Loss);
        float[] added = new float[dHPrev.Length];
        for (int i = 0; i < added.Length; i++)
            added[i] = dHPrev[i] - dHPrevStart[i];
        CellTestMath.AssertClose(direct, added, 1e-5, "dHPrev increment");
    }

    [Theory]
    [InlineData("gx", 11)]
    [InlineData("gh", 13)]
    [InlineData("hPrev", 3)]
    [InlineData("h", 5)]
    public void Forward_WrongLength_ThrowsNamingExpectedLength(string parameter, int length)
    {
        const int batch = 2, hidden = 2;
        float[] gx = new float[parameter == "gx" ? length : 12];
        float[] gh = new float[parameter == "gh" ? length : 12];
        float[] hPrev = new float[parameter == "hPrev" ? length : 4];
        float[] h = new float[parameter == "h" ? length : 4];

        var error = Assert.Throws<ArgumentException>(() => GruCell.Forward(gx, gh, hPrev, h, batch, hidden));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"must have length {(parameter is "gx" or "gh" ? 12 : 4)}", error.Message);
    }

    [Theory]
    [InlineData("dGx", 11)]
    [InlineData("dGh", 13)]
    [InlineData("dHPrev", 3)]
    public void Backward_WrongLength_ThrowsNamingExpectedLength(string parameter, int length)
    {
        const int batch = 2, hidden = 2;
        float[] dGx = new float[parameter == "dGx" ? length : 12];
        float[] dGh = new float[parameter == "dGh" ? length : 12];
        float[] dHPrev = new float[parameter == "dHPrev" ? length : 4];

        var error = Assert.Throws<ArgumentException>(() => GruCell.Backward(new float[12], new float[12], new float[4], new float[4], dGx, dGh, dHPrev, batch, hidden));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"must have length {(parameter == "dHPrev" ? 4 : 12)}", error.Message);
    }

    private static void Reference(double[] gx, double[] gh, double[] hPrev, int batch, int hidden, double[] gates, double[] h)
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
            {
                int g = 3 * hidden * b + j;
                double r = CellTestMath.Sigmoid(gx[g] + gh[g]);
                double z = CellTestMath.Sigmoid(gx[g + hidden] + gh[g + hidden]);
                double n = Math.Tanh(gx[g + 2 * hidden] + r * gh[g + 2 * hidden]);
                (gates[g], gates[g + hidden], gates[g + 2 * hidden]) = (r, z, n);
                int s = hidden * b + j;
                h[s] = (1 - z) * n + z * hPrev[s];
            }
    }
}
