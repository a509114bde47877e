using RnnGen.Sequences;

namespace RnnGen.Tests.Sequences;

using FdSeq2Seq = Seq2Seq<FdEncoder, FdDecoder, FdDecoder.StepState>;

/// <summary>Construction checks, teacher forcing below ratio 1, and greedy and beam decoding through the encoder.</summary>
public sealed class Seq2SeqTests
{
    private static int[] RandomIds(ulong seed, int count, int vocabulary)
    {
        var random = new RnnRandom(seed);
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = random.NextInt(vocabulary);
        return ids;
    }

    private static FdSeq2Seq Create(ulong seed = 1, ulong coinSeed = 0) => new(new FdEncoder(seed), new FdDecoder(seed + 1), beginToken: 0, endToken: 1, coinSeed);

    [Fact]
    public void Constructor_BatchSizesDiffer_ThrowsNamingTheDecoder()
    {
        var e = Assert.Throws<ArgumentException>(() => new Seq2Seq<FdEncoder, WrongBatchDecoder, WrongBatchDecoder.StepState>(new FdEncoder(), new WrongBatchDecoder(), 0, 1));
        Assert.Equal("decoder", e.ParamName);
        Assert.Contains("BatchSize 2", e.Message);
    }

    [Fact]
    public void Constructor_LayerCountsDiffer_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Seq2Seq<FdEncoder, WrongLayerCountDecoder, WrongLayerCountDecoder.StepState>(new FdEncoder(), new WrongLayerCountDecoder(), 0, 1));
        Assert.Contains("2 layers", e.Message);
    }

    [Fact]
    public void Constructor_HiddenWidthsDiffer_ThrowsNamingTheLayer()
    {
        var e = Assert.Throws<ArgumentException>(() => new Seq2Seq<FdEncoder, WrongWidthDecoder, WrongWidthDecoder.StepState>(new FdEncoder(), new WrongWidthDecoder(), 0, 1));
        Assert.Contains("layer 1 must have hidden width 17", e.Message);
    }

    [Fact]
    public void Constructor_LstmEncoderLayerAndGruDecoderLayer_ThrowsOnTheCellState()
    {
        var e = Assert.Throws<ArgumentException>(() => new Seq2Seq<FdEncoder, WrongCellDecoder, WrongCellDecoder.StepState>(new FdEncoder(), new WrongCellDecoder(), 0, 1));
        Assert.Contains("layer 1 must have cell width 17", e.Message);
    }

    [Fact]
    public void Constructor_DecoderCannotReadEveryPredictedId_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Seq2Seq<FdEncoder, SmallVocabularyDecoder, SmallVocabularyDecoder.StepState>(new FdEncoder(), new SmallVocabularyDecoder(), 0, 1));
        Assert.Equal("decoder", e.ParamName);
        Assert.Contains("0 to 4", e.Message);
    }

    [Fact]
    public void Constructor_HeadOnLastStepOnly_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Seq2Seq<FdEncoder, LastStepDecoder, LastStepDecoder.StepState>(new FdEncoder(), new LastStepDecoder(), 0, 1));
        Assert.Contains("every step", e.Message);
    }

    [Fact]
    public void Constructor_TokensOutsideTheTargetVocabulary_Throw()
    {
        Assert.Equal("beginToken", Assert.Throws<ArgumentOutOfRangeException>(() => new FdSeq2Seq(new FdEncoder(), new FdDecoder(), 5, 1)).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => new FdSeq2Seq(new FdEncoder(), new FdDecoder(), 0, -1)).ParamName);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void TeacherForcingRatio_OutsideZeroToOne_Throws(float ratio) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Create().TeacherForcingRatio = ratio);

    [Fact]
    public void Greedy_BeforeEncode_ThrowsInvalidOperation() =>
        Assert.Throws<InvalidOperationException>(() => Create().Greedy(0, new int[FdDecoder.SequenceLength]));

    [Fact]
    public void ComputeGradients_WrongLengths_ThrowNamingTheSpan()
    {
        FdSeq2Seq seq2seq = Create();
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => seq2seq.ComputeGradients(new int[3], new int[FdDecoder.TargetLength])).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => seq2seq.ComputeGradients(new int[FdEncoder.InputLength], new int[3])).ParamName);
    }

    [Fact]
    public void ComputeGradients_RatioZero_FeedsBackTheGreedyDecoding()
    {
        FdSeq2Seq seq2seq = Create(3);
        int[] source = RandomIds(4, FdEncoder.InputLength, FdEncoder.VocabularySize);
        int[] target = RandomIds(5, FdDecoder.TargetLength, FdDecoder.OutputSize);
        seq2seq.TeacherForcingRatio = 0f;

        seq2seq.ComputeGradients(source, target);

        int[] inputs = seq2seq.DecoderInputs.ToArray();
        var decoded = new int[FdDecoder.SequenceLength];
        for (int row = 0; row < FdDecoder.BatchSize; row++)
        {
            int length = seq2seq.Greedy(row, decoded);
            Assert.Equal(0, inputs[row]);
            for (int t = 1; t < Math.Min(length + 1, FdDecoder.SequenceLength); t++)
                Assert.Equal(decoded[t - 1], inputs[t * FdDecoder.BatchSize + row]);
        }
    }

    [Fact]
    public void ComputeGradients_RatioHalf_IsSeededAndTrainsOnTheChosenInputs()
    {
        int[] source = RandomIds(6, FdEncoder.InputLength, FdEncoder.VocabularySize);
        int[] target = RandomIds(7, FdDecoder.TargetLength, FdDecoder.OutputSize);
        FdSeq2Seq first = Create(8, coinSeed: 9), second = Create(8, coinSeed: 9);
        first.TeacherForcingRatio = second.TeacherForcingRatio = 0.5f;

        float loss = first.ComputeGradients(source, target);
        Assert.Equal(loss, second.ComputeGradients(source, target));
        Assert.Equal(first.DecoderInputs.ToArray(), second.DecoderInputs.ToArray());
        Assert.Equal(first.Encoder.Parameters.Gradients.ToArray(), second.Encoder.Parameters.Gradients.ToArray());

        // The same pass by hand, teacher-forced on the chosen inputs, gives the same loss and gradients.
        FdSeq2Seq manual = Create(8);
        manual.Encoder.Forward(source);
        for (int layer = 0; layer < FdDecoder.LayerCount; layer++)
            manual.Encoder.FinalHidden(layer).CopyTo(manual.Decoder.InitialHidden(layer));
        manual.Encoder.FinalCell(1).CopyTo(manual.Decoder.InitialCell(1));
        Assert.Equal(loss, manual.Decoder.ComputeGradients(first.DecoderInputs, target));
        Assert.Equal(first.Decoder.Parameters.Gradients.ToArray(), manual.Decoder.Parameters.Gradients.ToArray());
    }

    [Fact]
    public void ComputeGradients_RatioHalf_MixesTeacherAndModelInputsAcrossCalls()
    {
        FdSeq2Seq seq2seq = Create(10, coinSeed: 11);
        seq2seq.TeacherForcingRatio = 0.5f;
        int teacher = 0, total = 0;
        for (int call = 0; call < 200; call++)
        {
            int[] source = RandomIds((ulong)(100 + call), FdEncoder.InputLength, FdEncoder.VocabularySize);
            int[] target = RandomIds((ulong)(500 + call), FdDecoder.TargetLength, FdDecoder.OutputSize);
            seq2seq.ComputeGradients(source, target);
            for (int i = FdDecoder.BatchSize; i < target.Length; i++)
            {
                total++;
                if (seq2seq.DecoderInputs[i] == target[i - FdDecoder.BatchSize])
                    teacher++;
            }
        }

        // Half the inputs are forced; a fifth of the free ones match the target by chance (5 ids), so about 60%.
        double share = (double)teacher / total;
        Assert.InRange(share, 0.5, 0.7);
    }

    [Fact]
    public void Greedy_Batch_MatchesRowByRowAndPadsWithIgnoreIndex()
    {
        FdSeq2Seq seq2seq = Create(12);
        int[] source = RandomIds(13, FdEncoder.InputLength, FdEncoder.VocabularySize);
        var tokens = new int[FdDecoder.TargetLength];
        var lengths = new int[FdDecoder.BatchSize];

        seq2seq.Greedy(source, tokens, lengths);

        var row = new int[FdDecoder.SequenceLength];
        for (int b = 0; b < FdDecoder.BatchSize; b++)
        {
            Assert.Equal(lengths[b], seq2seq.Greedy(b, row));
            for (int t = 0; t < FdDecoder.SequenceLength; t++)
            {
                Assert.Equal(row[t], tokens[t * FdDecoder.BatchSize + b]);
                Assert.Equal(t >= lengths[b], row[t] == Losses.IgnoreIndex);
            }
        }
    }

    [Fact]
    public void BeamSearch_WidthOne_EqualsGreedyForEveryRow()
    {
        FdSeq2Seq seq2seq = Create(14);
        seq2seq.Encode(RandomIds(15, FdEncoder.InputLength, FdEncoder.VocabularySize));
        var search = new BeamSearch<FdDecoder.StepState>(seq2seq.Decoder, 1, FdDecoder.SequenceLength);
        var greedy = new int[FdDecoder.SequenceLength];

        for (int row = 0; row < FdDecoder.BatchSize; row++)
        {
            int length = seq2seq.Greedy(row, greedy);
            Assert.Equal(1, seq2seq.BeamSearch(row, search));
            Assert.Equal(greedy.AsSpan(0, length).ToArray(), search.Sequence(0).ToArray());
        }
    }

    [Fact]
    public void BeamSearch_SearchOnAnotherDecoder_Throws()
    {
        FdSeq2Seq seq2seq = Create(16);
        var search = new BeamSearch<FdDecoder.StepState>(new FdDecoder(), 2, 3);
        Assert.Equal("search", Assert.Throws<ArgumentException>(() => seq2seq.BeamSearch(0, search)).ParamName);
    }

    [Fact]
    public void ClipGradients_JointNormAboveMax_ScalesBothModelsByOneFactor()
    {
        FdSeq2Seq seq2seq = Create(17);
        seq2seq.ComputeGradients(RandomIds(18, FdEncoder.InputLength, FdEncoder.VocabularySize), RandomIds(19, FdDecoder.TargetLength, FdDecoder.OutputSize));
        float[] encoderBefore = seq2seq.Encoder.Parameters.Gradients.ToArray();
        double expected = Math.Sqrt(Sum(encoderBefore) + Sum(seq2seq.Decoder.Parameters.Gradients.ToArray()));

        float total = seq2seq.ClipGradients(0.01f);

        Assert.Equal(expected, total, 4);
        double after = Math.Sqrt(Sum(seq2seq.Encoder.Parameters.Gradients.ToArray()) + Sum(seq2seq.Decoder.Parameters.Gradients.ToArray()));
        Assert.Equal(0.01, after, 5);
        Assert.Equal(encoderBefore[0] * (0.01f / (total + 1e-6f)), seq2seq.Encoder.Parameters.Gradients[0], 6);

        static double Sum(float[] values)
        {
            double sum = 0;
            foreach (float v in values)
                sum += (double)v * v;
            return sum;
        }
    }
}
