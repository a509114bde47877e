using System;
using System.Diagnostics.CodeAnalysis;

namespace RnnGen.Kernels;

/// <summary>Argument checks shared by the kernels; every message names the parameter and the expected value.</summary>
internal static class KernelGuard
{
    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/>.</summary>
    /// <param name="actual">The span's length.</param>
    /// <param name="expected">The required length; a <see cref="long"/> so that oversized shapes cannot wrap.</param>
    /// <param name="shape">How the length is derived, e.g. <c>batch × hidden</c>; pass a constant so the happy path allocates nothing.</param>
    /// <param name="paramName">The span parameter's name.</param>
    public static void Length(int actual, long expected, string shape, string paramName)
    {
        if (actual != expected)
            ThrowLength(actual, expected, shape, paramName);
    }

    /// <summary>Throws the <see cref="ArgumentException"/> for a span whose length does not match its shape.</summary>
    [DoesNotReturn]
    public static void ThrowLength(int actual, long expected, string shape, string paramName) =>
        throw new ArgumentException($"'{paramName}' must have length {expected} ({shape}) but has length {actual}.", paramName);

    /// <summary>Throws unless <paramref name="value"/> is at least zero.</summary>
    public static void NonNegative(int value, string paramName)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(paramName, value, $"'{paramName}' must be 0 or more.");
    }

    /// <summary>Throws unless <paramref name="value"/> is at least one.</summary>
    public static void Positive(int value, string paramName)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(paramName, value, $"'{paramName}' must be 1 or more.");
    }
}
