using System;
using System.IO;

namespace RnnGen;

/// <summary>
/// A safetensors file is malformed, or does not match the model it is loaded into. The message names the problem
/// and, where there is one, the tensor.
/// </summary>
/// <remarks>
/// It derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed), so one
/// <c>catch (IOException)</c> handles both a file that cannot be read and one that is malformed.
/// </remarks>
public class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public SafeTensorsFormatException()
        : base("The safetensors data is malformed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public SafeTensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a message that concerns one tensor.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="tensorName">The tensor the problem is about, or <see langword="null"/> if it concerns the whole file.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    public SafeTensorsFormatException(string message, string? tensorName, Exception? innerException = null)
        : base(message, innerException)
    {
        TensorName = tensorName;
    }

    /// <summary>The tensor the problem is about, or <see langword="null"/> if it concerns the whole file.</summary>
    public string? TensorName { get; }
}
