using System.Collections.Generic;
using System.IO;
using RnnGen.Data;
using static RnnGen.Tests.Training.TrainerTestData;

namespace RnnGen.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "rnngen-checkpoint-" + Guid.NewGuid().ToString("N"));

    public CheckpointTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Modes => new() { "random windows", "stateful windows" };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Load_IntoFreshTrainer_ContinuesBitIdentically(string mode)
    {
        TokenStreamBatcher batcher = TokenBatcher(TrainerTokenLstm.SequenceLength, TrainerTokenLstm.BatchSize);
        string path = Path.Combine(_directory, "run.safetensors");
        Trainer<int, int> original = Create(modelSeed: 1, dataSeed: 21);
        Train(original, batcher, mode, first: 0, count: 10);
        Span<float> headBias = original.Model.Parameters.GetValues("head.bias");
        float kept = headBias[0];
        headBias[0] = float.NaN;
        Assert.True(original.TrainBatch(original.InputBuffer, original.TargetBuffer).Skipped);
        headBias[0] = kept;
        Checkpoint.Save(original, path);
        Train(original, batcher, mode, first: 10, count: 10);

        Trainer<int, int> resumed = Create(modelSeed: 99, dataSeed: 77);
        Checkpoint.Load(resumed, path);
        Assert.Equal(1, resumed.SkippedSteps);
        Train(resumed, batcher, mode, first: 10, count: 10);

        Snapshot.Of(original).AssertEqual(Snapshot.Of(resumed));
        Assert.Equal(20, resumed.Optimizer.StepCount);
    }

    [Fact]
    public void Save_TensorNamesAndMetadata_FollowTheDocumentedLayout()
    {
        Trainer<int, int> trainer = Create(modelSeed: 1, dataSeed: 2);
        string path = Path.Combine(_directory, "layout.safetensors");

        Checkpoint.Save(trainer, path, new Dictionary<string, string> { ["vocabulary"] = "abc" });

        SafeTensorsFile file = SafeTensorsFile.Read(path);
        var names = new List<string>();
        foreach (SafeTensorInfo info in file.Tensors)
            names.Add(info.Name);
        names.Sort(StringComparer.Ordinal);
        Assert.Equal(new[]
        {
            "model.bias_hh_l0", "model.bias_hh_l1", "model.bias_ih_l0", "model.bias_ih_l1", "model.embedding.weight",
            "model.head.bias", "model.head.weight", "model.weight_hh_l0", "model.weight_hh_l1", "model.weight_ih_l0",
            "model.weight_ih_l1", "optimizer.exp_avg", "optimizer.exp_avg_sq", "optimizer.lr", "optimizer.step",
            "state.c0_l0", "state.c0_l1", "state.h0_l0", "state.h0_l1", "trainer.random", "trainer.schedule_step",
            "trainer.skipped_steps",
        }, names);
        Assert.Equal("[3, 8]", file.GetInfo("state.c0_l1").ShapeText);
        Assert.Equal("I64", file.GetInfo("trainer.random").DType);
        Assert.Equal("rnngen.checkpoint", file.Metadata["format"]);
        Assert.Equal("1", file.Metadata["format_version"]);
        Assert.Equal("Adam", file.Metadata["optimizer"]);
        Assert.Equal("abc", file.Metadata["vocabulary"]);
        // The "model." tensors are a weight file PyTorch (and SafeTensors.Load) reads with that prefix.
        var weights = new TrainerTokenLstm(5);
        SafeTensors.Load(weights.Parameters, file, "model.");
        Assert.Equal(Bits(trainer.Model.Parameters.Values), Bits(weights.Parameters.Values));
    }

    [Fact]
    public void Load_MetadataRoundTrip_ReturnsCallerEntries()
    {
        Trainer<int, int> trainer = Create(modelSeed: 1, dataSeed: 2);
        string path = Path.Combine(_directory, "metadata.safetensors");
        Checkpoint.Save(trainer, path, new Dictionary<string, string> { ["note"] = "épreuve ✓" });

        IReadOnlyDictionary<string, string> metadata = Checkpoint.Load(Create(modelSeed: 3, dataSeed: 4), path);

        Assert.Equal("épreuve ✓", metadata["note"]);
    }

    [Fact]
    public void Save_ReservedMetadataKey_Throws()
    {
        Trainer<int, int> trainer = Create(modelSeed: 1, dataSeed: 2);
        string path = Path.Combine(_directory, "reserved.safetensors");

        var error = Assert.Throws<ArgumentException>(() => Checkpoint.Save(trainer, path, new Dictionary<string, string> { ["optimizer"] = "SGD" }));

        Assert.Contains("'optimizer' is reserved", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Load_OtherOptimizer_ThrowsAndLeavesTrainerUntouched()
    {
        string path = Path.Combine(_directory, "adam.safetensors");
        Checkpoint.Save(Create(modelSeed: 1, dataSeed: 2), path);
        var model = new TrainerTokenLstm(3);
        var trainer = new Trainer<int, int>(model, new SGD(model.Parameters, 0.1f, momentum: 0.9), seed: 4);
        Snapshot before = Snapshot.Of(trainer);

        var error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(trainer, path));

        Assert.Contains("metadata 'optimizer' is 'Adam'; the trainer's optimizer is 'SGD'", error.Message);
        Assert.Contains("missing tensor 'optimizer.momentum_buffer'", error.Message);
        Assert.Contains("unexpected tensor 'optimizer.exp_avg'", error.Message);
        before.AssertEqual(Snapshot.Of(trainer));
    }

    [Fact]
    public void Load_OtherBatchSize_ThrowsNamingTheStateAndLeavesTrainerUntouched()
    {
        string path = Path.Combine(_directory, "b3.safetensors");
        Checkpoint.Save(Create(modelSeed: 1, dataSeed: 2), path);
        var model = new TrainerTokenLstmB2(3);
        var trainer = new Trainer<int, int>(model, new Adam(model.Parameters, 0.01f), seed: 4);
        trainer.TrainBatch(trainer.InputBuffer, trainer.TargetBuffer);
        trainer.Model.CarryState();
        Snapshot before = Snapshot.Of(trainer);

        var error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(trainer, path));

        Assert.Equal("state.h0_l0", error.TensorName);
        Assert.Contains("tensor 'state.h0_l0' has shape [3, 8], expected [2, 8]", error.Message);
        before.AssertEqual(Snapshot.Of(trainer));
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "drop model.weight_hh_l1", "missing tensor 'model.weight_hh_l1'" },
        { "drop optimizer.exp_avg_sq", "missing tensor 'optimizer.exp_avg_sq'" },
        { "drop trainer.random", "missing tensor 'trainer.random'" },
        { "drop state.c0_l1", "missing tensor 'state.c0_l1'" },
        { "add extra.tensor", "unexpected tensor 'extra.tensor'" },
        { "zero trainer.random", "'trainer.random' is all zero" },
        { "float optimizer.step", "tensor 'optimizer.step' has dtype F32; expected I64" },
        { "shift trainer.schedule_step", "'trainer.schedule_step' is 4; expected 3" },
        { "negative trainer.skipped_steps", "'trainer.skipped_steps' is -1; expected >= 0" },
        { "nan optimizer.lr", "'optimizer.lr' is NaN; expected a finite value >= 0" },
        { "format other", "metadata 'format' is 'other'; expected 'rnngen.checkpoint'" },
        { "format_version 2", "metadata 'format_version' is '2'; expected '1'" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Load_CorruptCheckpoint_ThrowsNamingTheProblemAndLeavesTrainerUntouched(string corruption, string expected)
    {
        Trainer<int, int> source = Create(modelSeed: 1, dataSeed: 2);
        Train(source, TokenBatcher(TrainerTokenLstm.SequenceLength, TrainerTokenLstm.BatchSize), "stateful windows", 0, 3);
        string path = Path.Combine(_directory, "corrupt.safetensors");
        Checkpoint.Save(source, path);
        Rewrite(path, corruption);
        Trainer<int, int> trainer = Create(modelSeed: 5, dataSeed: 6);
        Snapshot before = Snapshot.Of(trainer);

        var error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(trainer, path));

        Assert.Contains(expected, error.Message);
        before.AssertEqual(Snapshot.Of(trainer));
    }

    [Fact]
    public void Load_PlainWeightFile_ThrowsNotACheckpoint()
    {
        var model = new TrainerTokenLstm(1);
        string path = Path.Combine(_directory, "weights.safetensors");
        SafeTensors.Save(model.Parameters, path);
        Trainer<int, int> trainer = Create(modelSeed: 5, dataSeed: 6);
        Snapshot before = Snapshot.Of(trainer);

        var error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(trainer, path));

        Assert.Contains("metadata 'format' is missing; expected 'rnngen.checkpoint'", error.Message);
        Assert.Contains("missing tensor 'model.weight_ih_l0'", error.Message);
        Assert.Contains("more problems", error.Message);
        before.AssertEqual(Snapshot.Of(trainer));
    }

    private static Trainer<int, int> Create(ulong modelSeed, ulong dataSeed)
    {
        var model = new TrainerTokenLstm(modelSeed);
        return new Trainer<int, int>(model, new Adam(model.Parameters, 0.01f), dataSeed)
        {
            Clipping = TrainerClipping.ByGlobalNorm(1f),
            Schedule = new CosineWithWarmup(0.01f, warmupSteps: 4, totalSteps: 30, minLr: 0.001f),
        };
    }

    private static void Train(Trainer<int, int> trainer, TokenStreamBatcher batcher, string mode, int first, int count)
    {
        for (int i = first; i < first + count; i++)
        {
            if (mode == "random windows")
                trainer.TrainRandomWindow(batcher);
            else
                trainer.TrainWindow(batcher, i % batcher.WindowCount);
        }
    }

    /// <summary>Rewrites a checkpoint with one tensor or metadata entry dropped, added or altered.</summary>
    private static void Rewrite(string path, string corruption)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        string[] words = corruption.Split(' ');
        var metadata = new Dictionary<string, string>(file.Metadata);
        var entries = new List<SafeTensorWriteEntry>();
        foreach (SafeTensorInfo info in file.Tensors)
        {
            if (info.Name != words[1])
                entries.Add(Copy(file, info));
        }
        switch (words[0])
        {
            case "drop":
                break;
            case "add":
                entries.Add(new SafeTensorWriteEntry(words[1], [2], new float[2]));
                break;
            case "zero":
                entries.Add(new SafeTensorWriteEntry(words[1], [4], new long[4]));
                break;
            case "float":
                entries.Add(new SafeTensorWriteEntry(words[1], [], new[] { 3f }));
                break;
            case "shift":
                entries.Add(new SafeTensorWriteEntry(words[1], [], new[] { file.GetInt64(words[1])[0] + 1 }));
                break;
            case "negative":
                entries.Add(new SafeTensorWriteEntry(words[1], [], new[] { -1L }));
                break;
            case "nan":
                entries.Add(new SafeTensorWriteEntry(words[1], [], new[] { float.NaN }));
                break;
            default:
                metadata[words[0]] = words[1];
                break;
        }
        SafeTensorsFile.Write(path, entries, metadata);
    }

    private static SafeTensorWriteEntry Copy(SafeTensorsFile file, SafeTensorInfo info) =>
        info.DType == "I64"
            ? new SafeTensorWriteEntry(info.Name, info.Shape, file.GetInt64(info.Name))
            : new SafeTensorWriteEntry(info.Name, info.Shape, file.GetSingle(info.Name));
}
