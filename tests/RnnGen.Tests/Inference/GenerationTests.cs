using RnnGen.Inference;

namespace RnnGen.Tests.Inference;

/// <summary>
/// The generation loop of docs/latency.md: prime a StepState with a prompt, then alternate sampling and Step, writing
/// into a caller span. Each model's Step is generated, so the tests reach all three through a struct per model.
/// </summary>
public sealed class GenerationTests
{
    public enum Decoder { Greedy, Sample, Temperature, TopK }

    private interface ITokenStream
    {
        int Vocabulary { get; }

        void Step(int token, Span<float> probabilities);
    }

    private readonly struct LstmStream(LstmTokenModel model, LstmTokenModel.StepState state) : ITokenStream
    {
        public int Vocabulary => LstmTokenModel.OutputSize;

        public void Step(int token, Span<float> probabilities) => model.Step(state, token, probabilities);
    }

    private readonly struct GruStream(GruTokenModel model, GruTokenModel.StepState state) : ITokenStream
    {
        public int Vocabulary => GruTokenModel.OutputSize;

        public void Step(int token, Span<float> probabilities) => model.Step(state, token, probabilities);
    }

    private readonly struct RnnStream(RnnTokenModel model, RnnTokenModel.StepState state) : ITokenStream
    {
        public int Vocabulary => RnnTokenModel.OutputSize;

        public void Step(int token, Span<float> probabilities) => model.Step(state, token, probabilities);
    }

    // After the call, probabilities holds the prediction that follows the last generated token, so calling again continues.
    private static void Generate<TStream>(TStream stream, ReadOnlySpan<int> prompt, Span<int> generated, Decoder decoder,
        ref RnnRandom random, Span<float> probabilities, Span<float> scratch) where TStream : struct, ITokenStream
    {
        foreach (int token in prompt)
            stream.Step(token, probabilities);
        for (int i = 0; i < generated.Length; i++)
        {
            generated[i] = decoder switch
            {
                Decoder.Greedy => Sampling.Greedy(probabilities),
                Decoder.Sample => Sampling.Sample(probabilities, ref random),
                Decoder.Temperature => Sampling.SampleWithTemperature(probabilities, 0.8f, ref random, scratch),
                _ => Sampling.SampleTopK(probabilities, 5, 0.8f, ref random, scratch),
            };
            stream.Step(generated[i], probabilities);
        }
    }

    private static int[] Generate<TStream>(TStream stream, int[] prompt, int count, Decoder decoder, ulong seed) where TStream : struct, ITokenStream
    {
        var generated = new int[count];
        var random = new RnnRandom(seed);
        Generate(stream, prompt, generated, decoder, ref random, new float[stream.Vocabulary], new float[stream.Vocabulary]);
        return generated;
    }

    // Greedy continuation must be what the batch Forward predicts at every position of the finished sequence.
    private static void AssertGreedyMatchesForward<TStream>(TStream stream, IRnnModel<int, int> model, int prompt) where TStream : struct, ITokenStream
    {
        int length = model.SequenceLength;
        int[] generated = Generate(stream, [prompt], length - 1, Decoder.Greedy, 0);
        var sequence = new int[length];
        sequence[0] = prompt;
        generated.CopyTo(sequence, 1);

        var outputs = new float[model.OutputLength];
        model.Forward(sequence, outputs);
        for (int t = 0; t + 1 < length; t++)
            Assert.Equal(sequence[t + 1], Sampling.Greedy(outputs.AsSpan(t * stream.Vocabulary, stream.Vocabulary)));
    }

    [Fact]
    public void Greedy_LstmGruRnn_MatchesArgmaxOfForwardOverGeneratedSequence()
    {
        var lstm = new LstmTokenModel(1);
        var gru = new GruTokenModel(2);
        var rnn = new RnnTokenModel(3);
        AssertGreedyMatchesForward(new LstmStream(lstm, lstm.CreateState()), lstm, 4);
        AssertGreedyMatchesForward(new GruStream(gru, gru.CreateState()), gru, 5);
        AssertGreedyMatchesForward(new RnnStream(rnn, rnn.CreateState()), rnn, 6);
    }

