using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using RnnGen;

namespace RnnGen.Tests.IO;

/// <summary>
/// Every malformed or mismatched file raises <see cref="SafeTensorsFormatException"/> naming the problem and the
/// tensor, and leaves the model's values untouched.
/// </summary>
public sealed class SafeTensorsErrorTests
{
    private const string Valid8 = "\"dtype\":\"F32\",\"shape\":[8]";

    /// <summary>Loads the bytes from a file into the small model and returns the error, checking nothing changed.</summary>
    private static SafeTensorsFormatException LoadFails(byte[] bytes, string? prefix = null)
    {
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();
        ulong before = SafeTensorsFixtures.Checksum(parameters.Values);
        using var folder = new SafeTensorsFixtures.TempDirectory();
        string path = folder.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(parameters, path, prefix));

        Assert.Equal(before, SafeTensorsFixtures.Checksum(parameters.Values));
        return error;
    }

    /// <summary>The small model's file with one tensor replaced, removed (<paramref name="shape"/> null) or added.</summary>
    private static byte[] ModelFileWith(string name, string? dtype, int[]? shape)
    {
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();
        var entries = new List<SafeTensorWriteEntry>();
        foreach (ParameterTensor tensor in parameters.Tensors)
        {
            if (tensor.Name != name)
                entries.Add(new SafeTensorWriteEntry(tensor.Name, tensor.Shape, parameters.GetValues(tensor.Name).ToArray()));
        }
        if (shape is not null)
        {
            int count = 1;
            foreach (int dim in shape)
                count *= dim;
            entries.Add(dtype == "I64"
                ? new SafeTensorWriteEntry(name, shape, new long[count])
                : new SafeTensorWriteEntry(name, shape, new float[count]));
        }
        return SafeTensorsFile.Serialize(entries);
    }

    [Fact]
    public void Load_MissingTensor_NamesItAndItsShape()
    {
        var error = LoadFails(ModelFileWith("head.weight", null, null));

        Assert.Contains("missing tensor 'head.weight' (expected [4, 2])", error.Message, StringComparison.Ordinal);
        Assert.Equal("head.weight", error.TensorName);
    }

    [Fact]
    public void Load_UnexpectedTensor_NamesIt()
    {
        var error = LoadFails(ModelFileWith("bias_hh_l0", "F32", [8]));

        Assert.Contains("unexpected tensor 'bias_hh_l0'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TransposedShape_NamesBothShapes()
    {
        var error = LoadFails(ModelFileWith("weight_ih_l0", "F32", [3, 8]));

        Assert.Contains("tensor 'weight_ih_l0' has shape [3, 8], expected [8, 3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_IntegerDType_NamesTensorAndDType()
    {
        var error = LoadFails(ModelFileWith("bias_ih_l0", "I64", [8]));

        Assert.Contains("tensor 'bias_ih_l0' has dtype I64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongPrefix_ReportsEveryMissingTensorWithThePrefix()
    {
        var error = LoadFails(SafeTensors.Serialize(SafeTensorsFixtures.SmallModel(), "rnn."), prefix: "lstm.");

        Assert.Contains("prefix 'lstm.'", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing tensor 'lstm.weight_ih_l0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing tensor 'lstm.head.weight'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnprefixedLoadOfPrefixedFile_ReportsUnexpectedTensors()
    {
        var error = LoadFails(SafeTensors.Serialize(SafeTensorsFixtures.SmallModel(), "rnn."));

        Assert.Contains("missing tensor 'weight_ih_l0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected tensor 'rnn.weight_ih_l0'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedData_NamesTheTensorPastTheEnd()
    {
        byte[] valid = SafeTensors.Serialize(SafeTensorsFixtures.SmallModel());

        var error = LoadFails(valid[..^5]);

        Assert.Contains("tensor 'weight_ih_l0' has data_offsets [128, 224] past the end of the 219-byte data buffer", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.safetensors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TrailingBytes_Rejected()
    {
        byte[] valid = SafeTensors.Serialize(SafeTensorsFixtures.SmallModel());
        var longer = new byte[valid.Length + 4];
        valid.CopyTo(longer, 0);

        var error = LoadFails(longer);

        Assert.Contains("4 trailing bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HeaderLengthLargerThanFile_Rejected()
    {
        byte[] bytes = SafeTensors.Serialize(SafeTensorsFixtures.SmallModel());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);

        var error = LoadFails(bytes);

        Assert.Contains($"header length {bytes.Length} is larger than the {bytes.Length - 8} bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    public void Load_HeaderLengthOverLimit_Rejected(ulong declared)
    {
        byte[] bytes = SafeTensors.Serialize(SafeTensorsFixtures.SmallModel());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared);

        var error = LoadFails(bytes);

        Assert.Contains($"header length {declared} exceeds the limit of 100000000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void Load_ShorterThanLengthPrefix_Rejected(int length)
    {
        var error = LoadFails(new byte[length]);

        Assert.Contains($"it is {length} bytes long", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HeaderNotUtf8_Rejected()
    {
        byte[] bytes = SafeTensorsFixtures.RawFile("{\"a\":1}", 0);
        bytes[10] = 0xFF;

        var error = LoadFails(bytes);

        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Malformed JSON.
    [InlineData("{\"a\":", 0, "bad header JSON")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]}", 32, "bad header JSON")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]}}{}", 32, "bad header JSON")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]}}\u0000", 32, "bad header JSON")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]}} x", 32, "bad header JSON")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32],}}", 32, "bad header JSON")]
    [InlineData("{/*c*/\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]}}", 32, "bad header JSON")]
    [InlineData("{\"\\ud800\":{" + Valid8 + ",\"data_offsets\":[0,32]}}", 32, "bad header JSON")]
    [InlineData("", 0, "must be a JSON object")]
    [InlineData("[1,2]", 0, "must be a JSON object")]
    [InlineData(" {}", 0, "must be a JSON object")]
    [InlineData("\"text\"", 0, "must be a JSON object")]
    // Wrong structure.
    [InlineData("{\"a\":5}", 0, "tensor 'a' must be an object")]
    [InlineData("{\"a\":[0,4]}", 0, "tensor 'a' must be an object")]
    [InlineData("{\"a\":{\"shape\":[8],\"data_offsets\":[0,32]}}", 32, "tensor 'a' has no 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,32]}}", 32, "tensor 'a' has no 'shape'")]
    [InlineData("{\"a\":{" + Valid8 + "}}", 32, "tensor 'a' has no 'data_offsets'")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32],\"offsets\":[0,32]}}", 32, "tensor 'a' has an unknown field 'offsets'")]
    [InlineData("{\"a\":{" + Valid8 + ",\"dtype\":\"F32\",\"data_offsets\":[0,32]}}", 32, "tensor 'a' has 'dtype' twice")]
    [InlineData("{\"a\":{\"dtype\":7,\"shape\":[8],\"data_offsets\":[0,32]}}", 32, "tensor 'a' has a dtype that is not a string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":8,\"data_offsets\":[0,32]}}", 32, "tensor 'a' has a shape that is not an array")]
    [InlineData("{\"__metadata__\":[\"x\"]}", 0, "'__metadata__' must be an object of strings")]
    [InlineData("{\"__metadata__\":{\"epoch\":3}}", 0, "'__metadata__' entry 'epoch' must be a string")]
    [InlineData("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "'__metadata__' entry 'k' appears twice")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "'__metadata__' appears twice")]
    // Duplicate names.
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]},\"a\":{" + Valid8 + ",\"data_offsets\":[32,64]}}", 64, "tensor 'a' appears twice")]
    // Shapes.
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "tensor 'a' has shape dimension -1")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}", 4, "tensor 'a' has shape dimension 2.5")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e1],\"data_offsets\":[0,40]}}", 40, "tensor 'a' has shape dimension 1e1")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"8\"],\"data_offsets\":[0,32]}}", 32, "tensor 'a' has shape dimension \"8\"")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[[8]],\"data_offsets\":[0,32]}}", 32, "tensor 'a' has shape dimension StartArray")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,4]}}", 4, "tensor 'a' has shape dimension 4294967296")]
    [InlineData("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", 8, "tensor 'a' has shape [2147483647, 2147483647, 2147483647], whose element count overflows")]
    [InlineData("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2],\"data_offsets\":[0,8]}}", 8, "whose byte size overflows")]
    // Dtypes.
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4, "tensor 'a' has dtype 'U8', which is not supported (supported: F32, F16, BF16, F64, I64, I32)")]
    [InlineData("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype 'f32'")]
    // Offsets.
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,30]}}", 30, "tensor 'a' has data_offsets [0, 30] holding 30 bytes, but F32 [8] needs 32 bytes")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[32,0]}}", 32, "tensor 'a' has data_offsets [32, 0] that end before they begin")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[1000,1032]}}", 32, "tensor 'a' has data_offsets [1000, 1032] past the end of the 32-byte data buffer")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[-32,0]}}", 32, "tensor 'a' has data_offsets that are not two non-negative integers")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0]}}", 32, "tensor 'a' has data_offsets that are not two non-negative integers")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32,64]}}", 32, "tensor 'a' has data_offsets that are not two non-negative integers")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,3.2e1]}}", 32, "tensor 'a' has data_offsets that are not two non-negative integers")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,18446744073709551616]}}", 32, "tensor 'a' has data_offsets that are not two non-negative integers")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]},\"b\":{" + Valid8 + ",\"data_offsets\":[16,48]}}", 48, "tensor 'b' (data_offsets [16, 48]) overlaps tensor 'a', which ends at 32")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]},\"b\":{" + Valid8 + ",\"data_offsets\":[0,32]}}", 32, "tensor 'b' (data_offsets [0, 32]) overlaps tensor 'a'")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[0,32]},\"b\":{" + Valid8 + ",\"data_offsets\":[40,72]}}", 72, "8 bytes before tensor 'b' (data_offsets [40, 72]) belong to no tensor")]
    [InlineData("{\"a\":{" + Valid8 + ",\"data_offsets\":[8,40]}}", 40, "8 bytes before tensor 'a'")]
    [InlineData("{}", 16, "16 trailing bytes follow the last tensor")]
    public void Parse_MalformedHeader_ThrowsFormatExceptionNamingTheProblem(string header, int dataLength, string expected)
    {
        var error = LoadFails(SafeTensorsFixtures.RawFile(header, dataLength));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(SafeTensorsFixtures.RawFile(header, dataLength)));
    }

    [Fact]
    public void Parse_ErrorAboutOneTensor_CarriesItsName()
    {
        byte[] bytes = SafeTensorsFixtures.RawFile("{\"w\":{" + Valid8 + ",\"data_offsets\":[0,31]}}", 31);

        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(bytes));

        Assert.Equal("w", error.TensorName);
        Assert.StartsWith("Invalid safetensors data: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidEdgeCases_Accepted()
    {
        // Unpadded header, trailing whitespace inside it, null metadata, zero-size tensors sharing an offset, scalars.
        const string Header = "{\"__metadata__\":null,\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
            + "\"f\":{\"dtype\":\"I32\",\"shape\":[0],\"data_offsets\":[4,4]},\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}} \n\t";

        SafeTensorsFile file = SafeTensorsFile.Parse(SafeTensorsFixtures.RawFile(Header, SafeTensorsFixtures.Bytes([2.5f])));

        Assert.Empty(file.Metadata);
        Assert.Equal(2.5f, Assert.Single(file.GetSingle("s")));
        Assert.Empty(file.GetInt64("f"));
        Assert.Equal(new[] { "s", "e", "f" }, new[] { file.Tensors[0].Name, file.Tensors[1].Name, file.Tensors[2].Name });
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        using var folder = new SafeTensorsFixtures.TempDirectory();

        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(folder.File("absent.safetensors")));
    }

    [Fact]
    public void PublicApi_BadArguments_ThrowArgumentExceptionsNamingTheParameter()
    {
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();

        Assert.Throws<ArgumentNullException>("parameters", () => SafeTensors.Save(null!, "x.safetensors"));
        Assert.Throws<ArgumentException>("path", () => SafeTensors.Save(parameters, ""));
        Assert.Throws<ArgumentNullException>("path", () => SafeTensors.Load(parameters, (string)null!));
        Assert.Throws<ArgumentNullException>("file", () => SafeTensors.Load(parameters, (SafeTensorsFile)null!));
        Assert.Throws<ArgumentNullException>("tensors", () => SafeTensorsFile.Serialize(null!));

        var length = Assert.Throws<ArgumentException>("data", () => new SafeTensorWriteEntry("w", [8, 3], new float[20]));
        Assert.Contains("needs 24 values; the data holds 20", length.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("shape", () => new SafeTensorWriteEntry("w", [-1], new float[1]));
        Assert.Throws<ArgumentException>("name", () => new SafeTensorWriteEntry("__metadata__", [1], new float[1]));
        Assert.Throws<ArgumentException>("name", () => new SafeTensorWriteEntry("bad\ud800", [1], new float[1]));
        Assert.Throws<ArgumentNullException>("name", () => new SafeTensorWriteEntry(null!, [1], new long[1]));

        var twice = Assert.Throws<ArgumentException>("tensors", () => SafeTensorsFile.Serialize(new[]
        {
            new SafeTensorWriteEntry("w", [1], new float[1]),
            new SafeTensorWriteEntry("w", [1], new long[1]),
        }));
        Assert.Contains("'w' appears twice", twice.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("tensors", () => SafeTensorsFile.Serialize(new[] { default(SafeTensorWriteEntry) }));
        Assert.Throws<ArgumentException>("metadata", () => SafeTensorsFile.Serialize(
            new[] { new SafeTensorWriteEntry("w", [1], new float[1]) },
            new Dictionary<string, string> { ["k"] = null! }));
    }

    [Fact]
    public void Load_ManyProblems_ReportsTheFirstTenAndCountsTheRest()
    {
        var entries = new List<SafeTensorWriteEntry>();
        for (int i = 0; i < 15; i++)
            entries.Add(new SafeTensorWriteEntry($"extra{i:D2}", [1], new float[1]));

        var error = LoadFails(SafeTensorsFile.Serialize(entries));

        // 4 missing parameters + 15 unexpected tensors.
        Assert.Contains("; and 9 more problems.", error.Message, StringComparison.Ordinal);
        Assert.Equal("weight_ih_l0", error.TensorName);
        Assert.Contains("unexpected tensor 'extra00'", error.Message, StringComparison.Ordinal);
    }
}
