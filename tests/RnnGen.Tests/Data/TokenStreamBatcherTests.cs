using RnnGen.Data;

namespace RnnGen.Tests.Data;

public class TokenStreamBatcherTests
{
    [Fact]
    public void FillWindow_SmallStream_MatchesPyTorchBatchify()
    {
        // 26 tokens, B = 4: streams of 6 (a..f, g..l, m..r, s..x), y and z dropped; T = 2 gives (6 - 1) / 2 = 2 windows.
        int[] tokens = Sequence(26);
        TokenStreamBatcher batcher = new(tokens, sequenceLength: 2, batchSize: 4);
        int[] inputs = new int[8];
        int[] targets = new int[8];

        batcher.FillWindow(1, inputs, targets);

        Assert.Equal(6, batcher.StreamLength);
        Assert.Equal(2, batcher.WindowCount);
        // Time-major: row t holds position 2 + t of streams 0..3, which start at 0, 6, 12, 18.
        Assert.Equal([2, 8, 14, 20, 3, 9, 15, 21], inputs);
        Assert.Equal([3, 9, 15, 21, 4, 10, 16, 22], targets);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(8, 8)]
    [InlineData(15, 16)]
    [InlineData(17, 31)]
    [InlineData(33, 3)]
    [InlineData(64, 17)]
    public void FillWindow_EveryWindow_TargetsAreInputsShiftedByOne(int steps, int batch)
    {
        int[] tokens = RandomTokens(batch * (steps + 1) * 5 + 3, seed: (ulong)(steps * 100 + batch));
        TokenStreamBatcher batcher = new(tokens, steps, batch);
        int[] inputs = new int[steps * batch];
        int[] targets = new int[steps * batch];
        int length = tokens.Length / batch;

        for (int w = 0; w < batcher.WindowCount; w++)
        {
            batcher.FillWindow(w, inputs, targets);
            for (int b = 0; b < batch; b++)
            {
                for (int t = 0; t < steps; t++)
                {
                    int position = b * length + w * steps + t;
                    Assert.Equal(tokens[position], inputs[t * batch + b]);
                    Assert.Equal(tokens[position + 1], targets[t * batch + b]);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(16, 8)]
    [InlineData(31, 17)]
    public void FillWindow_ConsecutiveWindows_ContinueEachStream(int steps, int batch)
    {
        int[] tokens = Sequence(batch * (steps * 4 + 1) + batch - 1); // the remainder of B - 1 is dropped
        TokenStreamBatcher batcher = new(tokens, steps, batch);
        int[] inputs = new int[steps * batch];
        int[] targets = new int[steps * batch];
        int[] previousLastTarget = new int[batch];

        for (int w = 0; w < batcher.WindowCount; w++)
        {
            batcher.FillWindow(w, inputs, targets);
            for (int b = 0; b < batch; b++)
            {
                if (w > 0)
                    Assert.Equal(previousLastTarget[b], inputs[b]);
                for (int t = 1; t < steps; t++)
                    Assert.Equal(targets[(t - 1) * batch + b], inputs[t * batch + b]);
                previousLastTarget[b] = targets[(steps - 1) * batch + b];
            }
        }
        Assert.Equal(4, batcher.WindowCount);
    }

    [Fact]
    public void WindowCount_StreamOneLongerThanWindows_UsesEveryToken()
    {
        // L = 2T + 1: two full windows, and the last target is the stream's last token.
        int[] tokens = Sequence(3 * 9);
        TokenStreamBatcher batcher = new(tokens, sequenceLength: 4, batchSize: 3);
        int[] inputs = new int[12];
        int[] targets = new int[12];

        batcher.FillWindow(batcher.WindowCount - 1, inputs, targets);

        Assert.Equal(2, batcher.WindowCount);
        Assert.Equal(12, batcher.WindowElementCount);
        Assert.Equal(27, batcher.TokenCount);
        Assert.Equal([8, 17, 26], targets[9..]);
    }

    [Fact]
    public void Constructor_CopiesTokens()
    {
        int[] tokens = Sequence(10);
        TokenStreamBatcher batcher = new(tokens, sequenceLength: 4, batchSize: 2);
        tokens[0] = 99;
        int[] inputs = new int[8];
        int[] targets = new int[8];

        batcher.FillWindow(0, inputs, targets);

        Assert.Equal(0, inputs[0]);
    }

    [Fact]
    public void Constructor_ExactlyOneWindow_Succeeds()
    {
        TokenStreamBatcher batcher = new(Sequence(2 * 6), sequenceLength: 5, batchSize: 2);

        Assert.Equal(1, batcher.WindowCount);
    }

    [Fact]
    public void Constructor_StreamTooShort_ThrowsWithRequiredLength()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new TokenStreamBatcher(Sequence(11), sequenceLength: 5, batchSize: 2));

        Assert.Equal("tokens", e.ParamName);
        Assert.Contains("at least 12", e.Message);
    }

    [Fact]
    public void Constructor_HugeShape_ThrowsWithoutOverflow()
    {
        Assert.Throws<ArgumentException>(() => new TokenStreamBatcher(Sequence(10), int.MaxValue, int.MaxValue));
    }

    [Theory]
    [InlineData(0, 1, "sequenceLength")]
    [InlineData(-3, 1, "sequenceLength")]
    [InlineData(1, 0, "batchSize")]
    public void Constructor_NonPositiveShape_Throws(int steps, int batch, string parameter)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new TokenStreamBatcher(Sequence(100), steps, batch));

