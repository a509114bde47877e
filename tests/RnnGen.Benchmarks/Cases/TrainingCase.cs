using RnnGen.Kernels;

namespace RnnGen.Benchmarks.Cases;

/// <summary><c>train_charlm_lstm_h256_b32_t64</c>: one char-LM training step as in the anchors' case (d):
/// zero gradients, forward + cross-entropy + BPTT, clip the global norm to 5, Adam.</summary>
internal class TrainCharLmLstmH256Case : BenchmarkCase
{
    private const float MaxGradientNorm = 5f;

    private readonly CharLmLstmH256 _model = new(seed: 1);
    private readonly Adam _adam;
    private readonly int[] _inputs = Inputs.Tokens(CharLmLstmH256.InputLength, CharLmLstmH256.VocabularySize, seed: 2);
    private readonly int[] _targets = Inputs.Tokens(CharLmLstmH256.TargetLength, CharLmLstmH256.VocabularySize, seed: 3);

    public TrainCharLmLstmH256Case() => _adam = new Adam(_model.Parameters, learningRate: 2e-3f);

    public override string Id => "train_charlm_lstm_h256_b32_t64";

    public override double Flops => FlopModel.Training(FlopModel.LstmGates, 32, 256, 65, CharLmLstmH256.BatchSize, CharLmLstmH256.SequenceLength);

    public override int TokensPerRun => CharLmLstmH256.BatchSize * CharLmLstmH256.SequenceLength;

    public override void Run()
    {
        using KernelThreading.Scope threading = KernelThreading.Enable(Threads);
        _model.ZeroGradients();
        _model.ComputeGradients(_inputs, _targets);
        GradientClipping.ClipByGlobalNorm(_model.Parameters.Gradients, MaxGradientNorm);
        _adam.Step();
    }
}

/// <summary><c>train_charlm_lstm_h256_b32_t64_2t</c>: the same step on two threads by <see cref="KernelThreading"/>
/// (the time loops as one band of batch rows per thread, the other large products split); results are bit-identical
/// to the one-thread case.</summary>
internal sealed class TrainCharLmLstmH256TwoThreadCase : TrainCharLmLstmH256Case
{
    public override string Id => "train_charlm_lstm_h256_b32_t64_2t";

    public override int Threads => 2;

    public override string? OneThreadId => "train_charlm_lstm_h256_b32_t64";
}
