using BenchmarkDotNet.Attributes;
using RnnGen;

namespace RnnGen.Benchmarks;

[RnnModel(SequenceLength = 64, Unroll = TimeUnrolling.Full)]
[Input(32)]
[Lstm(128)]
[Dense(32)]
public partial class SeqLstmUnrolled { }

[RnnModel(SequenceLength = 64, Unroll = TimeUnrolling.Loop)]
[Input(32)]
[Lstm(128)]
[Dense(32)]
public partial class SeqLstmLooped { }

/// <summary>
/// The measurement behind <see cref="TimeUnrolling.Auto"/>: the same T=64 LSTM forward pass with its steps written out
/// (literal offsets) and as a loop over constant strides. Run with <c>--filter *UnrollingBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class UnrollingBenchmarks
{
    private readonly SeqLstmUnrolled _unrolled = new(1);
    private readonly SeqLstmLooped _looped = new(1);
    private readonly float[] _inputs = new float[SeqLstmUnrolled.InputLength];
    private readonly float[] _outputs = new float[SeqLstmUnrolled.OutputLength];

    [Benchmark(Baseline = true)]
    public void Unrolled() => _unrolled.Forward(_inputs, _outputs);

    [Benchmark]
    public void Looped() => _looped.Forward(_inputs, _outputs);
}
