namespace RnnGen.Tests.Reliability;

/// <summary>Asserts that an API refuses an argument the way the style guide asks, and that nothing was written.</summary>
internal static class Rejection
{
    /// <summary>
    /// The action throws an <see cref="ArgumentException"/> (or a subclass) naming <paramref name="paramName"/>, with
    /// <paramref name="expected"/> (the accepted value or length) in its message.
    /// </summary>
    public static ArgumentException Assert(Action action, string paramName, string? expected)
    {
        ArgumentException exception = Xunit.Assert.ThrowsAny<ArgumentException>(action);
        Xunit.Assert.Equal(paramName, exception.ParamName);
        if (expected is not null)
            Xunit.Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
        return exception;
    }

    /// <summary>As <see cref="Assert(Action, string, string?)"/>, and the model's values and gradients are bit-identical afterwards.</summary>
    public static ArgumentException AssertUnchanged(IRnnModel model, Action action, string paramName, string? expected)
    {
        ulong values = Checksum(model.Parameters.Values);
        ulong gradients = Checksum(model.Parameters.Gradients);
        ArgumentException exception = Assert(action, paramName, expected);
        Xunit.Assert.Equal(values, Checksum(model.Parameters.Values));
        Xunit.Assert.Equal(gradients, Checksum(model.Parameters.Gradients));
        return exception;
    }

    /// <summary>FNV-1a over the bit patterns, so any change (including NaN payloads and signed zeros) shows.</summary>
    public static ulong Checksum(ReadOnlySpan<float> values)
    {
        ulong hash = 14695981039346656037UL;
        foreach (float value in values)
        {
            hash ^= (uint)BitConverter.SingleToInt32Bits(value);
            hash *= 1099511628211UL;
        }
        return hash;
    }

    /// <summary>Fills a gradient block with a recognisable pattern, so "unchanged" is not trivially "still zero".</summary>
    public static void SeedGradients(IRnnModel model)
    {
        Span<float> gradients = model.Parameters.Gradients;
        for (int i = 0; i < gradients.Length; i++)
            gradients[i] = (i % 7) * 0.25f - 0.5f;
    }
}