        Assert.Equal(parameter, e.ParamName);
    }

    [Fact]
    public void Constructor_NegativeToken_ThrowsWithIndex()
    {
        int[] tokens = Sequence(20);
        tokens[13] = -2;

        ArgumentException e = Assert.Throws<ArgumentException>(() => new TokenStreamBatcher(tokens, 3, 2));

        Assert.Equal("tokens", e.ParamName);
        Assert.Contains("index 13", e.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void FillWindow_IndexOutOfRange_Throws(int window)
    {
        TokenStreamBatcher batcher = new(Sequence(26), sequenceLength: 2, batchSize: 4);

        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => batcher.FillWindow(window, new int[8], new int[8]));

        Assert.Equal("window", e.ParamName);
        Assert.Contains("[0, 2)", e.Message);
    }

    [Theory]
    [InlineData(7, 8, "inputs")]
    [InlineData(9, 8, "inputs")]
    [InlineData(8, 7, "targets")]
    public void FillWindow_WrongBufferLength_ThrowsWithExpectedLength(int inputLength, int targetLength, string parameter)
    {
        TokenStreamBatcher batcher = new(Sequence(26), sequenceLength: 2, batchSize: 4);

        ArgumentException e = Assert.Throws<ArgumentException>(() => batcher.FillWindow(0, new int[inputLength], new int[targetLength]));

        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("expected 8", e.Message);
    }

    [Theory]
    [InlineData(7, 8, "inputs")]
    [InlineData(8, 9, "targets")]
    public void FillRandomWindow_WrongBufferLength_ThrowsWithExpectedLength(int inputLength, int targetLength, string parameter)
    {
        TokenStreamBatcher batcher = new(Sequence(26), sequenceLength: 2, batchSize: 4);
        RnnRandom random = new(1);

        ArgumentException e = Assert.Throws<ArgumentException>(() => batcher.FillRandomWindow(ref random, new int[inputLength], new int[targetLength]));

        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("expected 8", e.Message);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(16, 17)]
    [InlineData(33, 8)]
    public void FillRandomWindow_EachRow_IsAContiguousRunWithTargetsShiftedByOne(int steps, int batch)
    {
        // Token i has value i, so a row is contiguous exactly when its values increase by one.
        int[] tokens = Sequence(batch * (steps + 1) + 50);
        TokenStreamBatcher batcher = new(tokens, steps, batch);
        RnnRandom random = new(42);
        int[] inputs = new int[steps * batch];
        int[] targets = new int[steps * batch];

        for (int draw = 0; draw < 20; draw++)
        {
            batcher.FillRandomWindow(ref random, inputs, targets);
            for (int b = 0; b < batch; b++)
            {
                int start = inputs[b];
                Assert.InRange(start, 0, tokens.Length - steps - 1);
                for (int t = 0; t < steps; t++)
                {
                    Assert.Equal(start + t, inputs[t * batch + b]);
                    Assert.Equal(start + t + 1, targets[t * batch + b]);
                }
            }
        }
    }

    [Fact]
    public void FillRandomWindow_SameSeed_SameWindowsAndGeneratorAdvances()
    {
        TokenStreamBatcher batcher = new(Sequence(1000), sequenceLength: 8, batchSize: 4);
        RnnRandom first = new(7);
        RnnRandom second = new(7);
        int[] a = new int[32], b = new int[32], c = new int[32], targets = new int[32];

        batcher.FillRandomWindow(ref first, a, targets);
        batcher.FillRandomWindow(ref second, b, targets);
        batcher.FillRandomWindow(ref first, c, targets);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void FillRandomWindow_ManyDraws_ReachesBothEndsOfTheStream()
    {
        // N = 12, T = 3: starts 0..8; the last start makes the stream's last token a target.
        TokenStreamBatcher batcher = new(Sequence(12), sequenceLength: 3, batchSize: 1);
        RnnRandom random = new(3);
        int[] inputs = new int[3];
        int[] targets = new int[3];
        bool[] seen = new bool[9];

        for (int draw = 0; draw < 500; draw++)
        {
            batcher.FillRandomWindow(ref random, inputs, targets);
            seen[inputs[0]] = true;
        }

        Assert.All(seen, Assert.True);
    }

    [Fact]
    public void FillMethods_AfterWarmUp_AllocateNothing()
    {
        TokenStreamBatcher batcher = new(RandomTokens(64 * 33 * 4, seed: 9), sequenceLength: 64, batchSize: 33);
        int[] inputs = new int[batcher.WindowElementCount];
        int[] targets = new int[batcher.WindowElementCount];
        RnnRandom random = new(11);
        int window = 0;

        Assert.Equal(0, AllocationMeter.Measure(() =>
        {
            batcher.FillWindow(window++ % batcher.WindowCount, inputs, targets);
            batcher.FillRandomWindow(ref random, inputs, targets);
        }));
        Assert.Equal(3, batcher.WindowCount);
    }

    private static int[] Sequence(int length)
    {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++)
            tokens[i] = i;
        return tokens;
    }

    private static int[] RandomTokens(int length, ulong seed)
    {
        RnnRandom random = new(seed);
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++)
            tokens[i] = random.NextInt(65);
        return tokens;
    }
}
