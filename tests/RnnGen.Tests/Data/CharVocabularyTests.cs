using System.IO;
using RnnGen.Data;

namespace RnnGen.Tests.Data;

public class CharVocabularyTests
{
    [Fact]
    public void FromText_AnyOrder_SortsDistinctCharactersOrdinally()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("hello, World\n");

        Assert.Equal("\n ,Wdehlor", vocabulary.Characters);
        Assert.Equal(10, vocabulary.Count);
        Assert.Equal(0, vocabulary.IdOf('\n'));
        Assert.Equal('W', vocabulary[3]);
    }

    [Fact]
    public void FromText_SameCharactersInAnotherOrder_GivesSameIds()
    {
        CharVocabulary a = CharVocabulary.FromText("the quick brown fox");
        CharVocabulary b = CharVocabulary.FromText("xof nworb kciuq eht");

        Assert.Equal(a.Characters, b.Characters);
    }

    [Fact]
    public void FromText_Empty_Throws()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => CharVocabulary.FromText(""));
        Assert.Equal("text", e.ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void EncodeDecode_RandomText_RoundTrips(int length)
    {
        string text = RandomText(length, seed: (ulong)length);
        CharVocabulary vocabulary = CharVocabulary.FromText(text);

        int[] ids = vocabulary.Encode(text);

        Assert.Equal(text, vocabulary.Decode(ids));
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.InRange(ids[i], 0, vocabulary.Count - 1);
            Assert.Equal(text[i], vocabulary[ids[i]]);
        }
    }

    [Fact]
    public void Encode_SurrogatePair_UsesTwoIds()
    {
        const string text = "a\U0001F600b";
        CharVocabulary vocabulary = CharVocabulary.FromText(text);

        int[] ids = vocabulary.Encode(text);

        Assert.Equal(4, ids.Length);
        Assert.Equal(text, vocabulary.Decode(ids));
    }

    [Fact]
    public void Encode_UnknownCharacter_NamesCharacterAndIndex()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        ArgumentException e = Assert.Throws<ArgumentException>(() => vocabulary.Encode("abz"));

        Assert.Equal("text", e.ParamName);
        Assert.Contains("'z'", e.Message);
        Assert.Contains("index 2", e.Message);
    }

    [Fact]
    public void Encode_CharacterAboveLargestInVocabulary_Throws()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        Assert.Throws<ArgumentException>(() => vocabulary.Encode("\uFFFF"));
    }

    [Fact]
    public void Encode_DestinationLengthMismatch_ThrowsWithExpectedLength()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        ArgumentException e = Assert.Throws<ArgumentException>(() => vocabulary.Encode("abc", new int[2]));

        Assert.Equal("destination", e.ParamName);
        Assert.Contains("expected 3", e.Message);
    }

    [Fact]
    public void Encode_NullString_Throws()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        Assert.Throws<ArgumentNullException>(() => vocabulary.Encode(null!));
    }

    [Fact]
    public void IdOf_UnknownCharacter_ThrowsNamingIt()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        ArgumentException e = Assert.Throws<ArgumentException>(() => vocabulary.IdOf('\t'));

        Assert.Equal("character", e.ParamName);
        Assert.Contains("U+0009", e.Message);
    }

    [Fact]
    public void TryGetId_UnknownCharacter_ReturnsFalseAndMinusOne()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        Assert.False(vocabulary.TryGetId('d', out int id));
        Assert.Equal(-1, id);
        Assert.True(vocabulary.TryGetId('c', out id));
        Assert.Equal(2, id);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(int.MinValue)]
    public void Indexer_IdOutOfRange_Throws(int id)
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary[id]);
        Assert.Equal("id", e.ParamName);
    }

    [Fact]
    public void Decode_IdOutOfRange_ThrowsWithIndex()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        ArgumentException e = Assert.Throws<ArgumentException>(() => vocabulary.Decode([0, 1, 3]));

        Assert.Equal("ids", e.ParamName);
        Assert.Contains("index 2", e.Message);
    }

    [Fact]
    public void Decode_DestinationLengthMismatch_Throws()
    {
        CharVocabulary vocabulary = CharVocabulary.FromText("abc");

        ArgumentException e = Assert.Throws<ArgumentException>(() => vocabulary.Decode([0, 1], new char[3]));

        Assert.Equal("destination", e.ParamName);
        Assert.Contains("expected 2", e.Message);
    }

    [Fact]
    public void Decode_Empty_ReturnsEmptyString()
    {
        Assert.Equal("", CharVocabulary.FromText("abc").Decode(ReadOnlySpan<int>.Empty));
    }

    [Fact]
    public void EncodeDecodeIntoSpans_AfterWarmUp_AllocateNothing()
    {
        string text = RandomText(64, seed: 5);
        CharVocabulary vocabulary = CharVocabulary.FromText(text);
        int[] ids = new int[text.Length];
        char[] chars = new char[text.Length];

        Assert.Equal(0, AllocationMeter.Measure(() =>
        {
            vocabulary.Encode(text, ids);
            vocabulary.Decode(ids, chars);
        }, calls: 100));
        Assert.Equal(text, new string(chars));
    }

    [Fact]
    public void ToJson_SmallVocabulary_WritesCodeUnitsInIdOrder()
    {
        Assert.Equal(
            """{"format":"rnngen.char-vocabulary","version":1,"characters":[10,32,97]}""",
            CharVocabulary.FromText("a \n").ToJson());
    }

    [Fact]
    public void FromJson_OutputOfToJson_RoundTripsIncludingLoneSurrogates()
    {
        CharVocabulary original = CharVocabulary.FromText("Hello\n\"world\"\t\\ \U0001F600\uFFFF\0");

        CharVocabulary copy = CharVocabulary.FromJson(original.ToJson());

        Assert.Equal(original.Characters, copy.Characters);
        Assert.Equal(original.Encode(original.Characters), copy.Encode(original.Characters));
    }

    [Fact]
    public void FromJson_UnknownPropertiesAndWhitespace_AreIgnored()
    {
        CharVocabulary vocabulary = CharVocabulary.FromJson(
            """ { "note": {"x": [1, 2]}, "characters": [ 98, 99 ], "version": 1, "format": "rnngen.char-vocabulary" } """);

        Assert.Equal("bc", vocabulary.Characters);
    }

    [Theory]
    [InlineData("", "malformed")]
    [InlineData("{", "malformed")]
    [InlineData("[]", "JSON object")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[97,98]""", "malformed")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[97,98]} {}""", "after")]
    [InlineData("""{"version":1,"characters":[97]}""", "\"format\" is missing")]
    [InlineData("""{"format":"other","version":1,"characters":[97]}""", "'other'")]
    [InlineData("""{"format":"rnngen.char-vocabulary","characters":[97]}""", "\"version\" is missing")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":2,"characters":[97]}""", "\"version\" is 2")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1}""", "\"characters\" is missing")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[]}""", "\"characters\" is missing or empty")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":"ab"}""", "array")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[98,97]}""", "strictly increasing")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[97,97]}""", "strictly increasing")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[-1]}""", "code unit")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[65536]}""", "code unit")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":[97.5]}""", "code unit")]
    [InlineData("""{"format":"rnngen.char-vocabulary","version":1,"characters":["a"]}""", "code unit")]
    public void FromJson_Invalid_ThrowsArgumentExceptionNamingProblem(string json, string expectedInMessage)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => CharVocabulary.FromJson(json));

        Assert.Equal("json", e.ParamName);
        Assert.Contains(expectedInMessage, e.Message);
    }

    [Fact]
    public void FromJson_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => CharVocabulary.FromJson(null!));
    }

    [Fact]
    public void FromText_SampleCorpus_HasSixtyTwoCharacters()
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot(), "samples", "data", "kjv.txt"));

        CharVocabulary vocabulary = CharVocabulary.FromText(text);

        Assert.Equal(62, vocabulary.Count);
        Assert.Equal('\n', vocabulary[0]);
        Assert.Equal(text, vocabulary.Decode(vocabulary.Encode(text)));
    }

    private static string RandomText(int length, ulong seed)
    {
        RnnRandom random = new(seed);
        char[] chars = new char[length];
        for (int i = 0; i < length; i++)
            chars[i] = (char)(' ' + random.NextInt(95));
        return new string(chars);
    }

    private static string RepositoryRoot()
    {
        DirectoryInfo? directory = new(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RnnGen.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("RnnGen.sln not found above the test output.");
    }
}
