using Microsoft.CodeAnalysis;
using RnnGen.Generators.Helpers;
using RnnGen.Generators.Model;

namespace RnnGen.Generators;

/// <summary>
/// Expands a <c>[RnnModel]</c> partial class into forward, streaming-step and BPTT code specialised to its shapes.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class RnnGenerator : IIncrementalGenerator
{
    internal const string ModelAttributeName = "RnnGen.RnnModelAttribute";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Class declarations carrying [RnnModel] -> ParseResult (equatable model + diagnostics). This is the only
        // step that sees Roslyn symbols.
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ModelAttributeName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.RecordDeclarationSyntax,
                static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        // ParseResult -> ModelSpec for valid declarations. Diagnostics carry locations, which move on every edit above
        // the class; splitting them off keeps the model (and so the emitted source) cached across such edits.
        IncrementalValuesProvider<ModelSpec> models = parsed
            .Select(static (result, _) => result.Model)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Models);

        // ParseResult -> its diagnostics, reported from a separate output.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(models, static (spc, model) =>
            spc.AddSource(Emitter.HintName(model), Emitter.Emit(model)));

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (DiagnosticInfo diagnostic in list)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });
    }
}
