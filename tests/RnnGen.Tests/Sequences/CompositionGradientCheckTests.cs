using RnnGen.Sequences;

namespace RnnGen.Tests.Sequences;

/// <summary>
/// Central finite differences of the whole composition's loss agree with its backward pass: through the decoder, the
/// handed-over states (a GRU layer's h and an LSTM layer's h and c) and the encoder down to its embedding; and through
/// a decoder, the seeded state, the tanh and the seeding layer down to the input vectors.
/// </summary>
public sealed class CompositionGradientCheckTests
{
    private static int[] RandomIds(ref RnnRandom random, int count, int vocabulary)
    {
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = random.NextInt(vocabulary);
        return ids;
    }

    [Fact]
    public void Seq2Seq_MixedGruLstmStack_GradientsOfBothModelsMatchFiniteDifferences()
    {
        var encoder = new FdEncoder(21);
        var decoder = new FdDecoder(22);
        var seq2seq = new Seq2Seq<FdEncoder, FdDecoder, FdDecoder.StepState>(encoder, decoder, beginToken: 0, endToken: 1);
        var random = new RnnRandom(23);
        int[] source = RandomIds(ref random, FdEncoder.InputLength, FdEncoder.VocabularySize);
        int[] target = RandomIds(ref random, FdDecoder.TargetLength, FdDecoder.OutputSize);
        target[^1] = Losses.IgnoreIndex;
        float Loss() => seq2seq.ComputeGradients(source, target);

        seq2seq.ZeroGradients();
        Loss();
        float[] encoderGradients = encoder.Parameters.Gradients.ToArray();
        float[] decoderGradients = decoder.Parameters.Gradients.ToArray();

        FiniteDifferences.CheckParameters(Loss, encoder.Parameters, encoderGradients, "encoder.");
        FiniteDifferences.CheckParameters(Loss, decoder.Parameters, decoderGradients, "decoder.");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StateSeeder_SeededLstmAndGru_GradientsOfSeederDecoderAndVectorsMatchFiniteDifferences(bool seedCells)
    {
        var decoder = new FdDecoder(31);
        var seeder = new StateSeeder(decoder, vectorSize: 3, seedCells, seed: 32);
        var random = new RnnRandom(33);
        var vectors = new float[seeder.InputLength];
        random.FillUniform(vectors, -1, 1);
        int[] target = RandomIds(ref random, FdDecoder.TargetLength, FdDecoder.OutputSize);
        var inputs = new int[target.Length];
        Decoding.TeacherForcedInputs(target, FdDecoder.BatchSize, 0, 1, inputs);
        float Loss()
        {
            seeder.Forward(vectors);
            float loss = decoder.ComputeGradients(inputs, target);
            seeder.Backward();
            return loss;
        }

        seeder.ZeroGradients();
        decoder.ZeroGradients();
        Loss();
        float[] vectorGradient = seeder.VectorGradient.ToArray();
        float[] seederGradients = seeder.Parameters.Gradients.ToArray();
        float[] decoderGradients = decoder.Parameters.Gradients.ToArray();

        FiniteDifferences.Check(Loss, vectors, vectorGradient, "vectors");
        FiniteDifferences.CheckParameters(Loss, seeder.Parameters, seederGradients, "");
        FiniteDifferences.CheckParameters(Loss, decoder.Parameters, decoderGradients, "decoder.");
        Assert.Equal(seedCells ? 7 + 17 + 17 : 7 + 17, seeder.SeedSize);
    }
}
