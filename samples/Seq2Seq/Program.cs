using System;
using System.Diagnostics;
using RnnGen;
using RnnGen.Samples.Seq2Seq;
using RnnGen.Sequences;

// Date translation with a seq2seq encoder-decoder: "March 5, 2021" → "2021-03-05". Trains with teacher forcing
// (ratio 0.75: a quarter of the decoder inputs are its own previous predictions), then reports the exact-match
// accuracy of greedy decoding and of beam search on dates never seen in training.
// Usage: Seq2Seq [steps]   (default 4000 optimiser steps)
int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 4000;
const int testBatches = 40;
const int beamWidth = 4;

var seq2seq = new Seq2Seq<DateEncoder, DateDecoder, DateDecoder.StepState>(new DateEncoder(1), new DateDecoder(2), Dates.Begin, Dates.End, seed: 3)
{
    TeacherForcingRatio = 0.75f,
};
var encoderOptimizer = new Adam(seq2seq.Encoder.Parameters, learningRate: 2e-3f);
var decoderOptimizer = new Adam(seq2seq.Decoder.Parameters, learningRate: 2e-3f);
var source = new int[seq2seq.SourceLength];
var target = new int[seq2seq.TargetLength];
var texts = new string[Dates.Batch];

Console.WriteLine($"dates → ISO 8601: encoder LSTM 128 over {Dates.SourceSteps} chars, decoder LSTM 128 over {Dates.TargetSteps} tokens, " +
    $"batch {Dates.Batch}, {steps} Adam steps, teacher forcing ratio {seq2seq.TeacherForcingRatio}");
var random = new RnnRandom(4);
var clock = Stopwatch.StartNew();
double running = 0;
for (int step = 1; step <= steps; step++)
{
    FillBatch(ref random, heldOut: false, source, target, texts);
    seq2seq.ZeroGradients();
    float loss = seq2seq.ComputeGradients(source, target);
    seq2seq.ClipGradients(1f);
    encoderOptimizer.Step();
    decoderOptimizer.Step();
    running = step == 1 ? loss : 0.98 * running + 0.02 * loss;
    if (step % (steps / 8) == 0)
        Console.WriteLine($"  step {step,5}  cross-entropy (smoothed) {running:F4}  {clock.Elapsed.TotalSeconds,5:F1} s");
}

// Held-out evaluation: days never trained on, in every format.
var test = new RnnRandom(5);
var search = new BeamSearch<DateDecoder.StepState>(seq2seq.Decoder, beamWidth, Dates.TargetSteps);
var decoded = new int[Dates.TargetSteps];
int greedyCorrect = 0, beamCorrect = 0, total = 0;
string? example = null;
for (int batch = 0; batch < testBatches; batch++)
{
    FillBatch(ref test, heldOut: true, source, target, texts);
    seq2seq.Encode(source);
    for (int row = 0; row < Dates.Batch; row++)
    {
        string expected = ExpectedIso(target, row);
        int length = seq2seq.Greedy(row, decoded);
        string greedy = Dates.DecodeTarget(decoded.AsSpan(0, length));
        seq2seq.BeamSearch(row, search);
        string beam = Dates.DecodeTarget(search.Sequence(0));
        total++;
        if (greedy == expected)
            greedyCorrect++;
        if (beam == expected)
            beamCorrect++;
        if (batch == 0 && row < 4)
        {
            example += $"  {texts[row],-20} greedy {greedy,-12} beam:";
            for (int rank = 0; rank < search.Count; rank++)
                example += $" {Dates.DecodeTarget(search.Sequence(rank))} ({search.Score(rank):F2})";
            example += Environment.NewLine;
        }
    }
}
Console.WriteLine();
Console.WriteLine($"held-out exact match over {total} dates: greedy {(double)greedyCorrect / total:P2}, beam search (width {beamWidth}) {(double)beamCorrect / total:P2}");
Console.WriteLine($"training took {clock.Elapsed.TotalSeconds:F1} s in all; examples (beam hypotheses with their log-probabilities):");
Console.Write(example);
return 0;

static void FillBatch(ref RnnRandom random, bool heldOut, int[] source, int[] target, string[] texts)
{
    for (int row = 0; row < Dates.Batch; row++)
    {
        (DateTime date, string text) = Dates.Sample(ref random, heldOut);
        texts[row] = text;
        Dates.EncodeSource(text, source, row);
        Dates.EncodeTarget(date, target, row);
    }
}

static string ExpectedIso(int[] target, int row)
{
    var ids = new int[Dates.TargetSteps];
    for (int t = 0; t < ids.Length; t++)
        ids[t] = target[t * Dates.Batch + row];
    return Dates.DecodeTarget(ids);
}