    [Theory]
    [InlineData(Decoder.Sample)]
    [InlineData(Decoder.Temperature)]
    [InlineData(Decoder.TopK)]
    public void Generate_SameSeed_SameTokens(Decoder decoder)
    {
        var model = new LstmTokenModel(9);
        int[] prompt = [1, 2, 3];
        int[] a = Generate(new LstmStream(model, model.CreateState()), prompt, 200, decoder, 10);
        int[] b = Generate(new LstmStream(model, model.CreateState()), prompt, 200, decoder, 10);
        int[] c = Generate(new LstmStream(model, model.CreateState()), prompt, 200, decoder, 11);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a, token => Assert.InRange(token, 0, LstmTokenModel.VocabularySize - 1));
    }

    [Fact]
    public void Generate_InTwoCalls_ContinuesLikeOneCall()
    {
        var model = new GruTokenModel(12);
        var oneState = model.CreateState();
        int[] whole = Generate(new GruStream(model, oneState), [7], 40, Decoder.TopK, 13);

        var state = model.CreateState();
        var stream = new GruStream(model, state);
        var random = new RnnRandom(13);
        var probabilities = new float[GruTokenModel.OutputSize];
        var scratch = new float[GruTokenModel.OutputSize];
        var parts = new int[40];
        Generate(stream, [7], parts.AsSpan(0, 15), Decoder.TopK, ref random, probabilities, scratch);
        Generate(stream, [], parts.AsSpan(15), Decoder.TopK, ref random, probabilities, scratch);

        Assert.Equal(whole, parts);
        Assert.Equal(oneState.Values.ToArray(), state.Values.ToArray());
    }

    [Theory]
    [InlineData(Decoder.Greedy)]
    [InlineData(Decoder.Sample)]
    [InlineData(Decoder.Temperature)]
    [InlineData(Decoder.TopK)]
    public void Generate_LstmGruRnn_AllocatesZeroBytes(Decoder decoder)
    {
        var lstm = new LstmTokenModel(14);
        var gru = new GruTokenModel(15);
        var rnn = new RnnTokenModel(16);
        var lstmStream = new LstmStream(lstm, lstm.CreateState());
        var gruStream = new GruStream(gru, gru.CreateState());
        var rnnStream = new RnnStream(rnn, rnn.CreateState());
        int[] prompt = [1, 2, 3, 4];
        var generated = new int[256];
        var probabilities = new float[64];
        var scratch = new float[64];
        var random = new RnnRandom(17);

        Assert.Equal(0, AllocationMeter.Measure(() => Generate(lstmStream, prompt, generated, decoder, ref random, probabilities.AsSpan(0, LstmTokenModel.OutputSize), scratch.AsSpan(0, LstmTokenModel.OutputSize)), calls: 1));
        Assert.Equal(0, AllocationMeter.Measure(() => Generate(gruStream, prompt, generated, decoder, ref random, probabilities.AsSpan(0, GruTokenModel.OutputSize), scratch.AsSpan(0, GruTokenModel.OutputSize)), calls: 1));
        Assert.Equal(0, AllocationMeter.Measure(() => Generate(rnnStream, prompt, generated, decoder, ref random, probabilities.AsSpan(0, RnnTokenModel.OutputSize), scratch.AsSpan(0, RnnTokenModel.OutputSize)), calls: 1));
    }

    [Fact]
    public void DocumentedLoop_ConcreteLstm_GeneratesIntoCallerSpanWithoutAllocating()
    {
        var model = new LstmTokenModel(18);
        int[] expected = Generate(new LstmStream(model, model.CreateState()), [3, 1, 4, 1, 5], 100, Decoder.TopK, 19);

        ReadOnlySpan<int> prompt = [3, 1, 4, 1, 5];
        Span<int> generated = stackalloc int[100];
        Span<float> probabilities = stackalloc float[LstmTokenModel.OutputSize];
        Span<float> scratch = stackalloc float[LstmTokenModel.OutputSize];

        // Least of three attempts, as AllocationMeter measures (stack buffers cannot be captured by its delegate).
        long allocated = long.MaxValue;
        for (int attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            var state = model.CreateState();
            var random = new RnnRandom(19);

            // Verbatim the loop in docs/latency.md, on a concrete model with stack buffers.
            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (int token in prompt)
                model.Step(state, token, probabilities);
            for (int i = 0; i < generated.Length; i++)
            {
                generated[i] = Sampling.SampleTopK(probabilities, 5, 0.8f, ref random, scratch);
                model.Step(state, generated[i], probabilities);
            }
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(expected, generated.ToArray());
        }

        Assert.Equal(0, allocated);
    }
}
