using RnnGen.Generators.Helpers;

namespace RnnGen.Generators.Model;

/// <summary>What the parser produced for one attributed class: a model when the declaration is valid, and its diagnostics.</summary>
internal sealed record ParseResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics);
