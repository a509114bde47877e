using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using RnnGen;

namespace RnnGen.Tests.IO;

/// <summary>
/// The writer's bytes against the layout of Python's <c>safetensors.torch.save_file</c>, built here by hand:
/// u64 little-endian header length, compact JSON (serde_json) sorted by dtype then name, <c>__metadata__</c>
/// first, padded with spaces to 8 bytes, then the data in header order.
/// </summary>
public sealed class SafeTensorsPythonFormatTests
{
    private static byte[] Expected(string headerJson, RnnParameters parameters, params string[] dataOrder)
    {
        int padding = (8 - Encoding.UTF8.GetByteCount(headerJson) % 8) % 8;
        byte[] header = Encoding.UTF8.GetBytes(headerJson + new string(' ', padding));
        var bytes = new List<byte>();
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        bytes.AddRange(length);
        bytes.AddRange(header);
        foreach (string name in dataOrder)
            bytes.AddRange(SafeTensorsFixtures.Bytes(parameters.GetValues(name)));
        return bytes.ToArray();
    }

    [Fact]
    public void Save_SmallModel_MatchesPythonSaveFileBytes()
    {
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();
        byte[] expected = Expected(
            "{\"bias_ih_l0\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"
            + "\"head.weight\":{\"dtype\":\"F32\",\"shape\":[4,2],\"data_offsets\":[32,64]},"
            + "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[8,2],\"data_offsets\":[64,128]},"
            + "\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[8,3],\"data_offsets\":[128,224]}}",
            parameters, "bias_ih_l0", "head.weight", "weight_hh_l0", "weight_ih_l0");

        using var folder = new SafeTensorsFixtures.TempDirectory();
        SafeTensors.Save(parameters, folder.File("model.safetensors"));

        Assert.Equal(expected, File.ReadAllBytes(folder.File("model.safetensors")));
        Assert.Equal(expected, SafeTensors.Serialize(parameters));
        Assert.Equal(0, (expected.Length - 8 - 224) % 8);
    }

    [Fact]
    public void Serialize_PrefixAndMetadata_MetadataFirstThenPrefixedNames()
    {
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();
        byte[] expected = Expected(
            "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"rnn.bias_ih_l0\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"
            + "\"rnn.head.weight\":{\"dtype\":\"F32\",\"shape\":[4,2],\"data_offsets\":[32,64]},"
            + "\"rnn.weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[8,2],\"data_offsets\":[64,128]},"
            + "\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[8,3],\"data_offsets\":[128,224]}}",
            parameters, "bias_ih_l0", "head.weight", "weight_hh_l0", "weight_ih_l0");

        byte[] actual = SafeTensors.Serialize(parameters, "rnn.", new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Serialize_MixedDTypes_I64BeforeF32ThenByName()
    {
        // Python sorts by descending dtype; in the reference enum I64 comes after F32.
        var entries = new[]
        {
            new SafeTensorWriteEntry("a", [2], new float[] { 1f, -2f }),
            new SafeTensorWriteEntry("step", [], new long[] { 5 }),
            new SafeTensorWriteEntry("Z", [1], new float[] { 0.5f }),
        };
        const string Header = "{\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
            + "\"Z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        int padding = (8 - Header.Length % 8) % 8;
        var expected = new List<byte>();
        var word = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(word, (ulong)(Header.Length + padding));
        expected.AddRange(word);
        expected.AddRange(Encoding.UTF8.GetBytes(Header + new string(' ', padding)));
        BinaryPrimitives.WriteInt64LittleEndian(word, 5);
        expected.AddRange(word);
        expected.AddRange(SafeTensorsFixtures.Bytes([0.5f, 1f, -2f]));

        Assert.Equal(expected.ToArray(), SafeTensorsFile.Serialize(entries));
    }

    [Fact]
    public void Serialize_SpecialCharacters_EscapedLikeSerdeJson()
    {
        // serde_json escapes only quote, backslash and control characters; other text stays raw UTF-8.
        var entries = new[] { new SafeTensorWriteEntry("q\"b\\s/é\u0001\n", [1], new float[] { 1f }) };
        var metadata = new Dictionary<string, string> { ["z"] = "tab\there", ["a"] = "ünï\u007f<>&" };

        byte[] bytes = SafeTensorsFile.Serialize(entries, metadata);

        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, length).TrimEnd(' ');
        Assert.Equal(
            "{\"__metadata__\":{\"a\":\"ünï\u007f<>&\",\"z\":\"tab\\there\"},"
            + "\"q\\\"b\\\\s/é\\u0001\\n\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            header);
        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);
        Assert.Equal(1f, file.GetSingle("q\"b\\s/é\u0001\n")[0]);
        Assert.Equal("tab\there", file.Metadata["z"]);
    }

    [Fact]
    public void Serialize_EmptyMetadata_WritesEmptyObjectLikePython()
    {
        byte[] bytes = SafeTensorsFile.Serialize(new[] { new SafeTensorWriteEntry("x", [1], new float[] { 2f }) }, new Dictionary<string, string>());

        string header = Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.StartsWith("{\"__metadata__\":{},\"x\":", header, StringComparison.Ordinal);
    }
}
