using System;
using System.Diagnostics;
using System.Text;
using RnnGen;
using RnnGen.Inference;
using RnnGen.Samples.Tagger;

// A bidirectional GRU tags digit strings of 6 to 24 digits (variable lengths, packed-sequence semantics); a
// forward-only GRU as wide as the bidirectional output is trained the same way for comparison. Reports per-token accuracy
// on held-out strings. Usage: Tagger [steps]   (default 1500 optimiser steps per model)
int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1500;
const int testBatches = 60;

Console.WriteLine($"digit tagger: lengths {TagData.MinLength}..{TagData.Steps}, batch {TagData.Batch}, {steps} Adam steps, " +
    $"{testBatches * TagData.Batch} held-out strings; tag = (d > previous) + 2·(d > next)");
var bidirectional = new BiGruTagger(1);
double bi = Train("bidirectional GRU", bidirectional, steps, testBatches);
double forward = Train("forward-only GRU ", new ForwardGruTagger(1), steps, testBatches);
Console.WriteLine();
Console.WriteLine($"held-out per-token accuracy: bidirectional {bi:P2}, forward-only {forward:P2}, always the most common tag {MajorityBaseline(testBatches):P2}");
PrintExample(bidirectional);
return 0;

static double Train(string name, IVariableLengthRnnModel<int, int> model, int steps, int testBatches)
{
    var optimizer = new Adam(model.Parameters, learningRate: 1e-2f);
    var digits = new int[model.InputLength];
    var lengths = new int[model.BatchSize];
    var tags = new int[model.TargetLength];
    var outputs = new float[model.OutputLength];
    var train = new RnnRandom(2);
    var clock = Stopwatch.StartNew();
    double running = 0;
    for (int step = 1; step <= steps; step++)
    {
        TagData.Fill(ref train, digits, lengths, tags);
        model.ZeroGradients();
        float loss = model.ComputeGradients(digits, lengths, tags);
        GradientClipping.ClipByGlobalNorm(model.Parameters.Gradients, 5f);
        optimizer.Step();
        running = step == 1 ? loss : 0.95 * running + 0.05 * loss;
        if (step % (steps / 5) == 0)
            Console.WriteLine($"  {name}  step {step,5}  cross-entropy (smoothed) {running:F4}  {clock.Elapsed.TotalSeconds,5:F1} s");
    }

    var test = new RnnRandom(3);
    int correct = 0, total = 0;
    for (int batch = 0; batch < testBatches; batch++)
    {
        TagData.Fill(ref test, digits, lengths, tags);
        model.Forward(digits, lengths, outputs);
        for (int row = 0; row < tags.Length; row++)
        {
            if (tags[row] == Losses.IgnoreIndex)
                continue;
            total++;
            if (Sampling.Greedy(outputs.AsSpan(row * TagData.Tags, TagData.Tags)) == tags[row])
                correct++;
        }
    }
    return (double)correct / total;
}

static double MajorityBaseline(int testBatches)
{
    var digits = new int[BiGruTagger.InputLength];
    var lengths = new int[BiGruTagger.BatchSize];
    var tags = new int[BiGruTagger.TargetLength];
    var counts = new int[TagData.Tags];
    var test = new RnnRandom(3);
    for (int batch = 0; batch < testBatches; batch++)
    {
        TagData.Fill(ref test, digits, lengths, tags);
        foreach (int tag in tags)
        {
            if (tag != Losses.IgnoreIndex)
                counts[tag]++;
        }
    }
    int max = 0, total = 0;
    foreach (int count in counts)
    {
        max = Math.Max(max, count);
        total += count;
    }
    return (double)max / total;
}

static void PrintExample(BiGruTagger model)
{
    var digits = new int[BiGruTagger.InputLength];
    var lengths = new int[BiGruTagger.BatchSize];
    var tags = new int[BiGruTagger.TargetLength];
    var outputs = new float[BiGruTagger.OutputLength];
    var random = new RnnRandom(5);
    TagData.Fill(ref random, digits, lengths, tags);
    model.Forward(digits, lengths, outputs);
    var line = new StringBuilder("example: ");
    for (int t = 0; t < lengths[0]; t++)
    {
        int row = t * TagData.Batch;
        int predicted = Sampling.Greedy(outputs.AsSpan(row * TagData.Tags, TagData.Tags));
        line.Append(digits[row]).Append('/').Append(TagData.Names[predicted]).Append(predicted == tags[row] ? " " : "(!) ");
    }
    Console.WriteLine(line.ToString().TrimEnd());
}
