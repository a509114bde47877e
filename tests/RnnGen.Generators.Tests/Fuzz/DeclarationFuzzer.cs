using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace RnnGen.Generators.Tests.Fuzz;

/// <summary>One fuzzed compilation: its source files, how it was made, and whether every value in it is legal.</summary>
/// <param name="Index">Position in the seeded sequence, for reproducing a failure.</param>
/// <param name="Recipe">The grammar choices and mutations that produced it.</param>
/// <param name="Sources">The user's files.</param>
/// <param name="IsValid">True when the declaration is a well-formed model: it must generate source and no RNN diagnostic.</param>
internal sealed record FuzzCase(int Index, string Recipe, string[] Sources, bool IsValid)
{
    public override string ToString() =>
        $"case {Index} ({Recipe}):\n" + string.Join("\n// ---- next file ----\n", Sources);
}

/// <summary>
/// Builds model declarations from a small grammar and then mutates them: bad attribute arguments, missing, duplicated
/// and reordered attributes, type kinds the attribute does not target, nesting, generics, files split in two, and
/// token-level damage. Everything derives from one seed, so a failing case is reproduced by its index.
/// </summary>
internal sealed class DeclarationFuzzer
{
    private static readonly string[] s_badInts =
    {
        "0", "-1", "-7", "int.MinValue", "int.MaxValue", "int.MaxValue - 1", "1 << 20", "(1 << 20) + 1", "1 << 24", "(1 << 24) + 1",
        "100000", "100001", "65536", "65537", "16384", "16385", "64", "65", "unchecked((int)0x80000000)", "2147483647",
    };

    private static readonly string[] s_wrongTypes =
    {
        "\"wide\"", "1.5", "1.5f", "true", "null", "'c'", "3L", "3u", "(byte)3", "typeof(int)", "default", "new int[] { 3 }",
        "RnnActivation.Relu", "DenseActivation.Softmax", "checked(int.MaxValue + 1)", "Undefined.Value", "nameof(RnnModelAttribute)",
        "(short)4", "4.0m", "(object)4",
    };

    private static readonly string[] s_badEnums =
    {
        "(RnnActivation)2", "(RnnActivation)7", "(RnnActivation)(-1)", "(RnnActivation)int.MaxValue", "(RnnActivation)int.MinValue",
        "(DenseActivation)2", "(DenseActivation)(-1)", "(OutputSteps)2", "(OutputSteps)int.MaxValue", "(OutputSteps)(-5)",
        "0", "1", "2", "DenseActivation.Softmax", "OutputSteps.LastStep", "RnnActivation.Relu", "(RnnActivation)1",
    };

    private readonly Random _random;

    public DeclarationFuzzer(int seed) => _random = new Random(seed);

    /// <summary>A well-formed model: every size in range, every option defined, in a random container and spelling.</summary>
    public FuzzCase Valid(int index)
    {
        var recipe = new List<string> { "valid" };
        Declaration d = RandomModel(recipe);
        return new FuzzCase(index, string.Join(", ", recipe), d.Render(), true);
    }

