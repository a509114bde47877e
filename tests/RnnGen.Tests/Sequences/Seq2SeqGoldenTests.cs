using System.Linq;
using RnnGen.Sequences;
using RnnGen.Tests.Models;

namespace RnnGen.Tests.Sequences;

/// <summary>
/// The compositions reproduce PyTorch (Golden/seq2seq, made by make_seq2seq_golden.py): an encoder-decoder trained
/// with teacher forcing, and a decoder whose initial state a dense layer seeds from a vector. Loss and every gradient
/// of every part match at float32 tolerance.
/// </summary>
public sealed class Seq2SeqGoldenTests
{
    private static int Metadata(GoldenFixture fixture, string key) => int.Parse(fixture.Metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The fixture's parameters are exactly the blocks' tensors, each block's names under its prefix.</summary>
    private static void AssertSameTensors(GoldenFixture fixture, params (string Prefix, RnnParameters Parameters)[] blocks) =>
        Assert.Equal(
            fixture.ParameterNames.OrderBy(n => n, StringComparer.Ordinal),
            blocks.SelectMany(b => b.Parameters.Tensors.Select(t => b.Prefix + t.Name)).OrderBy(n => n, StringComparer.Ordinal));

    private static void Load(GoldenFixture fixture, string prefix, RnnParameters parameters)
    {
        foreach (ParameterTensor tensor in parameters.Tensors)
            fixture.Floats("param." + prefix + tensor.Name).CopyTo(parameters.GetValues(tensor.Name));
    }

    private static void AssertGradients(GoldenFixture fixture, string prefix, RnnParameters parameters)
    {
        foreach (ParameterTensor tensor in parameters.Tensors)
            GoldenModelTests.AssertClose(fixture.Floats("grad." + prefix + tensor.Name), parameters.GetGradients(tensor.Name), "grad." + prefix + tensor.Name);
    }

    private static void AssertSeq2Seq<TEncoder, TDecoder, TState>(string name, TEncoder encoder, TDecoder decoder)
        where TEncoder : class, IRnnEncoder<int>
        where TDecoder : class, IRnnModel<int, int>, IRnnTokenStream<TState>
        where TState : class, IRnnStepState<TState>
    {
        GoldenFixture fixture = GoldenFixture.Load(name, "seq2seq");
        AssertSameTensors(fixture, ("encoder.", encoder.Parameters), ("decoder.", decoder.Parameters));
        Load(fixture, "encoder.", encoder.Parameters);
        Load(fixture, "decoder.", decoder.Parameters);
        var seq2seq = new Seq2Seq<TEncoder, TDecoder, TState>(encoder, decoder, Metadata(fixture, "bos"), Metadata(fixture, "eos"));

        float loss = seq2seq.ComputeGradients(fixture.Ints("source"), fixture.Ints("target"));

        Assert.Equal(fixture.Ints("decoder_inputs"), seq2seq.DecoderInputs.ToArray());
        GoldenModelTests.AssertClose(fixture.Floats("loss"), new[] { loss }, "loss");
        AssertGradients(fixture, "encoder.", encoder.Parameters);
        AssertGradients(fixture, "decoder.", decoder.Parameters);
    }

    private static void AssertSeeded<TDecoder>(string name, TDecoder decoder)
        where TDecoder : class, IRnnModel<int, int>
    {
        GoldenFixture fixture = GoldenFixture.Load(name, "seq2seq");
        float[] vectors = fixture.Floats("vectors");
        var seeder = new StateSeeder(decoder, vectors.Length / decoder.BatchSize, seedCells: fixture.Metadata["seed_cells"] == "true");
        AssertSameTensors(fixture, ("", seeder.Parameters), ("decoder.", decoder.Parameters));
        Load(fixture, "", seeder.Parameters);
        Load(fixture, "decoder.", decoder.Parameters);
        int[] target = fixture.Ints("target");
        var inputs = new int[target.Length];

        seeder.Forward(vectors);
        Decoding.TeacherForcedInputs(target, decoder.BatchSize, Metadata(fixture, "bos"), Metadata(fixture, "eos"), inputs);
        float loss = decoder.ComputeGradients(inputs, target);
        seeder.Backward();

        Assert.Equal(fixture.Ints("decoder_inputs"), inputs);
        GoldenModelTests.AssertClose(fixture.Floats("loss"), new[] { loss }, "loss");
        AssertGradients(fixture, "", seeder.Parameters);
        AssertGradients(fixture, "decoder.", decoder.Parameters);
        GoldenModelTests.AssertClose(fixture.Floats("grad.vectors"), seeder.VectorGradient, "grad.vectors");
    }

    [Fact]
    public void ComputeGradients_LstmTwoLayersWithPaddedTargets_MatchesPyTorch() =>
        AssertSeq2Seq<GoldenLstmEncoder, GoldenLstmDecoder, GoldenLstmDecoder.StepState>("seq2seq_lstm_l2", new GoldenLstmEncoder(), new GoldenLstmDecoder());

    [Fact]
    public void ComputeGradients_GruLongerTargetThanSource_MatchesPyTorch() =>
        AssertSeq2Seq<GoldenGruEncoder, GoldenGruDecoder, GoldenGruDecoder.StepState>("seq2seq_gru_l1", new GoldenGruEncoder(), new GoldenGruDecoder());

    [Fact]
    public void StateSeeder_LstmHiddenAndCells_MatchesPyTorch() => AssertSeeded("seeder_lstm_l2", new GoldenSeededLstmDecoder());

    [Fact]
    public void StateSeeder_GruHiddenOnly_MatchesPyTorch() => AssertSeeded("seeder_gru_l1", new GoldenSeededGruDecoder());

    [Fact]
    public void Forward_GoldenDecoderFromEncoderStates_MatchesPyTorchLogits()
    {
        GoldenFixture fixture = GoldenFixture.Load("seq2seq_lstm_l2", "seq2seq");
        var encoder = new GoldenLstmEncoder();
        var decoder = new GoldenLstmDecoder();
        Load(fixture, "encoder.", encoder.Parameters);
        Load(fixture, "decoder.", decoder.Parameters);
        var seq2seq = new Seq2Seq<GoldenLstmEncoder, GoldenLstmDecoder, GoldenLstmDecoder.StepState>(encoder, decoder, 0, 1);
        int[] inputs = fixture.Ints("decoder_inputs");
        float[] expected = fixture.Floats("logits");
        Losses.Softmax(expected, GoldenLstmDecoder.OutputSize);
        var probabilities = new float[GoldenLstmDecoder.OutputSize];
        GoldenLstmDecoder.StepState state = decoder.CreateState();

        seq2seq.Encode(fixture.Ints("source"));
        for (int row = 0; row < GoldenLstmDecoder.BatchSize; row++)
        {
            seq2seq.SeedState(row, state);
            for (int t = 0; t < GoldenLstmDecoder.SequenceLength; t++)
            {
                decoder.Step(state, inputs[t * GoldenLstmDecoder.BatchSize + row], probabilities);
                GoldenModelTests.AssertClose(expected.AsSpan((t * GoldenLstmDecoder.BatchSize + row) * GoldenLstmDecoder.OutputSize, GoldenLstmDecoder.OutputSize), probabilities, $"p[{t}, {row}]");
            }
        }
    }
}
