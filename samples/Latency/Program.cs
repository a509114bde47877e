using System;
using System.Globalization;
using System.IO;
using System.Threading;
using RnnGen;
using RnnGen.Samples.Latency;

// Streams synthetic sensor frames through Step on one carried StepState per stream and reports the latency of
// every step. Usage: Latency [--frames N] [--threads N] [--seed N] [--weights model.safetensors [--prefix p]]
int frames = 200_000;
int threads = Environment.ProcessorCount;
ulong seed = 42;
string? weights = null;
string? prefix = null;
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : "";
    switch (args[i])
    {
        case "--frames": frames = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
        case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
        case "--seed": seed = ulong.Parse(value, CultureInfo.InvariantCulture); i++; break;
        case "--weights": weights = value; i++; break;
        case "--prefix": prefix = value; i++; break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'");
            Console.Error.WriteLine("usage: Latency [--frames N] [--threads N] [--seed N] [--weights model.safetensors [--prefix p]]");
            return 2;
    }
}
if (frames < 1 || threads < 1)
{
    Console.Error.WriteLine("--frames and --threads must be 1 or more");
    return 2;
}

var lstm = new SensorLstm(seed);
if (weights is not null)
{
    try
    {
        // A bad file (missing, malformed, misnamed or misshapen tensors) is an IOException and leaves the seeded weights as they were.
        SafeTensors.Load(lstm.Parameters, weights, prefix);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"cannot load '{weights}': {e.Message}");
        return 2;
    }
}
Console.WriteLine($"{frames} frames of 32 channels (sine + noise) per stream, batch 1, one carried StepState; " +
    $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"weights: {(weights is null ? $"seeded PyTorch-default initialisation, seed {seed}" : weights)}");
Console.WriteLine();

bool ok = true;
ok &= Report("LSTM I=32 H=64  + Dense 32", LatencyRun.Measure(new LstmStream(lstm), frames, seed));
ok &= Report("LSTM I=32 H=256 + Dense 32", LatencyRun.Measure(new LstmWideStream(new SensorLstmWide(seed)), frames, seed));
ok &= Report("GRU  I=32 H=64  + Dense 32", LatencyRun.Measure(new GruStream(new SensorGru(seed)), frames, seed));

// Independent streams on one shared model: each thread owns its StepState; the weights are only read.
Console.WriteLine($"{threads} streams on one shared LSTM H=64, one thread each:");
var runs = new LatencyRun[threads];
var workers = new Thread[threads];
for (int t = 0; t < threads; t++)
{
    int stream = t;
    workers[t] = new Thread(() => runs[stream] = LatencyRun.Measure(new LstmStream(lstm), frames, seed + (ulong)stream));
    workers[t].Start();
}
foreach (Thread worker in workers)
    worker.Join();
for (int t = 0; t < threads; t++)
    ok &= Report($"  stream {t}", runs[t]);

// Stream 0 replayed alone must end bit-identical: threads share weights, never state.
LatencyRun replay = LatencyRun.Measure(new LstmStream(lstm), frames, seed);
bool same = replay.Checksum.Equals(runs[0].Checksum);
Console.WriteLine($"stream 0 replayed on one thread gives the same output: {(same ? "yes" : "NO")}");
return ok && same ? 0 : 1;

static bool Report(string name, LatencyRun run)
{
    Console.WriteLine($"{name}: {run.Summary()}");
    Console.WriteLine($"allocated bytes: {run.AllocatedBytes}");
    return run.AllocatedBytes == 0;
}
