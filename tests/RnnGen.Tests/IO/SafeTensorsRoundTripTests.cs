using System.Collections.Generic;
using System.IO;
using RnnGen;

namespace RnnGen.Tests.IO;

public sealed class SafeTensorsRoundTripTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData(null, true)]
    [InlineData("rnn.", false)]
    [InlineData("model.encoder.", true)]
    public void SaveLoad_SmallModel_ValuesAndMetadataRoundTripAndResaveIsByteExact(string? prefix, bool withMetadata)
    {
        RnnParameters source = SafeTensorsFixtures.SmallModel(seed: 1);
        RnnParameters target = SafeTensorsFixtures.SmallModel(seed: 2);
        Dictionary<string, string>? metadata = withMetadata
            ? new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "12" }
            : null;
        using var folder = new SafeTensorsFixtures.TempDirectory();
        string first = folder.File("first.safetensors");
        string second = folder.File("second.safetensors");

        SafeTensors.Save(source, first, prefix, metadata);
        IReadOnlyDictionary<string, string> loaded = SafeTensors.Load(target, first, prefix);
        SafeTensors.Save(target, second, prefix, metadata);

        Assert.Equal(SafeTensorsFixtures.Checksum(source.Values), SafeTensorsFixtures.Checksum(target.Values));
        Assert.True(source.Values.SequenceEqual(target.Values));
        Assert.Equal(metadata ?? new Dictionary<string, string>(), loaded);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.Equal(new[] { "first.safetensors", "second.safetensors" }, folder.Entries());
    }

    [Fact]
    public void Load_PrefixedFileWithOtherSubmodules_IgnoresTensorsOutsideThePrefix()
    {
        RnnParameters source = SafeTensorsFixtures.SmallModel(seed: 3);
        RnnParameters target = SafeTensorsFixtures.SmallModel(seed: 4);
        var entries = new List<SafeTensorWriteEntry>();
        foreach (ParameterTensor tensor in source.Tensors)
            entries.Add(new SafeTensorWriteEntry("rnn." + tensor.Name, tensor.Shape, source.GetValues(tensor.Name).ToArray()));
        entries.Add(new SafeTensorWriteEntry("decoder.weight", [3, 2], new float[6]));
        entries.Add(new SafeTensorWriteEntry("steps", [], new long[] { 9 }));
        using var folder = new SafeTensorsFixtures.TempDirectory();
        SafeTensorsFile.Write(folder.File("net.safetensors"), entries);

        SafeTensors.Load(target, folder.File("net.safetensors"), "rnn.");

        Assert.True(source.Values.SequenceEqual(target.Values));
    }

    [Fact]
    public void Load_FromParsedFile_SameResultAsFromPath()
    {
        RnnParameters source = SafeTensorsFixtures.SmallModel(seed: 5);
        RnnParameters target = SafeTensorsFixtures.SmallModel(seed: 6);

        SafeTensors.Load(target, SafeTensorsFile.Parse(SafeTensors.Serialize(source)));

        Assert.True(source.Values.SequenceEqual(target.Values));
    }

    [Fact]
    public void Load_F16File_ConvertsIntoModel()
    {
        RnnParameters target = SafeTensorsFixtures.SmallModel();
        // Every tensor as F16 holding 0.25 (0x3400), laid out in block order.
        var header = new System.Text.StringBuilder("{");
        var data = new List<byte>();
        foreach (ParameterTensor tensor in target.Tensors)
        {
            header.Append(data.Count > 0 ? "," : "")
                .Append($"\"{tensor.Name}\":{{\"dtype\":\"F16\",\"shape\":[{string.Join(",", tensor.Shape.ToArray())}],")
                .Append($"\"data_offsets\":[{data.Count},{data.Count + 2 * tensor.Length}]}}");
            for (int i = 0; i < tensor.Length; i++)
                data.AddRange(new byte[] { 0x00, 0x34 });
        }
        byte[] file = SafeTensorsFixtures.RawFile(header.Append('}').ToString(), data.ToArray());

        SafeTensors.Load(target, SafeTensorsFile.Parse(file));

        foreach (float value in target.Values)
            Assert.Equal(0.25f, value);
    }

    [Fact]
    public void WriteRead_CheckpointWithFloatAndInt64Tensors_RoundTrips()
    {
        int[] lengths = [1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 1025, 2049];
        var random = new RnnRandom(42);
        var entries = new List<SafeTensorWriteEntry>();
        var expected = new Dictionary<string, float[]>();
        foreach (int length in lengths)
        {
            var values = new float[length];
            random.FillNormal(values, 0f, 3f);
            expected.Add($"t{length}", values);
            entries.Add(new SafeTensorWriteEntry($"t{length}", [length], values));
        }
        long[] state = [long.MinValue, -1, 0, 1, long.MaxValue, 0x1234_5678_9ABC_DEF0];
        entries.Add(new SafeTensorWriteEntry("rng.state", [2, 3], state));
        entries.Add(new SafeTensorWriteEntry("scalar", [], new float[] { float.NegativeZero }));
        entries.Add(new SafeTensorWriteEntry("empty", [0, 4], Array.Empty<float>()));
        using var folder = new SafeTensorsFixtures.TempDirectory();
        string path = folder.File("checkpoint.safetensors");

        SafeTensorsFile.Write(path, entries, new Dictionary<string, string> { ["step"] = "100" });
        SafeTensorsFile file = SafeTensorsFile.Read(path);

        foreach (KeyValuePair<string, float[]> pair in expected)
            Assert.Equal(pair.Value, file.GetSingle(pair.Key));
        Assert.Equal(state, file.GetInt64("rng.state"));
        Assert.Equal(new[] { 2, 3 }, file.GetInfo("rng.state").Shape.ToArray());
        Assert.Equal("I64", file.GetInfo("rng.state").DType);
        Assert.True(float.IsNegative(file.GetSingle("scalar")[0]));
        Assert.Equal(0, file.GetInfo("scalar").Shape.Length);
        Assert.Empty(file.GetSingle("empty"));
        Assert.True(file.Contains("t33"));
        Assert.False(file.Contains("t34"));
        Assert.Equal("100", file.Metadata["step"]);
        Assert.Equal(entries.Count, file.Tensors.Count);
        Assert.Equal("rng.state", file.Tensors[0].Name);
    }
}
