// Character-level language model on the King James Bible (Genesis to Ruth, 1 MB): an embedding, a stack of LSTM
// layers and a softmax head, trained with Adam and stateful truncated BPTT (windows of T = 64 characters in 32
// parallel streams, the hidden state carried from window to window). Prints progress, train and validation loss and
// perplexity, and writes a text sample, the loss curve and the best checkpoint into --out.
//
// The streams walk the corpus in order and the validation text follows the training text, so the validation loss
// dips at the end of every epoch and rises again while the next one restarts at the streams' beginnings: a budget
// that runs out mid-epoch would report that bump. The checkpoint therefore keeps the epoch with the lowest
// validation loss, and the sample and the final figure come from it.
//
// Training and validation use every core (--threads, default all): the time loops run as one band of the 32 streams
// per thread and the large products split, bit-identically to one thread, so more threads only fit more windows into
// the budget.
//
//   dotnet run -c Release --project samples/CharLm -- [--corpus file] [--hidden 128|256] [--layers 2|1]
//                                                    [--minutes 8] [--threads N] [--seed 1] [--out out]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using RnnGen;
using RnnGen.Data;
using RnnGen.Inference;
using RnnGen.Kernels;
using RnnGen.Samples;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Options options = Options.Parse(args);

// Data: one token per character, the first 90% trains and the last 10% validates.
string text = File.ReadAllText(options.Corpus);
CharVocabulary vocabulary = CharVocabulary.FromText(text);
if (vocabulary.Count > CharModels.Vocabulary)
    throw new InvalidOperationException($"The corpus has {vocabulary.Count} distinct characters; the models are compiled for at most {CharModels.Vocabulary}.");
(int[] trainTokens, int[] validationTokens) = DataSplit.TrainValidation(vocabulary.Encode(text), validationFraction: 0.1);

ICharModel model = CharModels.Create(options.Hidden, options.Layers, options.Seed);
var train = new TokenStreamBatcher(trainTokens, model.SequenceLength, model.BatchSize);
var validation = new TokenStreamBatcher(validationTokens, model.SequenceLength, model.BatchSize);
var trainer = new Trainer<int, int>(model, new Adam(model.Parameters, learningRate: 2e-3f), options.Seed)
{
    Clipping = TrainerClipping.ByGlobalNorm(5f),
};
Console.WriteLine($"{options.Corpus}: {text.Length:N0} characters, vocabulary {vocabulary.Count}, {trainTokens.Length:N0} train / {validationTokens.Length:N0} validation tokens");
Console.WriteLine($"model: embedding {CharModels.Vocabulary}x{CharModels.EmbeddingSize}, LSTM {options.Hidden} x {options.Layers} layers, {model.Parameters.Count:N0} parameters; T = {model.SequenceLength}, B = {model.BatchSize}; Adam 2e-3, clip 5; budget {options.Minutes} min on {options.Threads} thread{(options.Threads == 1 ? "" : "s")}");
using KernelThreading.Scope threading = KernelThreading.Enable(options.Threads);

