using System.Collections.Generic;

namespace RnnGen.Benchmarks.Cases;

// Forward over one whole sequence at batch 1 from a zero initial state, the head on every step: W_hh streamed once per
// step, the packed W_ih once for the projection of all steps, the head's plain weight and bias once for its GEMM.

/// <summary><c>seq_lstm_h128_t64</c>: LSTM I=32 H=128, T=64, Linear 32 on every step.</summary>
internal sealed class SeqLstmH128T64Case : BenchmarkCase
{
    private readonly SeqLstmH128T64 _model = new(seed: 1);
    private readonly float[] _inputs = Inputs.Uniform(SeqLstmH128T64.InputLength, seed: 2);
    private readonly float[] _outputs = new float[SeqLstmH128T64.OutputLength];

    public override string Id => "seq_lstm_h128_t64";

    public override double Flops => FlopModel.Step(FlopModel.LstmGates, 32, 128, 32) * SeqLstmH128T64.SequenceLength;

    public override IReadOnlyList<(long Bytes, int Times)> WeightReads =>
        [(PackedRecurrentBytes(FlopModel.LstmGates, 128), SeqLstmH128T64.SequenceLength), (PackedInputBytes(FlopModel.LstmGates, 32, 128) + PlainHeadBytes(32, 128), 1)];

    public override void Run() => _model.Forward(_inputs, _outputs);
}

/// <summary><c>seq_gru_h128_t64</c>: GRU I=32 H=128, T=64, Linear 32 on every step.</summary>
internal sealed class SeqGruH128T64Case : BenchmarkCase
{
    private readonly SeqGruH128T64 _model = new(seed: 1);
    private readonly float[] _inputs = Inputs.Uniform(SeqGruH128T64.InputLength, seed: 2);
    private readonly float[] _outputs = new float[SeqGruH128T64.OutputLength];

    public override string Id => "seq_gru_h128_t64";

    public override double Flops => FlopModel.Step(FlopModel.GruGates, 32, 128, 32) * SeqGruH128T64.SequenceLength;

    public override IReadOnlyList<(long Bytes, int Times)> WeightReads =>
        [(PackedRecurrentBytes(FlopModel.GruGates, 128), SeqGruH128T64.SequenceLength), (PackedInputBytes(FlopModel.GruGates, 32, 128) + PlainHeadBytes(32, 128), 1)];

    public override void Run() => _model.Forward(_inputs, _outputs);
}
