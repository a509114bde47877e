using System.Collections.Generic;

namespace RnnGen.Tests.Parameters;

public sealed class InitializersTests
{
    private const double OrthogonalTolerance = 1e-5;

    /// <summary>(rows, cols, gates): square, tall and wide blocks, sizes that cross vector widths, stacked gates.</summary>
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 },
        { 3, 7, 1 },
        { 7, 3, 1 },
        { 8, 8, 1 },
        { 16, 15, 1 },
        { 17, 31, 1 },
        { 33, 33, 1 },
        { 64, 16, 1 },
        { 4 * 7, 7, 4 },
        { 3 * 5, 8, 3 },
        { 4 * 16, 33, 4 },
        { 3 * 31, 17, 3 },
        { 4 * 64, 64, 4 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Orthogonal_EachGateBlock_HasOrthonormalColumnsOrRows(int rows, int cols, int gates)
    {
        var weights = new float[rows * cols];
        var random = new RnnRandom(7);

        Initializers.Orthogonal(weights, rows, cols, ref random, gates: gates);

        for (int g = 0; g < gates; g++)
            AssertScaledOrthonormal(Block(weights, rows / gates, cols, g), rows / gates, cols, 1.0);
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(15, 4)]
    [InlineData(3, 17)]
    public void Orthogonal_WithGain_ScalesTheOrthonormalFactor(int rows, int cols)
    {
        var weights = new float[rows * cols];
        var random = new RnnRandom(11);

        Initializers.Orthogonal(weights, rows, cols, ref random, gain: 2.5f);

        AssertScaledOrthonormal(weights, rows, cols, 2.5);
    }

    [Fact]
    public void Orthogonal_GateBlocks_AreDrawnIndependently()
    {
        const int Hidden = 7;
        var weights = new float[4 * Hidden * Hidden];
        var random = new RnnRandom(3);

        Initializers.Orthogonal(weights, 4 * Hidden, Hidden, ref random, gates: 4);

        // Orthonormal per block but not across blocks: the stacked [4H, H] matrix's WᵀW is 4·I only by accident.
        for (int g = 1; g < 4; g++)
            Assert.False(Block(weights, Hidden, Hidden, 0).AsSpan().SequenceEqual(Block(weights, Hidden, Hidden, g)));
        double crossDot = 0;
        for (int i = 0; i < Hidden; i++)
            crossDot += (double)weights[i * Hidden] * weights[(Hidden + i) * Hidden];
        Assert.True(Math.Abs(crossDot) > OrthogonalTolerance, $"first columns of blocks 0 and 1 are orthogonal: {crossDot}");
    }

    [Fact]
    public void Orthogonal_SameSeed_GivesIdenticalBitsAndAdvancesTheGenerator()
    {
        var first = new float[17 * 9];
        var second = new float[17 * 9];
        var third = new float[17 * 9];
        var a = new RnnRandom(42);
        var b = new RnnRandom(42);

        Initializers.Orthogonal(first, 17, 9, ref a);
        Initializers.Orthogonal(second, 17, 9, ref b);
        Initializers.Orthogonal(third, 17, 9, ref b);

        Assert.Equal(first, second);
        Assert.NotEqual(second, third);
    }

    [Fact]
    public void Orthogonal_ManyDraws_HaveUnbiasedSignsOnTheDiagonal()
    {
        // Householder QR alone makes Q[0, 0] negative on every draw; the sign correction makes each diagonal sign a coin flip.
        const int Size = 4;
        int positive = 0;
        int total = 0;
        var random = new RnnRandom(5);
        var weights = new float[Size * Size];
        for (int draw = 0; draw < 500; draw++)
        {
            Initializers.Orthogonal(weights, Size, Size, ref random);
            for (int i = 0; i < Size; i++)
            {
                positive += weights[i * Size + i] > 0 ? 1 : 0;
                total++;
            }
        }

        Assert.InRange(positive / (double)total, 0.45, 0.55);
    }

    [Theory]
    [InlineData(4 * 7, 3, 4)]
    [InlineData(3 * 17, 33, 3)]
    [InlineData(16, 8, 1)]
    public void GlorotUniform_EachGateBlock_StaysWithinItsBoundAndFillsIt(int rows, int cols, int gates)
    {
        var weights = new float[rows * cols];
        var random = new RnnRandom(9);

        Initializers.GlorotUniform(weights, rows, cols, ref random, gates);

        int blockRows = rows / gates;
        double limit = Math.Sqrt(6.0 / (blockRows + cols));
        for (int g = 0; g < gates; g++)
        {
            float[] block = Block(weights, blockRows, cols, g);
            double max = 0;
            double sum = 0;
            foreach (float w in block)
            {
                Assert.InRange(Math.Abs(w), 0, limit);
                max = Math.Max(max, Math.Abs(w));
                sum += w;
            }

            Assert.True(max > 0.8 * limit, $"block {g}: largest |w| {max} of bound {limit}");
            Assert.True(Math.Abs(sum / block.Length) < 0.3 * limit, $"block {g}: mean {sum / block.Length}");
        }
    }

    [Fact]
    public void GlorotUniform_GatesOne_UsesTheFusedFanOut()
    {
        const int Hidden = 16;
        const int Input = 8;
        var fused = new float[4 * Hidden * Input];
        var perGate = new float[4 * Hidden * Input];
        var a = new RnnRandom(1);
        var b = new RnnRandom(1);

        Initializers.GlorotUniform(fused, 4 * Hidden, Input, ref a);
        Initializers.GlorotUniform(perGate, 4 * Hidden, Input, ref b, gates: 4);

        // Same draws, different bounds: the ratio is √((H + in) / (4H + in)).
        double ratio = Math.Sqrt((double)(Hidden + Input) / (4 * Hidden + Input));
        for (int i = 0; i < fused.Length; i++)
            Assert.Equal(perGate[i] * ratio, fused[i], 1e-6);
    }

    [Fact]
    public void GlorotUniform_SameSeed_GivesIdenticalBits()
    {
        var first = new float[33 * 7];
        var second = new float[33 * 7];
        var a = new RnnRandom(123);
        var b = new RnnRandom(123);

        Initializers.GlorotUniform(first, 33, 7, ref a, gates: 3);
        Initializers.GlorotUniform(second, 33, 7, ref b, gates: 3);

        Assert.Equal(first, second);
    }

    [Fact]
    public void ByName_Overloads_WriteOnlyTheNamedTensor()
    {
        RnnParameters parameters = Lstm(input: 3, hidden: 5, projection: 0, bidirectional: false);
        parameters.InitializeDefault(2);
        float[] before = parameters.Values.ToArray();
        var random = new RnnRandom(8);

        Initializers.Orthogonal(parameters, "weight_hh_l0", ref random, gates: 4);
        Initializers.GlorotUniform(parameters, "weight_ih_l0", ref random, gates: 4);

        ParameterTensor hh = parameters["weight_hh_l0"];
        ParameterTensor ih = parameters["weight_ih_l0"];
        for (int i = 0; i < before.Length; i++)
        {
            bool written = (i >= hh.Offset && i < hh.Offset + hh.Length) || (i >= ih.Offset && i < ih.Offset + ih.Length);
            if (!written)
                Assert.Equal(before[i], parameters.Values[i]);
        }

        for (int g = 0; g < 4; g++)
            AssertScaledOrthonormal(Block(parameters.GetValues("weight_hh_l0").ToArray(), 5, 5, g), 5, 5, 1.0);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(1, true)]
    public void SetForgetGateBias_LstmLayer_SetsTheForgetSliceOnly(int layer, bool reverse)
    {
        const int Hidden = 7;
        RnnParameters parameters = Lstm(input: 3, hidden: Hidden, projection: 0, bidirectional: true, layers: 2);
        parameters.InitializeDefault(4);
        float[] before = parameters.Values.ToArray();

        Initializers.SetForgetGateBias(parameters, layer, 1f, reverse);

        string suffix = $"_l{layer}" + (reverse ? "_reverse" : "");
        ParameterTensor ih = parameters["bias_ih" + suffix];
        ParameterTensor hh = parameters["bias_hh" + suffix];
        for (int i = 0; i < before.Length; i++)
        {
            float expected = before[i];
            if (i >= ih.Offset + Hidden && i < ih.Offset + 2 * Hidden)
                expected = 1f;
            else if (i >= hh.Offset + Hidden && i < hh.Offset + 2 * Hidden)
                expected = 0f;
            Assert.Equal(expected, parameters.Values[i]);
        }
    }

    [Fact]
    public void SetForgetGateBias_ProjectedLstm_UsesTheCellSize()
    {
        const int Hidden = 6;
        RnnParameters parameters = Lstm(input: 4, hidden: Hidden, projection: 3, bidirectional: false);
        parameters.InitializeDefault(6);

        Initializers.SetForgetGateBias(parameters, 0, 2.5f);

        Span<float> ih = parameters.GetValues("bias_ih_l0");
        Span<float> hh = parameters.GetValues("bias_hh_l0");
        for (int i = Hidden; i < 2 * Hidden; i++)
        {
            Assert.Equal(2.5f, ih[i]);
            Assert.Equal(0f, hh[i]);
        }

        Assert.NotEqual(2.5f, ih[Hidden - 1]);
        Assert.NotEqual(2.5f, ih[2 * Hidden]);
    }

    [Fact]
    public void SetForgetGateBias_GruLayer_Throws()
    {
        const int Hidden = 4;
        var parameters = new RnnParameters(
        [
            new ParameterTensor("weight_ih_l0", [3 * Hidden, 3], 0, ParameterRole.InputWeight, 0.5f),
            new ParameterTensor("weight_hh_l0", [3 * Hidden, Hidden], 36, ParameterRole.RecurrentWeight, 0.5f),
            new ParameterTensor("bias_ih_l0", [3 * Hidden], 84, ParameterRole.RecurrentBias, 0.5f),
            new ParameterTensor("bias_hh_l0", [3 * Hidden], 96, ParameterRole.RecurrentBias, 0.5f),
        ]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => Initializers.SetForgetGateBias(parameters, 0, 1f));

        Assert.Equal("layer", error.ParamName);
        Assert.Contains("16", error.Message);
    }

    [Fact]
    public void SetForgetGateBias_MissingLayerOrDirection_ThrowsNamingIt()
    {
        RnnParameters parameters = Lstm(input: 3, hidden: 5, projection: 0, bidirectional: false);

        Assert.Equal("layer", Assert.Throws<ArgumentException>(() => Initializers.SetForgetGateBias(parameters, 1, 1f)).ParamName);
        Assert.Equal("reverse", Assert.Throws<ArgumentException>(() => Initializers.SetForgetGateBias(parameters, 0, 1f, reverse: true)).ParamName);
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.SetForgetGateBias(parameters, -1, 1f)).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.SetForgetGateBias(parameters, 0, float.NaN)).ParamName);
        Assert.Throws<ArgumentNullException>(() => Initializers.SetForgetGateBias(null!, 0, 1f));
    }

    [Fact]
    public void SpanOverloads_InvalidShape_ThrowNamingTheParameterAndExpectedValue()
    {
        var random = new RnnRandom(1);
        var weights = new float[12];

        ArgumentException length = Assert.Throws<ArgumentException>(() => Initializers.GlorotUniform(weights, 5, 3, ref random));
        Assert.Equal("weights", length.ParamName);
        Assert.Contains("15", length.Message);

        ArgumentException gates = Assert.Throws<ArgumentException>(() => Initializers.Orthogonal(weights, 4, 3, ref random, gates: 3));
        Assert.Equal("gates", gates.ParamName);

        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.GlorotUniform(weights, 0, 3, ref random)).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Orthogonal(weights, 4, -3, ref random)).ParamName);
        Assert.Equal("gates", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.GlorotUniform(weights, 4, 3, ref random, 0)).ParamName);
        Assert.Equal("gain", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Orthogonal(weights, 4, 3, ref random, float.PositiveInfinity)).ParamName);
    }

    [Fact]
    public void ByName_UnknownOrNonMatrixTensor_ThrowsNamingIt()
    {
        RnnParameters parameters = Lstm(input: 3, hidden: 5, projection: 0, bidirectional: false);
        var random = new RnnRandom(1);

        ArgumentException unknown = Assert.Throws<ArgumentException>(() => Initializers.Orthogonal(parameters, "weight_hh_l7", ref random));
        Assert.Equal("name", unknown.ParamName);
        ArgumentException vector = Assert.Throws<ArgumentException>(() => Initializers.GlorotUniform(parameters, "bias_ih_l0", ref random));
        Assert.Equal("name", vector.ParamName);
        Assert.Contains("[20]", vector.Message);
    }

    private static void AssertScaledOrthonormal(float[] w, int rows, int cols, double gain)
    {
        // Tall or square: columns are orthonormal (WᵀW); wide: rows are (WWᵀ).
        bool wide = rows < cols;
        int n = wide ? rows : cols;
        int m = wide ? cols : rows;
        for (int p = 0; p < n; p++)
        {
            for (int r = 0; r < n; r++)
            {
                double dot = 0;
                for (int i = 0; i < m; i++)
                {
                    double a = wide ? w[p * cols + i] : w[i * cols + p];
                    double b = wide ? w[r * cols + i] : w[i * cols + r];
                    dot += a * b;
                }

                double expected = p == r ? gain * gain : 0;
                Assert.True(Math.Abs(dot - expected) <= OrthogonalTolerance * gain * gain, $"[{rows}, {cols}] ({p}, {r}): {dot}, expected {expected}");
            }
        }
    }

    private static float[] Block(float[] weights, int blockRows, int cols, int gate) =>
        weights.AsSpan(gate * blockRows * cols, blockRows * cols).ToArray();

    private static RnnParameters Lstm(int input, int hidden, int projection, bool bidirectional, int layers = 1)
    {
        var tensors = new List<ParameterTensor>();
        int offset = 0;
        float bound = 1f / MathF.Sqrt(hidden);
        int state = projection > 0 ? projection : hidden;
        void Add(string name, int[] shape, ParameterRole role)
        {
            var tensor = new ParameterTensor(name, shape, offset, role, bound);
            tensors.Add(tensor);
            offset += tensor.Length;
        }

        int previous = input;
        for (int k = 0; k < layers; k++)
        {
            foreach (string suffix in bidirectional ? new[] { "", "_reverse" } : new[] { "" })
            {
                Add($"weight_ih_l{k}{suffix}", [4 * hidden, previous], ParameterRole.InputWeight);
                Add($"weight_hh_l{k}{suffix}", [4 * hidden, state], ParameterRole.RecurrentWeight);
                Add($"bias_ih_l{k}{suffix}", [4 * hidden], ParameterRole.RecurrentBias);
                Add($"bias_hh_l{k}{suffix}", [4 * hidden], ParameterRole.RecurrentBias);
                if (projection > 0)
                    Add($"weight_hr_l{k}{suffix}", [projection, hidden], ParameterRole.RecurrentWeight);
            }

            previous = bidirectional ? 2 * state : state;
        }

        return new RnnParameters(tensors);
    }
}
