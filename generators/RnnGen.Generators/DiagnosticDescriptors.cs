using System;
using Microsoft.CodeAnalysis;

namespace RnnGen.Generators;

/// <summary>
/// Every diagnostic RnnGen reports. IDs are never reused; each has a help page at docs/diagnostics/{ID}.md and an
/// entry in AnalyzerReleases.Unshipped.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "RnnGen";
    private const string HelpLinkBase = "https://github.com/rnngen/RnnGen/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor ModelNotPartial = Create(
        "RNN0001",
        "Model class must be partial",
        "The class '{0}' has [RnnModel] but is not partial; add the 'partial' modifier so RnnGen can add the network code",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
        "RNN0002",
        "Containing type must be partial",
        "The model '{0}' is nested in '{1}', which is not partial; make every containing type partial",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor GenericModel = Create(
        "RNN0003",
        "Model class cannot be generic",
        "The model '{0}' or a type containing it is generic; shapes are fixed at compile time, so declare a non-generic class",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MissingInput = Create(
        "RNN0004",
        "Model has no input",
        "The model '{0}' has no input; add [Input(size)] for float vectors, or [Embedding(vocabulary, size)] or [OneHot(vocabulary)] for token ids",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ConflictingInputs = Create(
        "RNN0005",
        "Model has more than one input",
        "The model '{0}' declares more than one of [Input], [Embedding] and [OneHot]; keep exactly one",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MissingRecurrentLayer = Create(
        "RNN0006",
        "Model has no recurrent layer",
        "The model '{0}' has no recurrent layer; add [SimpleRnn(hidden)], [Lstm(hidden)] or [Gru(hidden)]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MissingHead = Create(
        "RNN0007",
        "Model has no dense head",
        "The model '{0}' has no output layer; add [Dense(outputSize)] after the recurrent layers, or set Encoder = true on [RnnModel] for a seq2seq encoder",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SizeOutOfRange = Create(
        "RNN0008",
        "Size is out of range",
        "{0} is {1}; it must be between {2} and {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnknownEnumValue = Create(
        "RNN0009",
        "Unknown option value",
        "{0} has the value {1}, which is not a defined {2}; use one of {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor WorkspaceTooLarge = Create(
        "RNN0010",
        "Model buffers are too large",
        "The model '{0}' needs {1} floats of activations; the limit is {2}; reduce SequenceLength, BatchSize or the layer sizes",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidAttributeArguments = Create(
        "RNN0011",
        "Attribute arguments are invalid",
        "The attribute [{0}] has arguments RnnGen cannot read; fix the compile errors on it",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InternalError = Create(
        "RNN0012",
        "RnnGen could not process the model",
        "RnnGen failed while reading '{0}' ({1}); please report this declaration",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor StreamingBidirectional = Create(
        "RNN0013",
        "Streaming needs a unidirectional model",
        "The model '{0}' requests Streaming but has a bidirectional layer, which must see the whole sequence; remove Streaming = true or Bidirectional = true",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ProjectionNotSmaller = Create(
        "RNN0014",
        "LSTM projection must be smaller than the hidden size",
        "ProjectionSize is {0} but HiddenSize is {1}; a projection (PyTorch proj_size) must be between 1 and HiddenSize - 1, or 0 for none",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor EncoderWithHead = Create(
        "RNN0015",
        "An encoder has no head",
        "The model '{0}' is an encoder (Encoder = true) but declares [Dense]; an encoder hands its final states to a decoder, so remove [Dense] or Encoder = true",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedClass = Create(
        "RNN0016",
        "Class cannot host a generated model",
        "RnnGen cannot add the model to '{0}': {1}",
        DiagnosticSeverity.Error);

    public static DiagnosticDescriptor ById(string id) => id switch
    {
        "RNN0001" => ModelNotPartial,
        "RNN0002" => ContainingTypeNotPartial,
        "RNN0003" => GenericModel,
        "RNN0004" => MissingInput,
        "RNN0005" => ConflictingInputs,
        "RNN0006" => MissingRecurrentLayer,
        "RNN0007" => MissingHead,
        "RNN0008" => SizeOutOfRange,
        "RNN0009" => UnknownEnumValue,
        "RNN0010" => WorkspaceTooLarge,
        "RNN0011" => InvalidAttributeArguments,
        "RNN0012" => InternalError,
        "RNN0013" => StreamingBidirectional,
        "RNN0014" => ProjectionNotSmaller,
        "RNN0015" => EncoderWithHead,
        "RNN0016" => UnsupportedClass,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown RnnGen diagnostic ID."),
    };

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id + ".md");
}
