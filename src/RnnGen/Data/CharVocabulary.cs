using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace RnnGen.Data;

/// <summary>
/// A character-level vocabulary: the distinct UTF-16 code units of a text in ordinal order, each mapped to its rank
/// as a token id. The same text always gives the same ids, like <c>sorted(set(text))</c> in min-char-rnn and nanoGPT's
/// Shakespeare-char preparation.
/// </summary>
/// <remarks>
/// Ids are per code unit, so a character outside the Basic Multilingual Plane (a surrogate pair) takes two ids.
/// Lookups use a dense table indexed by code unit, sized to the largest character of the vocabulary.
/// </remarks>
public sealed class CharVocabulary
{
    private const string JsonFormat = "rnngen.char-vocabulary";
    private const int JsonVersion = 1;

    private readonly string _characters;
    private readonly int[] _idOf; // _idOf[c] is the id of c, or -1; covers 0 .. max character.

    private CharVocabulary(string characters)
    {
        _characters = characters;
        _idOf = new int[characters[^1] + 1];
        _idOf.AsSpan().Fill(-1);
        for (int id = 0; id < characters.Length; id++)
            _idOf[characters[id]] = id;
    }

    /// <summary>Builds the vocabulary of <paramref name="text"/>: its distinct characters in ordinal order.</summary>
    /// <param name="text">The corpus; it must contain at least one character.</param>
    /// <exception cref="ArgumentException"><paramref name="text"/> is empty.</exception>
    public static CharVocabulary FromText(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
            throw new ArgumentException("The text is empty; a vocabulary needs at least 1 character.", nameof(text));
        bool[] seen = new bool[char.MaxValue + 1];
        int count = 0;
        foreach (char c in text)
        {
            if (!seen[c])
            {
                seen[c] = true;
                count++;
            }
        }
        return new CharVocabulary(string.Create(count, seen, static (chars, seen) =>
        {
            int next = 0;
            for (int c = 0; c < seen.Length; c++)
            {
                if (seen[c])
                    chars[next++] = (char)c;
            }
        }));
    }

    /// <summary>Number of distinct characters, which is the vocabulary size a model's embedding and output need.</summary>
    public int Count => _characters.Length;

    /// <summary>All characters in id order: <c>Characters[id]</c> is the character of <c>id</c>.</summary>
    public string Characters => _characters;

    /// <summary>The character whose id is <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in [0, <see cref="Count"/>).</exception>
    public char this[int id]
    {
        get
        {
            if ((uint)id >= (uint)_characters.Length)
                throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id must be in [0, {_characters.Length}).");
            return _characters[id];
        }
    }

    /// <summary>The id of <paramref name="character"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="character"/> is not in the vocabulary.</exception>
    public int IdOf(char character)
    {
        if (!TryGetId(character, out int id))
            throw new ArgumentException($"Character {Describe(character)} is not in the vocabulary of {Count} characters.", nameof(character));
        return id;
    }

    /// <summary>Finds the id of <paramref name="character"/>.</summary>
    /// <returns><see langword="true"/> if the character is in the vocabulary; otherwise <paramref name="id"/> is -1.</returns>
    public bool TryGetId(char character, out int id)
    {
        int[] table = _idOf;
        id = character < table.Length ? table[character] : -1;
        return id >= 0;
    }

