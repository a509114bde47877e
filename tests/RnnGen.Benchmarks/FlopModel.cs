namespace RnnGen.Benchmarks;

/// <summary>The FLOP model of ../shared/anchors/README.md, so %-of-peak is comparable with the PyTorch and ORT
/// figures: multiply-adds of the gate matrices and the head only (elementwise math, softmax and Adam not counted).</summary>
internal static class FlopModel
{
    /// <summary>Measured single-core FMA peak of the reference machine (anchors/results/fma_peak.txt), GFLOP/s.</summary>
    public const double PeakGflopsPerCore = 99.8;

    /// <summary>Gate matrices per cell: LSTM 4, GRU 3, vanilla RNN 1.</summary>
    public const int LstmGates = 4;

    /// <summary>Gate matrices of a GRU cell.</summary>
    public const int GruGates = 3;

    /// <summary>FLOPs of one forward step at batch 1: <c>2*G*H*(I+H)</c> for the layer plus <c>2*O*H</c> for the head.</summary>
    public static double Step(int gates, int inputSize, int hiddenSize, int outputSize) =>
        2.0 * gates * hiddenSize * (inputSize + hiddenSize) + 2.0 * outputSize * hiddenSize;

    /// <summary>FLOPs of one training step: backward costs about twice the forward, so 3 x forward x B x T.</summary>
    public static double Training(int gates, int inputSize, int hiddenSize, int outputSize, int batchSize, int sequenceLength) =>
        3.0 * Step(gates, inputSize, hiddenSize, outputSize) * batchSize * sequenceLength;

    /// <summary>Percentage of the FMA peak of <paramref name="threads"/> cores reached by <paramref name="flops"/> in
    /// <paramref name="microseconds"/>.</summary>
    public static double PercentOfPeak(double flops, double microseconds, int threads) =>
        flops / (microseconds * 1e3) / (PeakGflopsPerCore * threads) * 100.0;
}
