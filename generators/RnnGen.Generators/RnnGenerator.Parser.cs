using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnGen.Generators.Helpers;
using RnnGen.Generators.Model;

namespace RnnGen.Generators;

public sealed partial class RnnGenerator
{
    /// <summary>Turns an attributed class into a <see cref="ModelSpec"/>; the only code that reads Roslyn symbols.</summary>
    internal static class Parser
    {
        private const string AttributeNamespace = "RnnGen";

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax syntax)
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);

            // [RnnModel] on several partial declarations reaches us once per declaration; the compiler already reports
            // the duplicate (CS0579), and only the declaration holding the first application speaks for the model.
            if (!HoldsFirstModelAttribute(context, type, cancellationToken))
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);

            try
            {
                ModelSpec? model = ParseModel(type, syntax, diagnostics, cancellationToken);
                return new ParseResult(diagnostics.Count == 0 ? model : null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A generator that throws disables itself for the whole compilation (CS8785); report instead.
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.InternalError, syntax.Identifier.GetLocation(), type.Name, exception.GetType().Name + ": " + exception.Message));
                return new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
            }
        }

        private static bool HoldsFirstModelAttribute(GeneratorAttributeSyntaxContext context, INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() != ModelAttributeName)
                    continue;
                SyntaxReference? reference = attribute.ApplicationSyntaxReference;
                return reference is null || context.TargetNode.Span.Contains(reference.Span) && reference.SyntaxTree == context.TargetNode.SyntaxTree;
            }
            return true;
        }

        private static ModelSpec? ParseModel(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            Location identifier = syntax.Identifier.GetLocation();
            if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.ModelNotPartial, identifier, type.Name));
            string? unsupported = UnsupportedShape(type, syntax);
            if (unsupported is not null)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.UnsupportedClass, identifier, type.Name, unsupported));

            var containing = new List<ContainingTypeSpec>();
            bool generic = type.IsGenericType;
            for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                generic |= outer.IsGenericType;
                if (!IsPartialEverywhere(outer, cancellationToken))
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.ContainingTypeNotPartial, identifier, type.Name, outer.Name));
                containing.Insert(0, new ContainingTypeSpec(TypeKeyword(outer), EscapeIdentifier(outer.Name)));
            }
            if (generic)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.GenericModel, identifier, type.Name));

            int sequenceLength = 0, batchSize = 1;
            bool variableLength = false, streaming = false, encoder = false;
            var unroll = Unrolling.Auto;
            Location? streamingLocation = null;
            InputSpec? input = null;
            HeadSpec? head = null;
            var layers = new List<LayerSpec>();
            int inputCount = 0;
            bool declaresRecurrentLayer = false, declaresHead = false;

            foreach (AttributeData attribute in type.GetAttributes())
            {
                cancellationToken.ThrowIfCancellationRequested();
                INamedTypeSymbol? attributeClass = attribute.AttributeClass;
                if (attributeClass is null || attributeClass.ContainingNamespace?.ToDisplayString() != AttributeNamespace)
                    continue;
                var reader = new AttributeReader(attribute, cancellationToken);
                string name = attributeClass.Name;
                inputCount += name is "InputAttribute" or "EmbeddingAttribute" or "OneHotAttribute" ? 1 : 0;
                declaresRecurrentLayer |= name is "SimpleRnnAttribute" or "LstmAttribute" or "GruAttribute";
                declaresHead |= name is "DenseAttribute";
                if (IsKnownAttribute(name) && !reader.IsWellFormed)
                {
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.InvalidAttributeArguments, reader.AttributeLocation ?? identifier, ShortName(name)));
                    continue;
                }
                switch (name)
                {
                    case "RnnModelAttribute":
                        sequenceLength = reader.ReadInt("SequenceLength", -1, 0, Limits.SequenceLength, 1, diagnostics);
                        batchSize = reader.ReadInt("BatchSize", -1, 1, Limits.BatchSize, 1, diagnostics);
                        variableLength = reader.ReadBool("VariableLength", false);
                        streaming = reader.ReadBool("Streaming", false);
                        encoder = reader.ReadBool("Encoder", false);
                        unroll = (Unrolling)reader.ReadEnum("Unroll", 0, "TimeUnrolling", "Auto, Full, Loop", 3, diagnostics);
                        streamingLocation = reader.NamedArgumentLocation("Streaming");
                        break;
                    case "InputAttribute":
                        input = new InputSpec(InputKind.Vector, reader.ReadInt("Size", 0, 0, Limits.Features, 1, diagnostics), 0);
                        break;
                    case "EmbeddingAttribute":
                        int vocabulary = reader.ReadInt("Vocabulary", 0, 0, Limits.Vocabulary, 1, diagnostics);
                        input = new InputSpec(InputKind.Embedding, reader.ReadInt("Size", 1, 0, Limits.Features, 1, diagnostics), vocabulary);
                        break;
                    case "OneHotAttribute":
                        int oneHotVocabulary = reader.ReadInt("Vocabulary", 0, 0, Limits.Features, 1, diagnostics);
                        input = new InputSpec(InputKind.OneHot, oneHotVocabulary, oneHotVocabulary);
                        break;
                    case "SimpleRnnAttribute":
                    case "LstmAttribute":
                    case "GruAttribute":
                        CellKind cell = name == "LstmAttribute" ? CellKind.Lstm : name == "GruAttribute" ? CellKind.Gru : CellKind.SimpleRnn;
                        int hidden = reader.ReadInt("HiddenSize", 0, 0, Limits.Hidden, 1, diagnostics);
                        int count = reader.ReadInt("Layers", -1, 1, Limits.Layers, 1, diagnostics);
                        bool bias = reader.ReadBool("Bias", true);
                        Activation activation = cell == CellKind.SimpleRnn
                            ? (Activation)reader.ReadEnum("Activation", 0, "RnnActivation", "Tanh, Relu", 2, diagnostics)
                            : Activation.Tanh;
                        bool bidirectional = reader.ReadBool("Bidirectional", false);
                        var merge = (Merge)reader.ReadEnum("Merge", 0, "BidirectionalMerge", "Concat, Sum, Average, Multiply", 4, diagnostics);
                        bool resetAfter = reader.ReadBool("ResetAfter", true);
                        int projection = cell == CellKind.Lstm ? reader.ReadInt("ProjectionSize", -1, 0, Limits.Hidden, 0, diagnostics) : 0;
                        if (projection > 0 && projection >= hidden && hidden > 0)
                        {
                            diagnostics.Add(Diagnostic(DiagnosticDescriptors.ProjectionNotSmaller, reader.NamedArgumentLocation("ProjectionSize") ?? reader.AttributeLocation,
                                projection.ToString(System.Globalization.CultureInfo.InvariantCulture), hidden.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                        }
                        for (int i = 0; i < count; i++)
                            layers.Add(new LayerSpec(layers.Count, cell, 0, hidden, activation, bias, projection, resetAfter, bidirectional, merge));
                        break;
                    case "DenseAttribute":
                        head = new HeadSpec(
                            reader.ReadInt("OutputSize", 0, 0, Limits.Features, 1, diagnostics),
                            (HeadActivation)reader.ReadEnum("Activation", 0, "DenseActivation", "Identity, Softmax", 2, diagnostics),
                            (HeadSteps)reader.ReadEnum("Steps", 0, "OutputSteps", "AllSteps, LastStep", 2, diagnostics));
                        break;
                }
            }

            Location modelAttribute = ModelAttributeLocation(type, cancellationToken) ?? identifier;
            if (inputCount == 0)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.MissingInput, modelAttribute, type.Name));
            else if (inputCount > 1)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.ConflictingInputs, modelAttribute, type.Name));
            if (!declaresRecurrentLayer)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.MissingRecurrentLayer, modelAttribute, type.Name));
            if (!declaresHead && !encoder)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.MissingHead, modelAttribute, type.Name));
            if (declaresHead && encoder)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.EncoderWithHead, modelAttribute, type.Name));
            if (diagnostics.Count > 0 || input is null || (head is null && !encoder) || layers.Count == 0)
                return null;

            bool anyBidirectional = false;
            foreach (LayerSpec layer in layers)
                anyBidirectional |= layer.Bidirectional;
            if (streaming && anyBidirectional)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.StreamingBidirectional, streamingLocation ?? modelAttribute, type.Name));
                return null;
            }

            // Each layer reads the layer below's output; the first reads the input (embedding, one-hot) width.
            var stacked = new LayerSpec[layers.Count];
            int width = input.Size;
            for (int i = 0; i < layers.Count; i++)
            {
                stacked[i] = layers[i] with { InputSize = width };
                width = stacked[i].OutputSize;
            }

            var model = new ModelSpec(
                new TypeSpec(
                    type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                    EscapeIdentifier(type.Name),
                    Accessibility(type.DeclaredAccessibility),
                    new EquatableArray<ContainingTypeSpec>(containing.ToArray())),
                sequenceLength,
                batchSize,
                input,
                new EquatableArray<LayerSpec>(stacked),
                head,
                variableLength,
                streaming,
                unroll);

            long floats = BufferLayout.TotalFloats(model);
            if (floats > Limits.WorkspaceFloats)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.WorkspaceTooLarge, modelAttribute, type.Name, floats.ToString(System.Globalization.CultureInfo.InvariantCulture), Limits.WorkspaceFloats.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return null;
            }
            return model;
        }

        /// <summary>Names the generated code declares; a class or member by one of these names cannot host the model.</summary>
        private static readonly HashSet<string> s_generatedMembers = new(StringComparer.Ordinal)
        {
            "SequenceLength", "BatchSize", "InputSize", "VocabularySize", "OutputSize", "LayerCount", "ParameterCount",
            "InputLength", "OutputLength", "TargetLength", "Parameters", "ParameterLayout", "ZeroGradients", "Forward",
            "ComputeGradients", "Backward", "InputGradient", "InitialHidden", "FinalHidden", "InitialHiddenGradient",
            "FinalHiddenGradient", "InitialCell", "FinalCell", "InitialCellGradient", "FinalCellGradient", "ResetState",
            "CarryState", "StepState", "CreateState", "Step", "ValidateLength", "RunForward", "RunBackward", "Encode",
            "ForwardCore", "ComputeGradientsCore", "WorkspaceSize", "ComputeInputGradient",
        };

        /// <summary>Why the generated members cannot be added to this class, or null when they can.</summary>
        private static string? UnsupportedShape(INamedTypeSymbol type, TypeDeclarationSyntax syntax)
        {
            if (type.IsRecord)
                return "it is a record; declare a plain partial class";
            if (type.IsStatic)
                return "it is static; the model is an instance with its own parameters";
            if (syntax.ParameterList is not null)
                return "it has a primary constructor; RnnGen generates the constructors";
            if (s_generatedMembers.Contains(type.Name))
                return $"its name '{type.Name}' is also the name of a generated member; rename the class";
            foreach (ISymbol member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared)
                    continue;
                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } constructor
                    && (constructor.Parameters.Length == 0 || (constructor.Parameters.Length == 1 && constructor.Parameters[0].Type.SpecialType == SpecialType.System_UInt64)))
                    return "it declares a constructor with the signature RnnGen generates (() or (ulong seed)); use a factory method instead";
                if (s_generatedMembers.Contains(member.Name))
                    return $"it declares '{member.Name}', which RnnGen generates; rename that member";
            }
            return null;
        }

        private static string EscapeIdentifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        private static bool IsKnownAttribute(string name) => name is "RnnModelAttribute" or "InputAttribute" or "EmbeddingAttribute" or "OneHotAttribute"
            or "SimpleRnnAttribute" or "LstmAttribute" or "GruAttribute" or "DenseAttribute";

        private static string ShortName(string attributeName) =>
            attributeName.EndsWith("Attribute", StringComparison.Ordinal) ? attributeName.Substring(0, attributeName.Length - "Attribute".Length) : attributeName;

        private static bool IsPartialEverywhere(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                    return false;
            }
            return true;
        }

        private static string TypeKeyword(INamedTypeSymbol type) => type switch
        {
            { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
            { IsRecord: true } => "record",
            { TypeKind: TypeKind.Struct } => "struct",
            { TypeKind: TypeKind.Interface } => "interface",
            _ => "class",
        };

        private static string Accessibility(Accessibility accessibility) => accessibility switch
        {
            Microsoft.CodeAnalysis.Accessibility.Public => "public",
            Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
            Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
            Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
            Microsoft.CodeAnalysis.Accessibility.Private => "private",
            _ => "internal",
        };

        private static Location? ModelAttributeLocation(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == ModelAttributeName)
                    return attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
            }
            return null;
        }

        private static DiagnosticInfo Diagnostic(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
            new(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(arguments));

        /// <summary>Reads one attribute's constructor and named arguments, reporting bad values at the argument itself.</summary>
        private readonly struct AttributeReader
        {
            private readonly AttributeData _attribute;
            private readonly AttributeSyntax? _syntax;

            public AttributeReader(AttributeData attribute, CancellationToken cancellationToken)
            {
                _attribute = attribute;
                _syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            }

            public Location? AttributeLocation => _syntax?.GetLocation();

            public bool IsWellFormed
            {
                get
                {
                    if (_attribute.AttributeConstructor is null)
                        return false;
                    foreach (TypedConstant argument in _attribute.ConstructorArguments)
                    {
                        if (argument.Kind == TypedConstantKind.Error)
                            return false;
                    }
                    foreach (KeyValuePair<string, TypedConstant> argument in _attribute.NamedArguments)
                    {
                        if (argument.Value.Kind == TypedConstantKind.Error)
                            return false;
                    }
                    return true;
                }
            }

            public int ReadInt(string name, int position, int defaultValue, int max, int min, List<DiagnosticInfo> diagnostics)
            {
                int value = TryGet(name, position, out TypedConstant constant) && constant.Value is int v ? v : defaultValue;
                if (value < min || value > max)
                {
                    string subject = ShortName(_attribute.AttributeClass!.Name) + "." + name;
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.SizeOutOfRange, ArgumentLocation(name, position), subject,
                        Invariant(value), Invariant(min), Invariant(max)));
                    // The model is rejected anyway; a safe value keeps the rest of parsing from looping or
                    // allocating by a hostile size such as Layers = int.MaxValue.
                    return min;
                }
                return value;
            }

            public bool ReadBool(string name, bool defaultValue) =>
                TryGet(name, -1, out TypedConstant constant) && constant.Value is bool b ? b : defaultValue;

            public int ReadEnum(string name, int defaultValue, string enumName, string allowed, int count, List<DiagnosticInfo> diagnostics)
            {
                int value = TryGet(name, -1, out TypedConstant constant) && constant.Value is int v ? v : defaultValue;
                if (value < 0 || value >= count)
                {
                    string subject = ShortName(_attribute.AttributeClass!.Name) + "." + name;
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation(name, -1), subject, Invariant(value), enumName, allowed));
                    return defaultValue;
                }
                return value;
            }

            public Location? NamedArgumentLocation(string name)
            {
                if (_syntax?.ArgumentList is { } list)
                {
                    foreach (AttributeArgumentSyntax argument in list.Arguments)
                    {
                        if (argument.NameEquals?.Name.Identifier.ValueText == name)
                            return argument.GetLocation();
                    }
                }
                return null;
            }

            private bool TryGet(string name, int position, out TypedConstant constant)
            {
                if (position >= 0 && position < _attribute.ConstructorArguments.Length)
                {
                    constant = _attribute.ConstructorArguments[position];
                    return true;
                }
                foreach (KeyValuePair<string, TypedConstant> argument in _attribute.NamedArguments)
                {
                    if (argument.Key == name)
                    {
                        constant = argument.Value;
                        return true;
                    }
                }
                constant = default;
                return false;
            }

            private Location? ArgumentLocation(string name, int position)
            {
                if (_syntax?.ArgumentList is { } list)
                {
                    int positional = 0;
                    foreach (AttributeArgumentSyntax argument in list.Arguments)
                    {
                        if (argument.NameEquals is { } equals)
                        {
                            if (equals.Name.Identifier.ValueText == name)
                                return argument.GetLocation();
                        }
                        else if (argument.NameColon is { } colon)
                        {
                            if (string.Equals(colon.Name.Identifier.ValueText, name, StringComparison.OrdinalIgnoreCase))
                                return argument.GetLocation();
                            positional++;
                        }
                        else if (positional++ == position)
                        {
                            return argument.GetLocation();
                        }
                    }
                }
                return _syntax?.GetLocation();
            }

            private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
