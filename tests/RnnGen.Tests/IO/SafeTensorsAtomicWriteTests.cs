using System.Buffers;
using System.IO;
using RnnGen;

namespace RnnGen.Tests.IO;

/// <summary>A save either replaces the file completely or leaves it as it was, with no temporary file behind.</summary>
public sealed class SafeTensorsAtomicWriteTests
{
    /// <summary>Memory whose contents cannot be read, so a write fails after the temporary file has been opened.</summary>
    private sealed class UnreadableMemory(int length) : MemoryManager<float>
    {
        public Memory<float> Create() => CreateMemory(length);

        public override Span<float> GetSpan() => throw new InvalidOperationException("simulated failure while writing tensor data");

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    [Fact]
    public void Save_TargetIsDirectory_ThrowsAndLeavesDirectoryAndNoTemporaryFile()
    {
        using var folder = new SafeTensorsFixtures.TempDirectory();
        string target = folder.File("model.safetensors");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "keep");

        Assert.ThrowsAny<IOException>(() => SafeTensors.Save(SafeTensorsFixtures.SmallModel(), target));

        Assert.Equal(new[] { "model.safetensors" }, folder.Entries());
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "keep.txt")));
    }

    [Fact]
    public void Write_FailsWhileWritingData_ExistingFileIntactAndNoTemporaryFile()
    {
        using var folder = new SafeTensorsFixtures.TempDirectory();
        string path = folder.File("checkpoint.safetensors");
        SafeTensors.Save(SafeTensorsFixtures.SmallModel(), path);
        byte[] before = File.ReadAllBytes(path);
        using var unreadable = new UnreadableMemory(4);
        var entries = new[]
        {
            new SafeTensorWriteEntry("a", [2], new float[] { 1f, 2f }),
            new SafeTensorWriteEntry("b", [4], unreadable.Create()),
        };

        var error = Assert.Throws<InvalidOperationException>(() => SafeTensorsFile.Write(path, entries));

        Assert.Contains("simulated failure", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "checkpoint.safetensors" }, folder.Entries());
    }

    [Fact]
    public void Save_OverExistingFile_ReplacesItCompletely()
    {
        using var folder = new SafeTensorsFixtures.TempDirectory();
        string path = folder.File("model.safetensors");
        File.WriteAllBytes(path, new byte[100_000]);
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();

        SafeTensors.Save(parameters, path);

        Assert.Equal(SafeTensors.Serialize(parameters), File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, folder.Entries());
    }

    [Fact]
    public void Save_MissingDirectory_ThrowsDirectoryNotFoundAndCreatesNothing()
    {
        using var folder = new SafeTensorsFixtures.TempDirectory();

        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(SafeTensorsFixtures.SmallModel(), folder.File("sub/model.safetensors")));

        Assert.Empty(folder.Entries());
    }

    [Fact]
    public void Save_RelativePath_WritesBesideTheWorkingDirectoryTarget()
    {
        using var folder = new SafeTensorsFixtures.TempDirectory();
        string previous = Directory.GetCurrentDirectory();
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();
        try
        {
            Directory.SetCurrentDirectory(folder.Path);
            SafeTensors.Save(parameters, "relative.safetensors");
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }

        Assert.Equal(new[] { "relative.safetensors" }, folder.Entries());
    }
}
