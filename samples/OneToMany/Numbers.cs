using System;
using System.Text;

namespace RnnGen.Samples.OneToMany;

/// <summary>
/// The numbers 0 to 999, each described by a 30-feature vector (one-hot hundreds, tens and units digits) and spelled
/// in American English ("three hundred forty-two").
/// </summary>
public static class Numbers
{
    /// <summary>Features per number.</summary>
    public const int Features = 30;

    /// <summary>Longest spelling ("seven hundred seventy-seven", 27 characters) plus the end token.</summary>
    public const int Steps = 28;

    /// <summary>Sequences per batch.</summary>
    public const int Batch = 32;

    /// <summary>Begin, end, space, hyphen and a to z.</summary>
    public const int Vocabulary = 30;

    /// <summary>The first input.</summary>
    public const int Begin = 0;

    /// <summary>The token that ends a spelling.</summary>
    public const int End = 1;

    private const string Alphabet = ".. -abcdefghijklmnopqrstuvwxyz";

    private static readonly string[] Small =
    {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    };

    private static readonly string[] Tens = { "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety" };

    /// <summary>The spelling of <paramref name="n"/>, 0 to 999.</summary>
    public static string Spell(int n)
    {
        var text = new StringBuilder();
        if (n >= 100)
        {
            text.Append(Small[n / 100]).Append(" hundred");
            n %= 100;
            if (n == 0)
                return text.ToString();
            text.Append(' ');
        }
        if (n < 20)
            return text.Append(Small[n]).ToString();
        text.Append(Tens[n / 10]);
        if (n % 10 != 0)
            text.Append('-').Append(Small[n % 10]);
        return text.ToString();
    }

    /// <summary>Writes the feature vector of <paramref name="n"/>.</summary>
    public static void Describe(int n, Span<float> features)
    {
        features.Clear();
        features[n / 100] = 1f;
        features[10 + n / 10 % 10] = 1f;
        features[20 + n % 10] = 1f;
    }

    /// <summary>Writes the spelling's ids and the end token into column <paramref name="row"/> of a [T, B] batch, then <see cref="Losses.IgnoreIndex"/>.</summary>
    public static void EncodeSpelling(int n, Span<int> targets, int row)
    {
        string spelling = Spell(n);
        for (int t = 0; t < Steps; t++)
        {
            targets[t * Batch + row] = t < spelling.Length ? Alphabet.IndexOf(spelling[t], 2)
                : t == spelling.Length ? End
                : Losses.IgnoreIndex;
        }
    }

    /// <summary>Turns ids back into text, stopping at the end token.</summary>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if (id == End)
                break;
            text.Append(id == Begin ? '^' : Alphabet[id]);
        }
        return text.ToString();
    }
}
