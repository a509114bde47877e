using System.Collections.Generic;

namespace RnnGen.Benchmarks.Cases;

// One streaming Step at batch 1 on carried state: the state is never reset, as in an audio or sensor loop. A step
// reads its whole packed copy (W_ih, W_hh and the head) once.

/// <summary><c>step_lstm_h64</c>: LSTM I=32 H=64 + Linear 32.</summary>
internal sealed class StepLstmH64Case : BenchmarkCase
{
    private readonly StepLstmH64 _model = new(seed: 1);
    private readonly StepLstmH64.StepState _state;
    private readonly float[] _input = Inputs.Uniform(StepLstmH64.InputSize, seed: 2);
    private readonly float[] _output = new float[StepLstmH64.OutputSize];

    public StepLstmH64Case() => _state = _model.CreateState();

    public override string Id => "step_lstm_h64";

    public override double Flops => FlopModel.Step(FlopModel.LstmGates, 32, 64, 32);

    public override IReadOnlyList<(long Bytes, int Times)> WeightReads =>
        [(PackedInputBytes(FlopModel.LstmGates, 32, 64) + PackedRecurrentBytes(FlopModel.LstmGates, 64) + PackedHeadBytes(32, 64), 1)];

    public override void Run() => _model.Step(_state, _input, _output);
}

/// <summary><c>step_lstm_h256</c>: LSTM I=32 H=256 + Linear 32.</summary>
internal sealed class StepLstmH256Case : BenchmarkCase
{
    private readonly StepLstmH256 _model = new(seed: 1);
    private readonly StepLstmH256.StepState _state;
    private readonly float[] _input = Inputs.Uniform(StepLstmH256.InputSize, seed: 2);
    private readonly float[] _output = new float[StepLstmH256.OutputSize];

    public StepLstmH256Case() => _state = _model.CreateState();

    public override string Id => "step_lstm_h256";

    public override double Flops => FlopModel.Step(FlopModel.LstmGates, 32, 256, 32);

    public override IReadOnlyList<(long Bytes, int Times)> WeightReads =>
        [(PackedInputBytes(FlopModel.LstmGates, 32, 256) + PackedRecurrentBytes(FlopModel.LstmGates, 256) + PackedHeadBytes(32, 256), 1)];

    public override void Run() => _model.Step(_state, _input, _output);
}

/// <summary><c>step_gru_h128</c>: GRU I=32 H=128 + Linear 32.</summary>
internal sealed class StepGruH128Case : BenchmarkCase
{
    private readonly StepGruH128 _model = new(seed: 1);
    private readonly StepGruH128.StepState _state;
    private readonly float[] _input = Inputs.Uniform(StepGruH128.InputSize, seed: 2);
    private readonly float[] _output = new float[StepGruH128.OutputSize];

    public StepGruH128Case() => _state = _model.CreateState();

    public override string Id => "step_gru_h128";

    public override double Flops => FlopModel.Step(FlopModel.GruGates, 32, 128, 32);

    public override IReadOnlyList<(long Bytes, int Times)> WeightReads =>
        [(PackedInputBytes(FlopModel.GruGates, 32, 128) + PackedRecurrentBytes(FlopModel.GruGates, 128) + PackedHeadBytes(32, 128), 1)];

    public override void Run() => _model.Step(_state, _input, _output);
}
