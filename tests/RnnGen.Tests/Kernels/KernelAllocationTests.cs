using System.Linq;
using RnnGen.Kernels;

namespace RnnGen.Tests.Kernels;

public sealed class KernelAllocationTests
{
    // Hidden 33: two whole packed panels (the 16-lane path and a GRU pair where AVX-512 runs) and a partial one.
    private const int Batch = 3, Hidden = 33, Classes = 300, PackedInput = 7;

    // First calls run static constructors and JIT; only the steady state must be allocation-free.
    private const int WarmUpCalls = 2;

    private readonly float[] _a = Filled(130 * 600);
    private readonly float[] _b = Filled(600 * 208);
    private readonly float[] _c = Filled(130 * 200);
    private readonly float[] _gates = Filled(Batch * 4 * Hidden);
    private readonly float[] _gh = Filled(Batch * 3 * Hidden);
    private readonly float[] _state = Filled(Batch * Hidden);
    private readonly float[] _state2 = Filled(Batch * Hidden);
    private readonly float[] _state3 = Filled(Batch * Hidden);
    private readonly float[] _grad = Filled(Batch * 4 * Hidden);
    private readonly float[] _grad2 = Filled(Batch * 4 * Hidden);
    private readonly float[] _logits = Filled(4 * Classes);
    private readonly int[] _targets = [1, Losses.IgnoreIndex, 299, 0];
    private static readonly bool[] PanelOrders = [false, true];
    private readonly int[] _scatterTokens = Enumerable.Range(0, 600).Select(position => position * 7 % 11).ToArray();
    private readonly float[] _scatterTable = new float[11 * 130];
    private readonly float[] _lstmIh = Filled(PackedCell.PackedLength(4, Hidden, PackedInput));
    private readonly float[] _lstmHh = Filled(PackedCell.PackedLength(4, Hidden, Hidden));
    private readonly float[] _gruIh = Filled(PackedCell.PackedLength(3, Hidden, PackedInput));
    private readonly float[] _gruHh = Filled(PackedCell.PackedLength(3, Hidden, Hidden));
    private readonly float[] _head = Filled(PackedCell.PackedLength(1, Hidden, Hidden));

    [Theory]
    [InlineData("Gemm.MultiplyTransposedB")]
    [InlineData("Gemm.MultiplyTransposedB.Gemv")]
    [InlineData("Gemm.Multiply")]
    [InlineData("Gemm.MultiplyTransposedA")]
    [InlineData("Gemm.MultiplyTransposedAAndScatter")]
    [InlineData("Gemm.MultiplyPacked")]
    [InlineData("Gemm.AddRowVector")]
    [InlineData("Gemm.AccumulateColumnSums")]
    [InlineData("Gemm.AccumulateColumnSums.TwoSums")]
    [InlineData("RnnCell.Activate")]
    [InlineData("RnnCell.Backward")]
    [InlineData("LstmCell.Forward")]
    [InlineData("LstmCell.Backward")]
    [InlineData("GruCell.Forward")]
    [InlineData("GruCell.Backward")]
    [InlineData("Losses.SoftmaxCrossEntropy")]
    [InlineData("Losses.CrossEntropySum")]
    [InlineData("Losses.MeanSquaredError")]
    [InlineData("Losses.Softmax")]
    [InlineData("PackedCell.ProjectInputs")]
    [InlineData("PackedCell.LstmStep")]
    [InlineData("PackedCell.LstmForward")]
    [InlineData("PackedCell.GruStep")]
    [InlineData("PackedCell.GruForward")]
    [InlineData("PackedCell.Dense")]
    public void Kernel_AfterWarmUp_AllocatesNothing(string kernel)
    {
        for (int i = 1; i < WarmUpCalls; i++)
            Run(kernel);

        Assert.Equal(0, AllocationMeter.Measure(() => Run(kernel)));
    }