Directory.CreateDirectory(options.Out);
var curve = new LossCurve("Character LM on KJV (Genesis-Ruth)", "training tokens (millions)", "cross-entropy (nats/char)");
var metadata = new Dictionary<string, string> { ["vocabulary"] = vocabulary.ToJson() };
string checkpoint = Path.Combine(options.Out, "charlm.safetensors");
var budget = Stopwatch.StartNew();
long tokensSeen = 0;
bool outOfTime = false;
double bestValidationLoss = double.PositiveInfinity;
int bestEpoch = 0;
for (int epoch = 1; !outOfTime; epoch++)
{
    var progress = new ProgressBar((long)train.WindowCount * train.WindowElementCount);
    double epochLoss = 0, recentLoss = 0;
    int windows = 0, recent = 0;
    long epochStart = Stopwatch.GetTimestamp();
    for (int window = 0; window < train.WindowCount && !outOfTime; window++)
    {
        TrainerStepResult step = trainer.TrainWindow(train, window);
        tokensSeen += train.WindowElementCount;
        epochLoss += step.Loss;
        recentLoss += step.Loss;
        windows++;
        if (++recent == 25)
        {
            curve.AddTrain(tokensSeen / 1e6, recentLoss / recent);
            recentLoss = recent = 0;
        }
        progress.Report((long)windows * train.WindowElementCount, step.Loss);
        outOfTime = budget.Elapsed.TotalMinutes >= options.Minutes;
    }
    if (outOfTime && !Console.IsOutputRedirected)
        Console.WriteLine(); // keep the partial bar: the epoch did not finish
    else if (!outOfTime)
        progress.Complete(epochLoss / windows);
    double tokensPerSecond = (double)windows * train.WindowElementCount / Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
    double validationLoss = trainer.EvaluateCrossEntropy(validation);
    curve.AddValidation(tokensSeen / 1e6, validationLoss);
    Console.WriteLine($"epoch {epoch}{(outOfTime ? " (stopped at the time budget)" : "")}: train loss {epochLoss / windows:F4} (ppl {Math.Exp(epochLoss / windows):F3}), validation loss {validationLoss:F4} (ppl {Math.Exp(validationLoss):F3}), {tokensPerSecond:F0} tokens/s, skipped steps {trainer.SkippedSteps}");
    if (validationLoss < bestValidationLoss)
    {
        bestValidationLoss = validationLoss;
        bestEpoch = epoch;
        Checkpoint.Save(trainer, checkpoint, metadata);
    }
    curve.Save(Path.Combine(options.Out, "loss.svg"));
}
if (bestEpoch > 0)
    Checkpoint.Load(trainer, checkpoint);

string sample = Generate(model, vocabulary, prompt: "And God said", length: 600, temperature: 0.8f, seed: options.Seed);
File.WriteAllText(Path.Combine(options.Out, "sample.txt"), sample);
Console.WriteLine($"\nsample (temperature 0.8):\n{sample}\n");
Console.WriteLine($"wrote charlm.safetensors, loss.svg and sample.txt to {Path.GetFullPath(options.Out)} after {budget.Elapsed.TotalMinutes:F1} min");
Console.WriteLine(bestEpoch > 0
    ? $"validation perplexity: {Math.Exp(bestValidationLoss):F3} (epoch {bestEpoch}, the checkpoint kept)"
    : "validation perplexity: none (no epoch had a finite validation loss)");

// Feeds the prompt one character at a time, then samples each next character from the model's distribution
// sharpened by the temperature, feeding it back in.
static string Generate(ICharModel model, CharVocabulary vocabulary, string prompt, int length, float temperature, ulong seed)
{
    CharStream stream = model.StartStream();
    var probabilities = new float[CharModels.Vocabulary];
    var scratch = new float[vocabulary.Count];
    var random = new RnnRandom(seed);
    var text = new StringBuilder(prompt);
    foreach (char c in prompt)
        stream(vocabulary.IdOf(c), probabilities);
    for (int i = 0; i < length; i++)
    {
        int token = Sampling.SampleWithTemperature(probabilities.AsSpan(0, vocabulary.Count), temperature, ref random, scratch);
        text.Append(vocabulary[token]);
        stream(token, probabilities);
    }
    return text.ToString();
}

/// <summary>Command-line options.</summary>
internal sealed record Options(string Corpus, int Hidden, int Layers, double Minutes, int Threads, ulong Seed, string Out)
{
    public static Options Parse(string[] args)
    {
        var options = new Options(Path.Combine(AppContext.BaseDirectory, "data", "kjv.txt"), Hidden: 128, Layers: 2, Minutes: 8,
            Threads: Math.Min(Environment.ProcessorCount, KernelThreading.MaxThreads), Seed: 1, Out: "out");
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            options = args[i] switch
            {
                "--corpus" => options with { Corpus = value },
                "--hidden" => options with { Hidden = int.Parse(value, CultureInfo.InvariantCulture) },
                "--layers" => options with { Layers = int.Parse(value, CultureInfo.InvariantCulture) },
                "--minutes" => options with { Minutes = double.Parse(value, CultureInfo.InvariantCulture) },
                "--threads" => options with { Threads = int.Parse(value, CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = ulong.Parse(value, CultureInfo.InvariantCulture) },
                "--out" => options with { Out = value },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'; expected --corpus, --hidden, --layers, --minutes, --threads, --seed or --out."),
            };
        }
        if (args.Length % 2 != 0)
            throw new ArgumentException($"Option '{args[^1]}' needs a value.");
        return options;
    }
}