    /// <summary>Writes the id of every character of <paramref name="text"/> into <paramref name="destination"/>.</summary>
    /// <param name="text">Characters to encode.</param>
    /// <param name="destination">Receives one id per character; its length must equal <paramref name="text"/>'s.</param>
    /// <exception cref="ArgumentException">
    /// The lengths differ, or <paramref name="text"/> holds a character outside the vocabulary (the message gives it
    /// and its index).
    /// </exception>
    public void Encode(ReadOnlySpan<char> text, Span<int> destination)
    {
        if (destination.Length != text.Length)
            throw new ArgumentException($"Destination holds {destination.Length} ids; expected {text.Length}, one per character of the text.", nameof(destination));
        int[] table = _idOf;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            int id = c < table.Length ? table[c] : -1;
            if (id < 0)
                throw new ArgumentException($"Character {Describe(c)} at index {i} is not in the vocabulary of {Count} characters.", nameof(text));
            destination[i] = id;
        }
    }

    /// <summary>Returns the id of every character of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="text"/> holds a character outside the vocabulary.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] ids = new int[text.Length];
        Encode(text.AsSpan(), ids);
        return ids;
    }

    /// <summary>Writes the character of every id of <paramref name="ids"/> into <paramref name="destination"/>.</summary>
    /// <param name="ids">Token ids, each in [0, <see cref="Count"/>).</param>
    /// <param name="destination">Receives one character per id; its length must equal <paramref name="ids"/>'s.</param>
    /// <exception cref="ArgumentException">The lengths differ, or an id is out of range.</exception>
    public void Decode(ReadOnlySpan<int> ids, Span<char> destination)
    {
        if (destination.Length != ids.Length)
            throw new ArgumentException($"Destination holds {destination.Length} characters; expected {ids.Length}, one per id.", nameof(destination));
        string characters = _characters;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)characters.Length)
                throw new ArgumentException($"Token id {id} at index {i} is outside [0, {characters.Length}).", nameof(ids));
            destination[i] = characters[id];
        }
    }

    /// <summary>Returns the text whose characters have the ids <paramref name="ids"/>.</summary>
    /// <exception cref="ArgumentException">An id is outside [0, <see cref="Count"/>).</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty)
            return string.Empty;
        char[] buffer = ArrayPool<char>.Shared.Rent(ids.Length);
        try
        {
            Span<char> chars = buffer.AsSpan(0, ids.Length);
            Decode(ids, chars);
            return new string(chars);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Serialises the vocabulary as compact JSON, for example to store it next to the weights (a safetensors
    /// <c>__metadata__</c> value). Characters are written as UTF-16 code units, so any vocabulary round-trips,
    /// including one that split surrogate pairs:
    /// <c>{"format":"rnngen.char-vocabulary","version":1,"characters":[10,32,33]}</c>.
    /// </summary>
    public string ToJson()
    {
        ArrayBufferWriter<byte> buffer = new(16 + 4 * _characters.Length);
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("format", JsonFormat);
            writer.WriteNumber("version", JsonVersion);
            writer.WriteStartArray("characters");
            foreach (char c in _characters)
                writer.WriteNumberValue((int)c);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a vocabulary written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="ArgumentException">
    /// The JSON is malformed, has the wrong format or version, or its characters are missing, empty, out of range,
    /// or not strictly increasing (so ids would differ from the vocabulary that wrote them).
    /// </exception>
    public static CharVocabulary FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return ReadJson(Encoding.UTF8.GetBytes(json));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Vocabulary JSON is malformed: {e.Message}", nameof(json), e);
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"Vocabulary JSON is invalid: {e.Message}", nameof(json), e);
        }
    }

    private static CharVocabulary ReadJson(ReadOnlySpan<byte> utf8)
    {
        Utf8JsonReader reader = new(utf8);
        Expect(ref reader, JsonTokenType.StartObject, "a JSON object");
        string? format = null;
        int? version = null;
        StringBuilder? characters = null;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            string property = reader.GetString()!;
            switch (property)
            {
                case "format":
                    Expect(ref reader, JsonTokenType.String, "\"format\" to be a string");
                    format = reader.GetString();
                    break;
                case "version":
                    Expect(ref reader, JsonTokenType.Number, "\"version\" to be a number");
                    version = reader.TryGetInt32(out int v) ? v : -1;
                    break;
                case "characters":
                    Expect(ref reader, JsonTokenType.StartArray, "\"characters\" to be an array");
                    characters = new StringBuilder();
                    while (true)
                    {
                        Next(ref reader);
                        if (reader.TokenType == JsonTokenType.EndArray)
                            break;
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int code) || code < 0 || code > char.MaxValue)
                            throw new InvalidDataException($"character {characters.Length} must be a UTF-16 code unit in [0, 65535].");
                        if (characters.Length > 0 && code <= characters[^1])
                            throw new InvalidDataException($"characters must be strictly increasing; code {code} at index {characters.Length} follows {(int)characters[^1]}.");
                        characters.Append((char)code);
                    }
                    break;
                default:
                    Next(ref reader);
                    reader.Skip();
                    break;
            }
        }
        if (reader.Read())
            throw new InvalidDataException("unexpected content after the JSON object.");
        if (format != JsonFormat)
            throw new InvalidDataException($"\"format\" is {(format is null ? "missing" : $"'{format}'")}; expected '{JsonFormat}'.");
        if (version != JsonVersion)
            throw new InvalidDataException($"\"version\" is {(version is null ? "missing" : version.Value.ToString(CultureInfo.InvariantCulture))}; expected {JsonVersion}.");
        if (characters is null || characters.Length == 0)
            throw new InvalidDataException("\"characters\" is missing or empty; expected at least 1 character.");
        return new CharVocabulary(characters.ToString());
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        Next(ref reader);
        if (reader.TokenType != type)
            throw new InvalidDataException($"expected {what}, found {reader.TokenType}.");
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new InvalidDataException("the JSON ends too early.");
    }

    private static string Describe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || char.IsWhiteSpace(c)
            ? $"U+{(int)c:X4}"
            : $"'{c}' (U+{(int)c:X4})";
}
