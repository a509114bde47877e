using RnnGen.Kernels;

namespace RnnGen.Tests.Reliability;

/// <summary>
/// The public kernels, losses and embedding lookups refuse shapes that do not match their spans before writing
/// anything: every rejection names the parameter and the expected value, and the destination keeps its contents.
/// </summary>
public sealed class KernelValidationTests
{
    private const int M = 3, N = 5, K = 7;

    private static float[] Filled(int length, float value = 0.25f)
    {
        var array = new float[length];
        array.AsSpan().Fill(value);
        return array;
    }

    /// <summary>Runs a rejected call and checks that <paramref name="destination"/> still holds its fill value.</summary>
    private static void AssertRejectedUntouched(float[] destination, Action action, string paramName, string? expected)
    {
        ulong before = Rejection.Checksum(destination);
        Rejection.Assert(action, paramName, expected);
        Assert.Equal(before, Rejection.Checksum(destination));
    }

    public static TheoryData<string, int, int, int, int, int, int, string, string> GemmCases => new()
    {
        // product, a, b, c lengths, m, n, k, rejected parameter, expected value in the message
        { "TransposedB", M * K - 1, N * K, M * N, M, N, K, "a", (M * K).ToString() },
        { "TransposedB", M * K, N * K + 1, M * N, M, N, K, "b", (N * K).ToString() },
        { "TransposedB", M * K, N * K, M * N - 1, M, N, K, "c", (M * N).ToString() },
        { "Multiply", M * K + 1, K * N, M * N, M, N, K, "a", (M * K).ToString() },
        { "Multiply", M * K, K * N - 1, M * N, M, N, K, "b", (K * N).ToString() },
        { "Multiply", M * K, K * N, 0, M, N, K, "c", (M * N).ToString() },
        { "TransposedA", K * M, K * N, M * N + 1, M, N, K, "c", (M * N).ToString() },
        { "TransposedA", 0, K * N, M * N, M, N, K, "a", (K * M).ToString() },
        { "TransposedA", K * M, 1, M * N, M, N, K, "b", (K * N).ToString() },
        { "TransposedB", 0, 0, 0, -1, 0, 0, "m", "0" },
        { "Multiply", 0, 0, 0, 0, -1, 0, "n", "0" },
        { "TransposedA", 0, 0, 0, 0, 0, -1, "k", "0" },
        { "TransposedB", 0, 0, 0, int.MinValue, 2, 2, "m", "0" },
        // Shapes whose products overflow an int must not wrap around to a matching length.
        { "Multiply", 0, 0, 0, 65_536, 65_536, 0, "c", "4294967296" },
        { "TransposedB", 0, 0, 0, 1, 1, int.MaxValue, "a", "2147483647" },
    };

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void Gemm_ShapeMismatch_ThrowsNamingOperandAndLeavesResult(string product, int aLength, int bLength, int cLength, int m, int n, int k, string paramName, string expected)
    {
        float[] a = Filled(aLength), b = Filled(bLength), c = Filled(cLength, 9f);
        Action call = product switch
        {
            "TransposedB" => () => Gemm.MultiplyTransposedB(a, b, c, m, n, k, accumulate: false),
            "Multiply" => () => Gemm.Multiply(a, b, c, m, n, k, accumulate: false),
            _ => () => Gemm.MultiplyTransposedA(a, b, c, m, n, k, accumulate: false),
        };
        AssertRejectedUntouched(c, call, paramName, expected);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    public void GemmRowHelpers_ShapeMismatch_ThrowNamingSpan(int width)
    {
        float[] c = Filled(2 * width + 1, 9f), bias = Filled(width);
        AssertRejectedUntouched(c, () => Gemm.AddRowVector(c, bias, 2), "c", (2 * width).ToString());
        AssertRejectedUntouched(c, () => Gemm.AddRowVector(c, bias, -1), "rows", "0");
        float[] sums = Filled(width, 9f);
        AssertRejectedUntouched(sums, () => Gemm.AccumulateColumnSums(Filled(3 * width - 1), sums, 3), "a", (3 * width).ToString());
        AssertRejectedUntouched(sums, () => Gemm.AccumulateColumnSums(Filled(3 * width), sums, -3), "rows", "0");
    }

    [Fact]
    public void LstmCell_ShapeMismatch_ThrowsNamingSpanAndLength()
    {
        const int batch = 2, hidden = 3, state = batch * hidden;
        float[] gates = Filled(4 * state, 9f), c = Filled(state, 9f), h = Filled(state, 9f);
        AssertRejectedUntouched(gates, () => LstmCell.Forward(Filled(4 * state - 1), Filled(state), c, h, batch, hidden), "gates", (4 * state).ToString());
        AssertRejectedUntouched(c, () => LstmCell.Forward(gates, Filled(state + 1), c, h, batch, hidden), "cPrev", state.ToString());
        AssertRejectedUntouched(gates, () => LstmCell.Forward(gates, Filled(state), Filled(state - 1), h, batch, hidden), "c", state.ToString());
        AssertRejectedUntouched(gates, () => LstmCell.Forward(gates, Filled(state), c, Filled(0), batch, hidden), "h", state.ToString());
        AssertRejectedUntouched(gates, () => LstmCell.Forward(gates, Filled(state), c, h, -1, hidden), "batch", "0");
        AssertRejectedUntouched(gates, () => LstmCell.Forward(gates, Filled(state), c, h, batch, -3), "hidden", "0");
        float[] dC = Filled(state, 9f), dGates = Filled(4 * state, 9f);
        AssertRejectedUntouched(dGates, () => LstmCell.Backward(gates, Filled(state), Filled(state), Filled(state + 2), dC, dGates, batch, hidden), "dH", state.ToString());
        AssertRejectedUntouched(dC, () => LstmCell.Backward(gates, Filled(state), Filled(state), Filled(state), dC, Filled(4 * state + 4), batch, hidden), "dGates", (4 * state).ToString());
    }

    [Fact]
    public void GruCell_ShapeMismatch_ThrowsNamingSpanAndLength()
    {
        const int batch = 3, hidden = 2, state = batch * hidden;
        float[] gx = Filled(3 * state, 9f), h = Filled(state, 9f);
        AssertRejectedUntouched(gx, () => GruCell.Forward(gx, Filled(3 * state - 1), Filled(state), h, batch, hidden), "gh", (3 * state).ToString());
        AssertRejectedUntouched(h, () => GruCell.Forward(Filled(3 * state + 1), Filled(3 * state), Filled(state), h, batch, hidden), "gx", (3 * state).ToString());
        AssertRejectedUntouched(gx, () => GruCell.Forward(gx, Filled(3 * state), Filled(state), Filled(state + 1), batch, hidden), "h", state.ToString());
        AssertRejectedUntouched(gx, () => GruCell.Forward(gx, Filled(3 * state), Filled(state), h, batch, int.MinValue), "hidden", "0");
        float[] dGx = Filled(3 * state, 9f), dGh = Filled(3 * state, 9f), dHPrev = Filled(state, 9f);
        AssertRejectedUntouched(dGx, () => GruCell.Backward(Filled(3 * state), Filled(3 * state), Filled(state), Filled(state), dGx, dGh, Filled(state - 1), batch, hidden), "dHPrev", state.ToString());
        AssertRejectedUntouched(dHPrev, () => GruCell.Backward(Filled(3 * state), Filled(3 * state), Filled(state - 1), Filled(state), dGx, dGh, dHPrev, batch, hidden), "hPrev", state.ToString());
    }

    [Fact]
    public void RnnCell_BadActivationOrLength_ThrowsNamingParameter()
    {
        float[] values = Filled(5, 9f);
        AssertRejectedUntouched(values, () => RnnCell.Activate(values, (RnnActivation)2), "activation", null);
        float[] dPre = Filled(5, 9f);
        AssertRejectedUntouched(dPre, () => RnnCell.Backward(Filled(5), Filled(4), dPre, RnnActivation.Tanh), "dH", "5");
        AssertRejectedUntouched(dPre, () => RnnCell.Backward(Filled(6), Filled(6), dPre, RnnActivation.Relu), "dPre", "6");
        AssertRejectedUntouched(dPre, () => RnnCell.Backward(Filled(5), Filled(5), dPre, (RnnActivation)(-1)), "activation", null);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    [InlineData(-99)]
    [InlineData(-101)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void SoftmaxCrossEntropy_TargetOutsideClasses_ThrowsNamingTargetsAndLeavesGradient(int target)
    {
        const int classes = 4;
        int[] targets = { 0, target, 3 };
        float[] gradient = Filled(3 * classes, 9f);
        AssertRejectedUntouched(gradient, () => Losses.SoftmaxCrossEntropy(Filled(3 * classes), targets, gradient, classes), "targets", "[0, 4)");
        Rejection.Assert(() => Losses.CrossEntropySum(Filled(3 * classes), targets, classes, out _), "targets", "[0, 4)");
    }

    [Fact]
    public void Losses_ShapeMismatch_ThrowNamingSpanAndLength()
    {
        float[] gradient = Filled(8, 9f);
        AssertRejectedUntouched(gradient, () => Losses.SoftmaxCrossEntropy(Filled(7), new int[2], gradient, 4), "logits", "8");
        AssertRejectedUntouched(gradient, () => Losses.SoftmaxCrossEntropy(Filled(8), new int[2], Filled(9), 4), "gradient", "8");
        AssertRejectedUntouched(gradient, () => Losses.SoftmaxCrossEntropy(Filled(8), new int[2], gradient, 0), "classes", "1");
        AssertRejectedUntouched(gradient, () => Losses.SoftmaxCrossEntropy(Filled(8), new int[2], gradient, -4), "classes", "1");
        AssertRejectedUntouched(gradient, () => Losses.MeanSquaredError(Filled(8), Filled(7), gradient), "targets", "8");
        AssertRejectedUntouched(gradient, () => Losses.MeanSquaredError(Filled(7), Filled(7), gradient), "gradient", "7");
        Rejection.Assert(() => Losses.CrossEntropySum(Filled(5), new int[2], 2, out _), "logits", "4");
        float[] values = Filled(10, 9f);
        AssertRejectedUntouched(values, () => Losses.Softmax(values, 3), "values", "3");
        AssertRejectedUntouched(values, () => Losses.Softmax(values, 0), "classes", "1");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Embedding_TokenOutsideTable_ThrowsNamingTokensAndLeavesDestination(int token)
    {
        const int vocabulary = 5, size = 3;
        int[] tokens = { 1, 4, token };
        float[] destination = Filled(tokens.Length * size, 9f);
        AssertRejectedUntouched(destination, () => Embedding.Gather(Filled(vocabulary * size), tokens, destination, size), "tokens", "[0, 5)");
        float[] tableGradient = Filled(vocabulary * size, 9f);
        AssertRejectedUntouched(tableGradient, () => Embedding.ScatterAdd(Filled(tokens.Length * size), tokens, tableGradient, size), "tokens", "[0, 5)");
    }

    [Fact]
    public void Embedding_ShapeMismatch_ThrowsNamingParameter()
    {
        int[] tokens = { 0, 1 };
        float[] destination = Filled(6, 9f);
        AssertRejectedUntouched(destination, () => Embedding.Gather(Filled(15), tokens, destination, 0), "size", "non-zero");
        AssertRejectedUntouched(destination, () => Embedding.Gather(Filled(15), tokens, destination, -3), "size", "non-zero");
        AssertRejectedUntouched(destination, () => Embedding.Gather(Filled(14), tokens, destination, 3), "table", "3");
        AssertRejectedUntouched(destination, () => Embedding.Gather(Filled(15), tokens, Filled(7), 3), "destination", "6");
        float[] tableGradient = Filled(15, 9f);
        AssertRejectedUntouched(tableGradient, () => Embedding.ScatterAdd(Filled(5), tokens, tableGradient, 3), "rows", "6");
        AssertRejectedUntouched(tableGradient, () => Embedding.ScatterAdd(Filled(6), tokens, Filled(16), 3), "tableGradient", "3");
    }
}
