using System.Threading;

namespace RnnGen.Tests.Reliability;

/// <summary>
/// One model's weights serve many streams at once: eight threads stepping their own states on one shared instance
/// produce, bit for bit, what the same streams produce one after another on a single thread.
/// </summary>
public sealed class ConcurrentStepTests
{
    private const int Threads = 8;
    private const int StepsPerThread = 12_500;

    [Fact]
    public void TokenLstmStep_EightThreadsOnOneModel_BitIdenticalToSingleThread()
    {
        var model = new StreamingLstm(42);
        ulong weights = Rejection.Checksum(model.Parameters.Values);
        ulong[] sequential = new ulong[Threads];
        for (int stream = 0; stream < Threads; stream++)
            sequential[stream] = RunTokenStream(model, stream);

        ulong[] concurrent = RunConcurrently(stream => RunTokenStream(model, stream));

        Assert.Equal(sequential, concurrent);
        Assert.Equal(Threads, new System.Collections.Generic.HashSet<ulong>(sequential).Count);
        Assert.Equal(weights, Rejection.Checksum(model.Parameters.Values));
    }

    [Fact]
    public void VectorGruStep_EightThreadsOnOneModel_BitIdenticalToSingleThread()
    {
        var model = new StreamingGru(43);
        ulong weights = Rejection.Checksum(model.Parameters.Values);
        ulong[] sequential = new ulong[Threads];
        for (int stream = 0; stream < Threads; stream++)
            sequential[stream] = RunVectorStream(model, stream);

        ulong[] concurrent = RunConcurrently(stream => RunVectorStream(model, stream));

        Assert.Equal(sequential, concurrent);
        Assert.Equal(Threads, new System.Collections.Generic.HashSet<ulong>(sequential).Count);
        Assert.Equal(weights, Rejection.Checksum(model.Parameters.Values));
    }

    /// <summary>Starts every stream on its own thread at the same moment and collects each stream's checksum.</summary>
    private static ulong[] RunConcurrently(Func<int, ulong> run)
    {
        var results = new ulong[Threads];
        var failures = new Exception?[Threads];
        using var start = new Barrier(Threads);
        var threads = new Thread[Threads];
        for (int i = 0; i < Threads; i++)
        {
            int stream = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    results[stream] = run(stream);
                }
                catch (Exception e)
                {
                    failures[stream] = e;
                }
            });
            threads[i].Start();
        }
        foreach (Thread thread in threads)
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "a stepping thread did not finish");
        Assert.All(failures, Assert.Null);
        return results;
    }

    /// <summary>One stream: seeded token ids, with the state reset now and then as a real stream would be.</summary>
    private static ulong RunTokenStream(StreamingLstm model, int stream)
    {
        var random = new RnnRandom(1000UL + (ulong)stream);
        StreamingLstm.StepState state = model.CreateState();
        var output = new float[StreamingLstm.OutputSize];
        ulong hash = 14695981039346656037UL;
        for (int step = 0; step < StepsPerThread; step++)
        {
            if (step % 4_000 == 3_999)
                state.Reset();
            model.Step(state, random.NextInt(StreamingLstm.VocabularySize), output);
            hash = Mix(hash, output);
        }
        return Mix(hash, state.Values);
    }

    /// <summary>One stream: seeded input vectors in [-2, 2).</summary>
    private static ulong RunVectorStream(StreamingGru model, int stream)
    {
        var random = new RnnRandom(2000UL + (ulong)stream);
        StreamingGru.StepState state = model.CreateState();
        var input = new float[StreamingGru.InputSize];
        var output = new float[StreamingGru.OutputSize];
        ulong hash = 14695981039346656037UL;
        for (int step = 0; step < StepsPerThread; step++)
        {
            random.FillUniform(input, -2f, 2f);
            model.Step(state, input, output);
            hash = Mix(hash, output);
        }
        return Mix(hash, state.Values);
    }

    private static ulong Mix(ulong hash, ReadOnlySpan<float> values)
    {
        foreach (float value in values)
        {
            hash ^= (uint)BitConverter.SingleToInt32Bits(value);
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
