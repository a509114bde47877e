using RnnGen.Sequences;

namespace RnnGen.Tests.Sequences;

/// <summary>After construction and one warm-up call, training, decoding and seeding allocate nothing.</summary>
public sealed class SequenceAllocationTests
{
    private static int[] Ids(int count, int vocabulary)
    {
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = (i * 7 + 3) % vocabulary;
        return ids;
    }

    [Fact]
    public void Seq2Seq_TrainGreedyAndBeamSearch_AllocateZeroBytes()
    {
        var seq2seq = new Seq2Seq<FdEncoder, FdDecoder, FdDecoder.StepState>(new FdEncoder(1), new FdDecoder(2), 0, 1);
        var search = new BeamSearch<FdDecoder.StepState>(seq2seq.Decoder, beamWidth: 4, FdDecoder.SequenceLength, lengthPenalty: 0.6f);
        var plain = new BeamSearch<FdDecoder.StepState>(seq2seq.Decoder, beamWidth: 3, FdDecoder.SequenceLength);
        int[] source = Ids(FdEncoder.InputLength, FdEncoder.VocabularySize);
        int[] target = Ids(FdDecoder.TargetLength, FdDecoder.OutputSize);
        var tokens = new int[FdDecoder.TargetLength];
        var lengths = new int[FdDecoder.BatchSize];

        Assert.Equal(0, AllocationMeter.Measure(() => seq2seq.ComputeGradients(source, target)));
        seq2seq.TeacherForcingRatio = 0.5f;
        Assert.Equal(0, AllocationMeter.Measure(() => seq2seq.ComputeGradients(source, target)));
        Assert.Equal(0, AllocationMeter.Measure(() => seq2seq.ClipGradients(1f)));
        Assert.Equal(0, AllocationMeter.Measure(() => seq2seq.Greedy(source, tokens, lengths)));
        Assert.Equal(0, AllocationMeter.Measure(() => seq2seq.BeamSearch(1, search)));
        Assert.Equal(0, AllocationMeter.Measure(() => seq2seq.BeamSearch(0, plain)));
    }

    [Fact]
    public void StateSeeder_ForwardBackwardAndSeedState_AllocateZeroBytes()
    {
        var decoder = new FdDecoder(3);
        var seeder = new StateSeeder(decoder, 3, seedCells: true, seed: 4);
        var vectors = new float[seeder.InputLength];
        int[] target = Ids(FdDecoder.TargetLength, FdDecoder.OutputSize);
        var inputs = new int[target.Length];
        FdDecoder.StepState state = decoder.CreateState();
        var tokens = new int[5];
        var probabilities = new float[FdDecoder.OutputSize];
        var scratch = new float[FdDecoder.OutputSize];
        var random = new RnnRandom(5);

        Assert.Equal(0, AllocationMeter.Measure(() =>
        {
            seeder.Forward(vectors);
            Decoding.TeacherForcedInputs(target, FdDecoder.BatchSize, 0, 1, inputs);
            decoder.ComputeGradients(inputs, target);
            seeder.Backward();
        }));
        Assert.Equal(0, AllocationMeter.Measure(() =>
        {
            seeder.SeedState(vectors.AsSpan(0, 3), state);
            Decoding.Greedy(decoder, state, 0, 1, tokens, probabilities);
            Decoding.Sample(decoder, state, 0, 1, tokens, probabilities, 0.8f, ref random, scratch);
        }));
    }
}
