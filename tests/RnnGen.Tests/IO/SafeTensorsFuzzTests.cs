using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using RnnGen;

namespace RnnGen.Tests.IO;

/// <summary>
/// Seeded mutations of a valid file: each one either loads or throws <see cref="SafeTensorsFormatException"/>
/// (never another exception), and a rejected file never changes the model.
/// </summary>
public sealed class SafeTensorsFuzzTests
{
    private const int Iterations = 12_000;

    // Characters that make JSON edits likely to stay near-valid and reach the deeper checks.
    private const string JsonAlphabet = "{}[]\":,0123456789-.eE \\uFabdhiltw_";

    [Fact]
    public void Load_MutatedFiles_LoadOrThrowFormatExceptionAndRejectedNeverChangeTheModel()
    {
        RnnParameters parameters = SafeTensorsFixtures.SmallModel();
        byte[] valid = SafeTensors.Serialize(parameters, metadata: new Dictionary<string, string> { ["format"] = "pt" });
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var random = new RnnRandom(20240611);
        int loaded = 0, rejected = 0;

        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            byte[] mutated = Mutate(valid, headerEnd, ref random, iteration % 8);
            ulong before = SafeTensorsFixtures.Checksum(parameters.Values);
            try
            {
                SafeTensors.Load(parameters, SafeTensorsFile.Parse(mutated));
                loaded++;
            }
            catch (SafeTensorsFormatException)
            {
                Assert.Equal(before, SafeTensorsFixtures.Checksum(parameters.Values));
                rejected++;
            }
        }

        // Both outcomes must be common, or the mutations are not exercising the reader.
        Assert.True(loaded > Iterations / 20, $"only {loaded} mutated files loaded");
        Assert.True(rejected > Iterations / 2, $"only {rejected} mutated files were rejected");
    }

    private static byte[] Mutate(byte[] valid, int headerEnd, ref RnnRandom random, int kind)
    {
        byte[] bytes = (byte[])valid.Clone();
        switch (kind)
        {
            case 0: // Truncation.
                return bytes[..random.NextInt(bytes.Length)];
            case 1: // Bit flips anywhere.
                for (int flips = 1 + random.NextInt(4); flips > 0; flips--)
                    bytes[random.NextInt(bytes.Length)] ^= (byte)(1 << random.NextInt(8));
                return bytes;
            case 2: // Byte changes in the header.
                for (int changes = 1 + random.NextInt(3); changes > 0; changes--)
                    bytes[8 + random.NextInt(headerEnd - 8)] = (byte)random.NextInt(256);
                return bytes;
            case 3: // Byte changes in the data: must still load.
                for (int changes = 1 + random.NextInt(8); changes > 0; changes--)
                    bytes[headerEnd + random.NextInt(bytes.Length - headerEnd)] = (byte)random.NextInt(256);
                return bytes;
            case 4: // Random header length: near the true one, small, or any 64-bit value.
                ulong length = random.NextInt(3) switch
                {
                    0 => (ulong)(headerEnd - 8 + random.NextInt(33) - 16),
                    1 => (ulong)random.NextInt(bytes.Length + 64),
                    _ => random.NextUInt64(),
                };
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                return bytes;
            case 5: // JSON edits: replace, insert or delete a character, keeping the length prefix consistent.
                return EditJson(valid, headerEnd, ref random);
            case 6: // Swap two header spans of equal length (moves names, numbers and punctuation around).
                int width = 1 + random.NextInt(6);
                int a = 8 + random.NextInt(headerEnd - 8 - width);
                int b = 8 + random.NextInt(headerEnd - 8 - width);
                byte[] span = bytes[a..(a + width)];
                Array.Copy(bytes, b, bytes, a, width);
                span.CopyTo(bytes, b);
                return bytes;
            default: // Extra bytes at the end.
                var longer = new byte[bytes.Length + 1 + random.NextInt(16)];
                bytes.CopyTo(longer, 0);
                return longer;
        }
    }

    private static byte[] EditJson(byte[] valid, int headerEnd, ref RnnRandom random)
    {
        string header = Encoding.UTF8.GetString(valid, 8, headerEnd - 8);
        var text = new StringBuilder(header);
        for (int edits = 1 + random.NextInt(3); edits > 0; edits--)
        {
            int at = random.NextInt(text.Length);
            char c = JsonAlphabet[random.NextInt(JsonAlphabet.Length)];
            switch (random.NextInt(3))
            {
                case 0: text[at] = c; break;
                case 1: text.Insert(at, c); break;
                default: text.Remove(at, 1); break;
            }
        }
        return SafeTensorsFixtures.RawFile(text.ToString(), valid.AsSpan(headerEnd));
    }
}
