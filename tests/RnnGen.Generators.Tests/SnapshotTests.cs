using System.Linq;
using Microsoft.CodeAnalysis;
using RnnGen.Generators.Tests.Infrastructure;

namespace RnnGen.Generators.Tests;

/// <summary>Generated source is reviewed through snapshots, and every snapshot must compile without a warning.</summary>
public sealed class SnapshotTests
{
    private static void VerifyGenerated(string source, [System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Null(run.Exception);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.Problems.Count == 0, string.Join("\n", run.Problems.Take(10).Select(d => d.ToString())));
        GeneratedSourceResult generated = Assert.Single(run.Sources);
        Snapshot.Verify(generated.SourceText.ToString(), generated.HintName, method: method);
    }

    [Fact]
    public void CharRnn_EmbeddingTanhSoftmax_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        namespace Demo;

        [RnnModel(SequenceLength = 4, BatchSize = 2)]
        [Embedding(vocabulary: 5, size: 3)]
        [SimpleRnn(6)]
        [Dense(5, Activation = DenseActivation.Softmax)]
        public partial class CharRnn { }
        """);

    // The batched training shape: a token table for the embedding (V ≤ T·B) and W_hh packed into GEMM panels once per
    // pass (T ≥ 8), in a loop over the steps (T > 32).
    [Fact]
    public void BatchedCharLm_TokenTableAndRecurrentPanels_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        namespace Demo;

        [RnnModel(SequenceLength = 40, BatchSize = 4)]
        [Embedding(vocabulary: 30, size: 8)]
        [Lstm(16)]
        [Dense(30, Activation = DenseActivation.Softmax)]
        public partial class BatchedCharLm { }
        """);

    // Time loops in bands of batch rows: the bidirectional GRU and the LSTM run on recurrent panels (T ≥ 8), so each
    // direction's forward and backward loop becomes a band method with the sequence lengths sliced to its rows; the
    // projected LSTM keeps its steps inline. Unrolled (T × directions ≤ 32 per layer).
    [Fact]
    public void BandedBidirectionalVariableLength_StepBands_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        namespace Demo;

        [RnnModel(SequenceLength = 8, BatchSize = 3, VariableLength = true)]
        [Input(4)]
        [Gru(5, Bidirectional = true)]
        [Lstm(6, ProjectionSize = 3)]
        [Dense(2, Activation = DenseActivation.Softmax)]
        public partial class BandedTagger { }
        """);

    [Fact]
    public void StackedRelu_MixedSizesRegression_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        namespace Demo.Regression;

        [RnnModel(SequenceLength = 3, BatchSize = 1)]
        [Input(2)]
        [SimpleRnn(5, Activation = RnnActivation.Relu)]
        [SimpleRnn(3, Activation = RnnActivation.Relu, Bias = false)]
        [Dense(1)]
        internal partial class Stacked { }
        """);

    [Fact]
    public void Lstm_TwoLayers_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        namespace Demo;

        [RnnModel(SequenceLength = 3, BatchSize = 2)]
        [Input(4)]
        [Lstm(8, Layers = 2)]
        [Dense(3, Activation = DenseActivation.Softmax)]
        public partial class Tagger { }
        """);

    [Fact]
    public void Gru_LastStepInNestedType_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        public static partial class Outer
        {
            [RnnModel(SequenceLength = 5)]
            [Input(3)]
            [Gru(4)]
            [Dense(2, Steps = OutputSteps.LastStep)]
            public partial class Classifier { }
        }
        """);

    [Fact]
    public void LongSequence_BeyondUnrollBudget_EmitsConstantStrideLoop() => VerifyGenerated("""
        using RnnGen;

        namespace Demo;

        [RnnModel(SequenceLength = 300, BatchSize = 1)]
        [Input(1)]
        [Lstm(2)]
        [Dense(1)]
        public partial class LongSignal { }
        """);

    [Fact]
    public void BidirectionalVariableLength_MergeModes_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        namespace Demo;

        [RnnModel(SequenceLength = 3, BatchSize = 2, VariableLength = true)]
        [OneHot(4)]
        [Gru(3, Bidirectional = true, ResetAfter = false)]
        [Lstm(4, ProjectionSize = 2, Bidirectional = true, Merge = BidirectionalMerge.Sum)]
        [Dense(2, Activation = DenseActivation.Softmax, Steps = OutputSteps.LastStep)]
        public partial class Tagger { }
        """);

    // A head past Limits.PackedHeadFloats (9 × 30,000 packed floats) keeps Step's GEMM head and gets no packed copy.
    [Fact]
    public void LargeHead_StepKeepsTheGemmHead()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using RnnGen;

            namespace Demo;

            [RnnModel(SequenceLength = 3)]
            [Input(4)]
            [Lstm(8)]
            [Dense(30000)]
            public partial class WideHead { }
            """);
        Assert.Null(run.Exception);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.Problems.Count == 0, string.Join("\n", run.Problems.Take(10).Select(d => d.ToString())));
        string code = Assert.Single(run.Sources).SourceText.ToString();
        Assert.DoesNotContain("HeadPacked", code);
        Assert.DoesNotContain("PackedCell.Dense", code);
        Assert.Contains("global::RnnGen.Kernels.Gemm.MultiplyTransposedB(s.Slice(0, 8), p.Slice(HeadWeightOffset, HeadWeightLength), output, 1, OutputSize, 8, false);", code);
    }

    [Fact]
    public void Seq2SeqEncoder_NoHead_MatchesSnapshot() => VerifyGenerated("""
        using RnnGen;

        namespace Demo;

        [RnnModel(SequenceLength = 3, BatchSize = 2, Encoder = true)]
        [Embedding(6, 3)]
        [Lstm(4)]
        public partial class SourceEncoder { }
        """);
}