    /// <summary>A declaration that is broken in one to three ways.</summary>
    public FuzzCase Mutated(int index)
    {
        var recipe = new List<string> { "mutated" };
        Declaration d = RandomModel(recipe);
        int mutations = 1 + _random.Next(3);
        for (int i = 0; i < mutations; i++)
            MutateDeclaration(d, recipe);
        string[] sources = d.Render();
        if (_random.Next(4) == 0)
            sources = MutateText(sources, recipe);
        return new FuzzCase(index, string.Join(", ", recipe), sources, false);
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private bool Chance(int oneIn) => _random.Next(oneIn) == 0;

    private Declaration RandomModel(List<string> recipe)
    {
        var d = new Declaration { Name = Pick(new[] { "Model", "CharModel", "Tagger", "Næt", "M2" }) };
        var model = new FuzzAttribute("RnnModel");
        model.Named.Add(("SequenceLength", _random.Next(1, 13).ToString()));
        if (Chance(2))
            model.Named.Add(("BatchSize", _random.Next(1, 5).ToString()));
        d.Attributes.Add(model);

        if (Chance(3))
        {
            var embedding = new FuzzAttribute("Embedding");
            AddPositionalOrColon(embedding, "vocabulary", _random.Next(1, 21).ToString());
            AddPositionalOrColon(embedding, "size", _random.Next(1, 9).ToString());
            d.Attributes.Add(embedding);
        }
        else
        {
            var input = new FuzzAttribute("Input");
            AddPositionalOrColon(input, "size", _random.Next(1, 10).ToString());
            d.Attributes.Add(input);
        }

        int recurrent = 1 + _random.Next(3);
        for (int i = 0; i < recurrent; i++)
        {
            string cell = Pick(new[] { "SimpleRnn", "Lstm", "Gru" });
            var layer = new FuzzAttribute(cell);
            AddPositionalOrColon(layer, "hiddenSize", Pick(new[] { 1, 2, 3, 5, 7, 8, 16, 17 }).ToString());
            if (Chance(3))
                layer.Named.Add(("Layers", _random.Next(1, 3).ToString()));
            if (Chance(3))
                layer.Named.Add(("Bias", Chance(2) ? "false" : "true"));
            if (cell == "SimpleRnn" && Chance(2))
                layer.Named.Add(("Activation", Pick(new[] { "RnnActivation.Tanh", "RnnActivation.Relu", "(RnnActivation)1", "0" })));
            d.Attributes.Add(layer);
        }

        var dense = new FuzzAttribute("Dense");
        AddPositionalOrColon(dense, "outputSize", _random.Next(1, 10).ToString());
        if (Chance(2))
            dense.Named.Add(("Activation", Pick(new[] { "DenseActivation.Identity", "DenseActivation.Softmax", "(DenseActivation)1" })));
        if (Chance(2))
            dense.Named.Add(("Steps", Pick(new[] { "OutputSteps.AllSteps", "OutputSteps.LastStep" })));
        d.Attributes.Add(dense);

        foreach (FuzzAttribute attribute in d.Attributes)
        {
            attribute.Spelling = Pick(new[] { "", "", "", "Attribute", "RnnGen.", "global::RnnGen.", "R." });
            Shuffle(attribute.Named);
        }

        d.Namespace = Pick(new[] { "file", "file", "block", "global", "nested-namespace" });
        recipe.Add("ns=" + d.Namespace);
        int depth = Chance(3) ? 1 + _random.Next(2) : 0;
        for (int i = 0; i < depth; i++)
            d.Outer.Add(new OuterType(Pick(new[] { "partial class", "partial struct", "partial record", "partial record struct", "static partial class", "sealed partial class" }), "Outer" + i));
        if (depth > 0)
            recipe.Add("outer=" + string.Join("/", d.Outer.Select(o => o.Keyword)));
        d.Modifiers = depth > 0
            ? Pick(new[] { "public partial", "internal partial", "private partial", "protected internal partial", "partial", "public sealed partial" })
            : Pick(new[] { "public partial", "internal partial", "partial", "public sealed partial", "public abstract partial", "internal sealed partial" });
        if (d.Outer.Any(o => o.Keyword != "partial class" && o.Keyword != "partial record") && d.Modifiers.Contains("protected"))
            d.Modifiers = "internal partial";
        if (Chance(6))
        {
            // Attributes of one model may sit on both parts of a partial class in two files.
            d.SplitAt = 1 + _random.Next(d.Attributes.Count - 1);
            recipe.Add("split=" + d.SplitAt);
        }
        else if (Chance(4))
        {
            d.Grouped = true;
            recipe.Add("grouped");
        }
        return d;
    }

    private void AddPositionalOrColon(FuzzAttribute attribute, string parameter, string value)
    {
        if (Chance(4))
            attribute.Positional.Add(parameter + ": " + value);
        else
            attribute.Positional.Add(value);
    }

    private void Shuffle<T>(List<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private void MutateDeclaration(Declaration d, List<string> recipe)
    {
        FuzzAttribute? target = d.Attributes.Count == 0 ? null : Pick(d.Attributes);
        switch (_random.Next(22))
        {
            case 0 or 1 or 2 when target is not null && target.Positional.Count > 0:
                int p = _random.Next(target.Positional.Count);
                target.Positional[p] = Pick(s_badInts);
                recipe.Add($"{target.Name}[{p}]={target.Positional[p]}");
                break;
            case 3 or 4 when target is not null:
                string name = target.Name switch
                {
                    "RnnModel" => Pick(new[] { "SequenceLength", "BatchSize" }),
                    "SimpleRnn" or "Lstm" or "Gru" => "Layers",
                    _ => "Nonexistent",
                };
                string value = Pick(s_badInts);
                target.Named.Add((name, value));
                recipe.Add($"{target.Name}.{name}={value}");
                break;
            case 5 when target is not null:
                string wrong = Pick(s_wrongTypes);
                if (target.Positional.Count > 0 && Chance(2))
                    target.Positional[_random.Next(target.Positional.Count)] = wrong;
                else
                    target.Named.Add((Pick(new[] { "SequenceLength", "BatchSize", "Layers", "Bias", "Activation", "Steps", "HiddenSize", "Size" }), wrong));
                recipe.Add($"{target.Name} wrong type {wrong}");
                break;
            case 6:
                var enumTarget = d.Attributes.FirstOrDefault(a => a.Name is "SimpleRnn" or "Dense");
                if (enumTarget is not null)
                {
                    string property = enumTarget.Name == "Dense" ? Pick(new[] { "Activation", "Steps" }) : "Activation";
                    string e = Pick(s_badEnums);
                    enumTarget.Named.RemoveAll(n => n.Name == property);
                    enumTarget.Named.Add((property, e));
                    recipe.Add($"{enumTarget.Name}.{property}={e}");
                }
                break;
            case 7 when target is not null:
                d.Attributes.Remove(target);
                recipe.Add("removed " + target.Name);
                break;
            case 8 when target is not null:
                d.Attributes.Insert(_random.Next(d.Attributes.Count + 1), target.Clone());
                recipe.Add("duplicated " + target.Name);
                break;
            case 9:
                Shuffle(d.Attributes);
                recipe.Add("reordered");
                break;
            case 10:
                var extra = Pick(new[]
                {
                    new FuzzAttribute("OneHot") { Positional = { "5" } },
                    new FuzzAttribute("Input") { Positional = { "3" } },
                    new FuzzAttribute("Embedding") { Positional = { "10", "4" } },
                    new FuzzAttribute("Lstm") { Positional = { "4" } },
                    new FuzzAttribute("Dense") { Positional = { "2" } },
                    new FuzzAttribute("RnnModel") { Named = { ("SequenceLength", "3") } },
                    new FuzzAttribute("System.Obsolete"),
                    new FuzzAttribute("System.Serializable"),
                    new FuzzAttribute("RnnModel"),
                    new FuzzAttribute("Lstm"),
                    new FuzzAttribute("Dense") { Positional = { "1", "2" } },
                });
                d.Attributes.Insert(_random.Next(d.Attributes.Count + 1), extra.Clone());
                recipe.Add("added " + extra.Name);
                break;
            case 11 when target is not null:
                target.Named.Add(target.Named.Count > 0 ? target.Named[0] : ("Layers", "1"));
                recipe.Add("repeated named argument on " + target.Name);
                break;
            case 12:
                d.Kind = Pick(new[] { "struct", "record", "record class", "record struct", "interface", "static class", "abstract class", "enum", "delegate" });
                recipe.Add("kind=" + d.Kind);
                break;
            case 13:
                d.Modifiers = Pick(new[] { "public", "internal", "public static", "file", "file partial", "public static partial", "public abstract partial", "public unsafe partial", "public new partial", "public readonly partial" });
                recipe.Add("modifiers=" + d.Modifiers);
                break;
            case 14:
                d.TypeParameters = Pick(new[] { "<T>", "<T, U>", "<T> where T : struct" });
                recipe.Add("generic");
                break;
            case 15:
                d.Outer.Insert(0, new OuterType(Pick(new[] { "class", "struct", "partial class<T>", "static class", "record", "partial interface", "partial record struct" }), "Container"));
                recipe.Add("outer " + d.Outer[0].Keyword);
                break;
            case 16:
                d.Name = Pick(new[] { "@class", "@namespace", "@int", "@Model", "StepState", "ValidateLength", "Parameters", "RnnModel", "Ĉar_Model" });
                recipe.Add("name=" + d.Name);
                break;
            case 17:
                d.Namespace = "keyword";
                recipe.Add("ns=keyword");
                break;
            case 18:
                d.Body = Pick(new[]
                {
                    "public int SequenceLength;", "public void Forward() { }", "public Model() { }", "private readonly float[] _workspace = new float[1];",
                    "public class StepState { }", "public void Step(object state, int token) { }", "public static int InputSize => 3;",
                    "public override string ToString() => \"m\";", "~Model() { }",
                });
                recipe.Add("body member");
                break;
            case 19:
                d.PrimaryConstructor = Pick(new[] { "(int size)", "()", "(string name, ulong seed)" });
                recipe.Add("primary constructor");
                break;
            case 20:
                d.SplitAt = d.Attributes.Count < 2 ? 0 : 1 + _random.Next(d.Attributes.Count - 1);
                d.SecondPartModifiers = Pick(new[] { "partial", "public partial", "", "public", "internal partial", "static partial" });
                d.RnnModelOnBothParts = Chance(2);
                recipe.Add($"split={d.SplitAt} second='{d.SecondPartModifiers}' both={d.RnnModelOnBothParts}");
                break;
            default:
                if (target is not null)
                {
                    target.Spelling = Pick(new[] { "Rnngen.", "global::", "System.", "R.R.", "RnnGen.Kernels." });
                    recipe.Add($"{target.Name} spelled {target.Spelling}");
                }
                break;
        }
    }

    private string[] MutateText(string[] sources, List<string> recipe)
    {
        int file = _random.Next(sources.Length);
        string text = sources[file];
        var tokens = CSharpSyntaxTree.ParseText(text).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        string mutated;
        switch (_random.Next(4))
        {
            case 0:
                int cut = _random.Next(text.Length);
                mutated = text.Substring(0, cut);
                recipe.Add($"truncated file {file} at {cut}");
                break;
            case 1:
                SyntaxToken deleted = Pick(tokens);
                mutated = text.Remove(deleted.SpanStart, deleted.Span.Length);
                recipe.Add($"deleted token '{deleted.Text}' of file {file}");
                break;
            case 2:
                SyntaxToken duplicated = Pick(tokens);
                mutated = text.Insert(duplicated.SpanStart, duplicated.Text + " ");
                recipe.Add($"duplicated token '{duplicated.Text}' of file {file}");
                break;
            default:
                SyntaxToken replaced = Pick(tokens);
                string replacement = Pick(new[] { "(", ")", "[", "]", "{", "}", ",", "=", ";", "partial", "class", "0", "-", "\"" });
                mutated = text.Remove(replaced.SpanStart, replaced.Span.Length).Insert(replaced.SpanStart, replacement);
                recipe.Add($"replaced token '{replaced.Text}' with '{replacement}' in file {file}");
                break;
        }
        var copy = (string[])sources.Clone();
        copy[file] = mutated;
        return copy;
    }

    private sealed class FuzzAttribute
    {
        public FuzzAttribute(string name) => Name = name;

        public string Name { get; }
        public string Spelling { get; set; } = "";
        public List<string> Positional { get; set; } = new();
        public List<(string Name, string Value)> Named { get; set; } = new();

        public FuzzAttribute Clone() => new(Name) { Spelling = Spelling, Positional = new(Positional), Named = new(Named) };

        public string Render()
        {
            string name = Spelling switch
            {
                "Attribute" => Name + "Attribute",
                "" => Name,
                _ => Spelling + Name,
            };
            var arguments = new List<string>(Positional);
            arguments.AddRange(Named.Select(n => n.Name + " = " + n.Value));
            return arguments.Count == 0 ? name : name + "(" + string.Join(", ", arguments) + ")";
        }
    }

    private sealed record OuterType(string Keyword, string Name);

    private sealed class Declaration
    {
        public string Name { get; set; } = "Model";
        public string Namespace { get; set; } = "file";
        public string Kind { get; set; } = "class";
        public string Modifiers { get; set; } = "public partial";
        public string TypeParameters { get; set; } = "";
        public string PrimaryConstructor { get; set; } = "";
        public string Body { get; set; } = "";
        public List<FuzzAttribute> Attributes { get; } = new();
        public List<OuterType> Outer { get; } = new();
        public bool Grouped { get; set; }
        public int SplitAt { get; set; }
        public string SecondPartModifiers { get; set; } = "partial";
        public bool RnnModelOnBothParts { get; set; }

        public string[] Render()
        {
            if (SplitAt <= 0 || SplitAt >= Attributes.Count)
                return new[] { File(Attributes, Modifiers, Body) };
            var first = Attributes.Take(SplitAt).ToList();
            var second = Attributes.Skip(SplitAt).ToList();
            if (RnnModelOnBothParts)
                second.Insert(0, new FuzzAttribute("RnnModel") { Named = { ("SequenceLength", "2") } });
            return new[] { File(first, Modifiers, Body), File(second, SecondPartModifiers, "") };
        }

        private string File(List<FuzzAttribute> attributes, string modifiers, string body)
        {
            var s = new StringBuilder();
            s.Append("using RnnGen;\nusing R = RnnGen;\n");
            string? ns = Namespace switch
            {
                "global" => null,
                "nested-namespace" => "Fuzz.Deep.Models",
                "keyword" => "@class.@int",
                _ => "Fuzz",
            };
            bool block = Namespace is "block" or "nested-namespace";
            if (ns is not null)
                s.Append(block ? $"namespace {ns}\n{{\n" : $"namespace {ns};\n");
            foreach (OuterType outer in Outer)
            {
                int generic = outer.Keyword.IndexOf('<');
                string keyword = generic < 0 ? outer.Keyword : outer.Keyword.Substring(0, generic);
                string parameters = generic < 0 ? "" : outer.Keyword.Substring(generic);
                s.Append($"{keyword} {outer.Name}{parameters}\n{{\n");
            }
            if (Grouped)
                s.Append('[').Append(string.Join(", ", attributes.Select(a => a.Render()))).Append("]\n");
            else
                foreach (FuzzAttribute attribute in attributes)
                    s.Append('[').Append(attribute.Render()).Append("]\n");
            string kind = Kind;
            string mods = modifiers;
            if (kind is "static class" or "abstract class")
            {
                mods = (mods.Replace("partial", "").Trim() + " " + kind.Split(' ')[0] + " partial").Trim();
                kind = "class";
            }
            string header = kind switch
            {
                "enum" => $"{mods.Replace("partial", "").Trim()} enum {Name} {{ A }}",
                "delegate" => $"{mods.Replace("partial", "").Trim()} delegate void {Name}();",
                _ => $"{mods} {kind} {Name}{TypeParameters}{PrimaryConstructor} {{ {body} }}".Trim(),
            };
            s.Append(header).Append('\n');
            foreach (OuterType _ in Outer)
                s.Append("}\n");
            if (ns is not null && block)
                s.Append("}\n");
            return s.ToString();
        }
    }
}
