using System;
using System.Diagnostics;
using RnnGen;
using RnnGen.Samples.OneToMany;
using RnnGen.Sequences;

// One-to-many: a number's feature vector (one-hot digits) seeds an LSTM's h0 and c0 through a dense tanh layer
// (StateSeeder); the LSTM then spells the number, feeding each character back as the next input. 100 of the numbers
// 0-999 are held out; the figure is the exact-match accuracy of greedy spelling on them.
// Usage: OneToMany [steps]   (default 2500 optimiser steps)
int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2500;

var speller = new Speller(1);
var seeder = new StateSeeder(speller, Numbers.Features, seedCells: true, seed: 2);
var spellerOptimizer = new Adam(speller.Parameters, learningRate: 2e-3f);
var seederOptimizer = new Adam(seeder.Parameters, learningRate: 2e-3f);

// A seeded shuffle splits the numbers: every digit still appears in training, in other combinations.
int[] numbers = new int[1000];
for (int i = 0; i < numbers.Length; i++)
    numbers[i] = i;
var random = new RnnRandom(3);
for (int i = numbers.Length - 1; i > 0; i--)
{
    int j = random.NextInt(i + 1);
    (numbers[i], numbers[j]) = (numbers[j], numbers[i]);
}
ReadOnlySpan<int> heldOut = numbers.AsSpan(0, 100), training = numbers.AsSpan(100);

Console.WriteLine($"number → spelling: 30 features seed h0, c0 of an LSTM 128 through tanh(W v + b); {Numbers.Steps} steps, " +
    $"batch {Numbers.Batch}, {steps} Adam steps on {training.Length} numbers, {heldOut.Length} held out");
var vectors = new float[seeder.InputLength];
var targets = new int[Speller.TargetLength];
var inputs = new int[Speller.InputLength];
var clock = Stopwatch.StartNew();
double running = 0;
for (int step = 1; step <= steps; step++)
{
    for (int row = 0; row < Numbers.Batch; row++)
    {
        int n = training[random.NextInt(training.Length)];
        Numbers.Describe(n, vectors.AsSpan(row * Numbers.Features, Numbers.Features));
        Numbers.EncodeSpelling(n, targets, row);
    }
    // Teacher forcing: the inputs are the targets shifted right behind the begin token.
    Decoding.TeacherForcedInputs(targets, Numbers.Batch, Numbers.Begin, Numbers.End, inputs);
    speller.ZeroGradients();
    seeder.ZeroGradients();
    seeder.Forward(vectors);
    float loss = speller.ComputeGradients(inputs, targets);
    seeder.Backward();
    GradientClipping.ClipByGlobalNorm(speller.Parameters.Gradients, 1f);
    GradientClipping.ClipByGlobalNorm(seeder.Parameters.Gradients, 1f);
    spellerOptimizer.Step();
    seederOptimizer.Step();
    running = step == 1 ? loss : 0.98 * running + 0.02 * loss;
    if (step % (steps / 5) == 0)
        Console.WriteLine($"  step {step,5}  cross-entropy (smoothed) {running:F4}  {clock.Elapsed.TotalSeconds,5:F1} s");
}

// Generation: seed one stream's state from the vector, then feed back the argmax until the end token.
Speller.StepState state = speller.CreateState();
var features = new float[Numbers.Features];
var tokens = new int[Numbers.Steps];
var probabilities = new float[Numbers.Vocabulary];
double Accuracy(ReadOnlySpan<int> set, bool print)
{
    int correct = 0;
    foreach (int n in set)
    {
        Numbers.Describe(n, features);
        seeder.SeedState(features, state);
        int length = Decoding.Greedy(speller, state, Numbers.Begin, Numbers.End, tokens, probabilities);
        string spelled = Numbers.Decode(tokens.AsSpan(0, length));
        if (spelled == Numbers.Spell(n))
            correct++;
        if (print)
            Console.WriteLine($"  {n,3} → {spelled}{(spelled == Numbers.Spell(n) ? "" : $"   (expected {Numbers.Spell(n)})")}");
    }
    return (double)correct / set.Length;
}

Console.WriteLine();
Console.WriteLine("held-out examples (greedy):");
Accuracy(heldOut.Slice(0, 6), print: true);
Console.WriteLine($"exact-match accuracy: training numbers {Accuracy(training, false):P1}, held-out numbers {Accuracy(heldOut, false):P1}");

// Sampling instead of argmax, at a low temperature, from the same seeded state.
var sampler = new RnnRandom(4);
var scratch = new float[Numbers.Vocabulary];
Numbers.Describe(heldOut[0], features);
Console.Write($"sampled at T = 0.7 for {heldOut[0]}:");
for (int i = 0; i < 3; i++)
{
    seeder.SeedState(features, state);
    int length = Decoding.Sample(speller, state, Numbers.Begin, Numbers.End, tokens, probabilities, 0.7f, ref sampler, scratch);
    Console.Write($" \"{Numbers.Decode(tokens.AsSpan(0, length))}\"");
}
Console.WriteLine();
return 0;
