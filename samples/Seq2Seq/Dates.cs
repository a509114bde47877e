using System;
using System.Globalization;

namespace RnnGen.Samples.Seq2Seq;

/// <summary>
/// Written dates in six formats ("March 5, 2021", "5 March 2021", "Mar 5, 2021", "5 Mar 2021", "3/5/2021",
/// "2021 March 5") and their ISO form "2021-03-05", for 1950 to 2049. Every tenth day is held out of training.
/// </summary>
public static class Dates
{
    /// <summary>Characters per source string; shorter strings are left-padded so they end next to the final state.</summary>
    public const int SourceSteps = 18;

    /// <summary>"YYYY-MM-DD" plus the end token.</summary>
    public const int TargetSteps = 11;

    /// <summary>Sequences per batch.</summary>
    public const int Batch = 32;

    /// <summary>Padding, then the characters of <see cref="SourceAlphabet"/>.</summary>
    public const int SourceVocabulary = 1 + 65;

    /// <summary>Begin, end, the ten digits and '-'.</summary>
    public const int TargetVocabulary = 13;

    /// <summary>The decoder's first input.</summary>
    public const int Begin = 0;

    /// <summary>The token that ends a decoded date.</summary>
    public const int End = 1;

    private const string SourceAlphabet = "0123456789 ,/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string TargetAlphabet = "..0123456789-";
    private static readonly DateTime First = new(1950, 1, 1);
    private static readonly int DayCount = (int)(new DateTime(2050, 1, 1) - First).TotalDays;

    /// <summary>A random date and format; <paramref name="heldOut"/> picks from the held-out days or the training days.</summary>
    public static (DateTime Date, string Text) Sample(ref RnnRandom random, bool heldOut)
    {
        int day;
        do
        {
            day = random.NextInt(DayCount);
        }
        while ((day % 10 == 0) != heldOut);
        DateTime date = First.AddDays(day);
        CultureInfo c = CultureInfo.InvariantCulture;
        string text = random.NextInt(6) switch
        {
            0 => date.ToString("MMMM d, yyyy", c),
            1 => date.ToString("d MMMM yyyy", c),
            2 => date.ToString("MMM d, yyyy", c),
            3 => date.ToString("d MMM yyyy", c),
            4 => date.ToString("M/d/yyyy", c),
            _ => date.ToString("yyyy MMMM d", c),
        };
        return (date, text);
    }

    /// <summary>Writes a date's source ids into column <paramref name="row"/> of a [T, B] batch, left-padded with 0.</summary>
    public static void EncodeSource(string text, Span<int> source, int row)
    {
        if (text.Length > SourceSteps)
            throw new ArgumentException($"'{text}' is longer than {SourceSteps} characters.", nameof(text));
        int pad = SourceSteps - text.Length;
        for (int t = 0; t < SourceSteps; t++)
        {
            int id = 0;
            if (t >= pad)
            {
                int index = SourceAlphabet.IndexOf(text[t - pad], StringComparison.Ordinal);
                if (index < 0)
                    throw new ArgumentException($"'{text[t - pad]}' is not in the source alphabet.", nameof(text));
                id = 1 + index;
            }
            source[t * Batch + row] = id;
        }
    }

    /// <summary>Writes a date's ISO ids and the end token into column <paramref name="row"/> of a [T, B] batch.</summary>
    public static void EncodeTarget(DateTime date, Span<int> target, int row)
    {
        string iso = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        for (int t = 0; t < iso.Length; t++)
            target[t * Batch + row] = TargetAlphabet.IndexOf(iso[t], 2);
        target[iso.Length * Batch + row] = End;
    }

    /// <summary>Turns decoded ids back into text, stopping at the end token.</summary>
    public static string DecodeTarget(ReadOnlySpan<int> ids)
    {
        var chars = new char[ids.Length];
        int n = 0;
        foreach (int id in ids)
        {
            if (id == End || id < 0)
                break;
            chars[n++] = id == Begin ? '^' : TargetAlphabet[id];
        }
        return new string(chars, 0, n);
    }
}
