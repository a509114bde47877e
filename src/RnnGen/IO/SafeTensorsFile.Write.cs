using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace RnnGen;

public sealed partial class SafeTensorsFile
{
    /// <summary>
    /// Writes tensors to a safetensors file, atomically: the bytes go to a temporary file in the same directory,
    /// which is flushed to disk and then renamed over <paramref name="path"/>. A failed write leaves any existing
    /// file untouched and removes the temporary file.
    /// </summary>
    /// <param name="path">Destination file.</param>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map.</param>
    /// <remarks>The bytes are exactly those of Python's <c>safetensors.torch.save_file</c>; see <see cref="Serialize"/>.</remarks>
    /// <exception cref="ArgumentException">A name is repeated or malformed, or an entry is <see langword="default"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyList<SafeTensorWriteEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorWriteEntry[] ordered = Order(tensors);
        byte[] header = BuildHeader(ordered, metadata);

        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        if (fileName.Length == 0)
            throw new ArgumentException($"Path '{path}' must name a file, not a directory.", nameof(path));
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"Path '{path}' must name a file, not a root.", nameof(path));
        // Same directory, so the final rename stays on one file system and is atomic.
        string temporary = Path.Combine(directory, $".{fileName}.{Path.GetRandomFileName()}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteTo(stream, header, ordered);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// The bytes of a safetensors file holding the tensors, exactly as Python's <c>safetensors.torch.save_file</c>
    /// lays them out: tensors sorted by dtype (I64 before F32) then by ordinal name, data in that order, compact
    /// header JSON with <c>__metadata__</c> first (its keys sorted), padded with spaces to a multiple of 8 bytes.
    /// </summary>
    /// <exception cref="ArgumentException">A name is repeated or malformed, an entry is <see langword="default"/>, or the result exceeds 2 GB.</exception>
    public static byte[] Serialize(IReadOnlyList<SafeTensorWriteEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        SafeTensorWriteEntry[] ordered = Order(tensors);
        byte[] header = BuildHeader(ordered, metadata);
        long total = 8L + header.Length;
        foreach (SafeTensorWriteEntry entry in ordered)
            total += entry.ByteLength;
        if (total > Array.MaxLength)
            throw new ArgumentException($"The tensors need {total} bytes, more than one array holds; use Write.", nameof(tensors));
        var bytes = new byte[total];
        using (var stream = new MemoryStream(bytes))
            WriteTo(stream, header, ordered);
        return bytes;
    }

    private static SafeTensorWriteEntry[] Order(IReadOnlyList<SafeTensorWriteEntry> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = new SafeTensorWriteEntry[tensors.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ordered.Length; i++)
        {
            SafeTensorWriteEntry entry = tensors[i];
            if (entry.Name is null)
                throw new ArgumentException($"Entry {i} is a default SafeTensorWriteEntry; construct it with a name, shape and data.", nameof(tensors));
            if (!names.Add(entry.Name))
                throw new ArgumentException($"Tensor name '{entry.Name}' appears twice.", nameof(tensors));
            ordered[i] = entry;
        }
        // The reference writer orders by descending dtype (its enum puts I64 after F32), then by name.
        Array.Sort(ordered, static (a, b) =>
        {
            int order = Rank(b.DType).CompareTo(Rank(a.DType));
            return order != 0 ? order : string.CompareOrdinal(a.Name, b.Name);
        });
        return ordered;
    }

    private static int Rank(string dtype) => dtype == SafeTensorDType.I64 ? 1 : 0;

    private static byte[] BuildHeader(SafeTensorWriteEntry[] ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new StringBuilder("{");
        if (metadata is not null)
        {
            var keys = new List<string>(metadata.Count);
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                SafeTensorWriteEntry.RequireWellFormed(pair.Key, nameof(metadata));
                if (pair.Value is null)
                    throw new ArgumentException($"Metadata entry '{pair.Key}' is null; metadata values must be strings.", nameof(metadata));
                SafeTensorWriteEntry.RequireWellFormed(pair.Value, nameof(metadata));
                keys.Add(pair.Key);
            }
            // The reference writer emits a hash map in arbitrary order; sorting makes ours deterministic.
            keys.Sort(StringComparer.Ordinal);
            json.Append("\"__metadata__\":{");
            for (int i = 0; i < keys.Count; i++)
            {
                if (i > 0)
                    json.Append(',');
                AppendString(json, keys[i]).Append(':');
                AppendString(json, metadata[keys[i]]);
            }
            json.Append('}');
            if (ordered.Length > 0)
                json.Append(',');
        }
        long offset = 0;
        for (int i = 0; i < ordered.Length; i++)
        {
            SafeTensorWriteEntry entry = ordered[i];
            if (i > 0)
                json.Append(',');
            AppendString(json, entry.Name).Append(":{\"dtype\":\"").Append(entry.DType).Append("\",\"shape\":[");
            ReadOnlySpan<int> shape = entry.Shape;
            for (int d = 0; d < shape.Length; d++)
            {
                if (d > 0)
                    json.Append(',');
                json.Append(shape[d].ToString(CultureInfo.InvariantCulture));
            }
            long end = offset + entry.ByteLength;
            json.Append("],\"data_offsets\":[")
                .Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(end.ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset = end;
        }
        json.Append('}');

        string text = json.ToString();
        int length = Encoding.UTF8.GetByteCount(text);
        long padded = (length + 7L) & ~7L;
        if (padded > MaxHeaderLength)
            throw new ArgumentException($"The header would be {padded} bytes, over the {MaxHeaderLength}-byte limit readers enforce.", "tensors");
        var header = new byte[padded];
        Encoding.UTF8.GetBytes(text, header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    /// <summary>Writes a JSON string exactly as serde_json does: only quote, backslash and control characters are escaped.</summary>
    private static StringBuilder AppendString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"');
    }

    private static void WriteTo(Stream stream, byte[] header, SafeTensorWriteEntry[] ordered)
    {
        Span<byte> scratch = stackalloc byte[4096];
        BinaryPrimitives.WriteUInt64LittleEndian(scratch, (ulong)header.Length);
        stream.Write(scratch[..8]);
        stream.Write(header);
        foreach (SafeTensorWriteEntry entry in ordered)
        {
            if (entry.DType == SafeTensorDType.I64)
            {
                ReadOnlySpan<long> data = entry.Int64Data.Span;
                for (int start = 0; start < data.Length; start += scratch.Length / 8)
                {
                    int count = Math.Min(scratch.Length / 8, data.Length - start);
                    for (int i = 0; i < count; i++)
                        BinaryPrimitives.WriteInt64LittleEndian(scratch.Slice(8 * i), data[start + i]);
                    stream.Write(scratch[..(8 * count)]);
                }
            }
            else
            {
                ReadOnlySpan<float> data = entry.SingleData.Span;
                for (int start = 0; start < data.Length; start += scratch.Length / 4)
                {
                    int count = Math.Min(scratch.Length / 4, data.Length - start);
                    for (int i = 0; i < count; i++)
                        BinaryPrimitives.WriteSingleLittleEndian(scratch.Slice(4 * i), data[start + i]);
                    stream.Write(scratch[..(4 * count)]);
                }
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