    private void Run(string kernel)
    {
        int stateLength = Batch * Hidden;
        switch (kernel)
        {
            case "Gemm.MultiplyTransposedB":
                Gemm.MultiplyTransposedB(_a.AsSpan(0, 130 * 600), _b.AsSpan(0, 200 * 600), _c, 130, 200, 600, accumulate: true);
                break;
            case "Gemm.MultiplyTransposedB.Gemv":
                Gemm.MultiplyTransposedB(_a.AsSpan(0, 64), _b.AsSpan(0, 256 * 64), _c.AsSpan(0, 256), 1, 256, 64, accumulate: false);
                break;
            case "Gemm.Multiply":
                Gemm.Multiply(_a.AsSpan(0, 130 * 600), _b.AsSpan(0, 600 * 200), _c, 130, 200, 600, accumulate: true);
                break;
            case "Gemm.MultiplyTransposedA":
                Gemm.MultiplyTransposedA(_a.AsSpan(0, 600 * 130), _b.AsSpan(0, 600 * 200), _c, 130, 200, 600, accumulate: true);
                break;
            case "Gemm.MultiplyTransposedAAndScatter":
                Gemm.MultiplyTransposedAAndScatter(_a.AsSpan(0, 600 * 130), _b.AsSpan(0, 600 * 200), _c, 130, 200, 600, accumulate: true, _scatterTokens, _scatterTable);
                break;
            case "Gemm.MultiplyPacked":
                Gemm.MultiplyPacked(_a.AsSpan(0, 130 * 600), _b.AsSpan(0, Gemm.PackedLength(200, 600)), _c, 130, 200, 600, accumulate: true);
                break;
            case "Gemm.AddRowVector":
                Gemm.AddRowVector(_c, _b.AsSpan(0, 200), 130);
                break;
            case "Gemm.AccumulateColumnSums":
                Gemm.AccumulateColumnSums(_c, _b.AsSpan(0, 200), 130);
                break;
            case "Gemm.AccumulateColumnSums.TwoSums":
                Gemm.AccumulateColumnSums(_c, _b.AsSpan(0, 200), _b.AsSpan(200, 200), 130);
                break;
            case "RnnCell.Activate":
                RnnCell.Activate(_state, RnnActivation.Tanh);
                break;
            case "RnnCell.Backward":
                RnnCell.Backward(_state, _state2, _state3, RnnActivation.Relu);
                break;
            case "LstmCell.Forward":
                LstmCell.Forward(_gates, _state, _state2, _state3, Batch, Hidden);
                break;
            case "LstmCell.Backward":
                LstmCell.Backward(_gates, _state, _state2, _state3, _state.AsSpan(0, stateLength), _grad, Batch, Hidden);
                break;
            case "GruCell.Forward":
                GruCell.Forward(_gates.AsSpan(0, 3 * stateLength), _gh, _state, _state2, Batch, Hidden);
                break;
            case "GruCell.Backward":
                GruCell.Backward(_gates.AsSpan(0, 3 * stateLength), _gh, _state, _state2, _grad.AsSpan(0, 3 * stateLength), _grad2.AsSpan(0, 3 * stateLength), _state3, Batch, Hidden);
                break;
            case "Losses.SoftmaxCrossEntropy":
                Losses.SoftmaxCrossEntropy(_logits, _targets, _c.AsSpan(0, _logits.Length), Classes);
                break;
            case "Losses.CrossEntropySum":
                Losses.CrossEntropySum(_logits, _targets, Classes, out _);
                break;
            case "Losses.MeanSquaredError":
                Losses.MeanSquaredError(_logits, _a.AsSpan(0, _logits.Length), _c.AsSpan(0, _logits.Length));
                break;
            case "Losses.Softmax":
                Losses.Softmax(_c.AsSpan(0, _logits.Length), Classes);
                break;
            case "PackedCell.ProjectInputs":
                PackedCell.ProjectInputs(_lstmIh, _a.AsSpan(0, 13 * PackedInput), _c.AsSpan(0, 13 * 4 * Hidden), 13, 4, Hidden, PackedInput);
                break;
            case "PackedCell.LstmStep":
                foreach (bool reverse in PanelOrders)
                    PackedCell.LstmStep(_lstmIh, _a.AsSpan(0, PackedInput), _lstmHh, _state.AsSpan(0, Hidden), _state2.AsSpan(0, Hidden), _state3.AsSpan(0, Hidden), PackedInput, Hidden, Hidden, reverse);
                break;
            case "PackedCell.LstmForward":
                foreach (bool reverse in PanelOrders)
                    PackedCell.LstmForward(_gates.AsSpan(0, 4 * Hidden), _lstmHh, _state.AsSpan(0, Hidden), _state2.AsSpan(0, Hidden), _state2.AsSpan(0, Hidden), _state3.AsSpan(0, Hidden), Hidden, Hidden, reverse);
                break;
            case "PackedCell.GruStep":
                foreach (bool reverse in PanelOrders)
                    PackedCell.GruStep(_gruIh, _a.AsSpan(0, PackedInput), _gruHh, _state.AsSpan(0, Hidden), _state3.AsSpan(0, Hidden), PackedInput, Hidden, reverse);
                break;
            case "PackedCell.Dense":
                PackedCell.Dense(_head, _state.AsSpan(0, Hidden), _state3.AsSpan(0, Hidden), Hidden, Hidden);
                break;
            case "PackedCell.GruForward":
                foreach (bool reverse in PanelOrders)
                    PackedCell.GruForward(_gates.AsSpan(0, 3 * Hidden), _gh.AsSpan(0, Hidden), _gruHh, _state.AsSpan(0, Hidden), _state3.AsSpan(0, Hidden), Hidden, reverse);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown kernel.");
        }
    }

    private static float[] Filled(int length)
    {
        var random = new RnnRandom((ulong)length);
        float[] values = new float[length];
        random.FillUniform(values, -0.5f, 0.5f);
        return values;
    }
}
