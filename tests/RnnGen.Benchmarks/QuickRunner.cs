using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using RnnGen.Benchmarks.Cases;
using RnnGen.Benchmarks.Generator;
using RnnGen.Benchmarks.Peak;

namespace RnnGen.Benchmarks;

/// <summary>
/// <c>--quick</c>: a Stopwatch loop that measures every case in seconds rather than BenchmarkDotNet's minutes.
/// Stdout gets one JSON line per case and nothing else, so scripts can parse it; progress goes to stderr.
/// </summary>
/// <remarks>
/// Each case is warmed up for at least half a second and at least 30 calls (the tiered JIT promotes a method after
/// 30 calls, and a training step calls the generated pass methods once each: with 0.5 s alone, a 50 ms step was still
/// settling from ~90 to ~50 ms per call during the first third of the timed blocks), then timed in blocks of
/// about 10 ms; the figure is the median over blocks of the time per call, the same statistic as the anchors'
/// torch_bench.py, so a noisy phase on this shared machine moves single blocks rather than the result.
/// Right before each case the runner measures the FMA peak on the case's threads (<see cref="FmaPeak"/>), since the
/// host's peak moves between phases too: <c>pct_run_peak</c> is against that figure, <c>pct_peak</c> against the fixed
/// reference of <see cref="FlopModel"/>. A several-thread case also reports its speedup over the one-thread case of
/// the same run (from the two medians, and from the two cases timed in alternating blocks) beside the speedup of the
/// FMA peak itself: what the second core gave a pure FMA loop just before. A batch-1 case, paced by its weight loads
/// rather than its FMAs, also reports the time just measured to read its weight copies as often as one run does
/// (<see cref="ReadFloor"/>): <c>pct_read_floor</c> is that floor over the case's time.
/// </remarks>
internal static class QuickRunner
{
    private const double WarmupSeconds = 0.5;
    private const int MinWarmupCalls = 30;
    private const double BlockSeconds = 0.01;
    private const double MeasureSeconds = 2.0;
    private const int MinBlocks = 7;
    private const int MaxBlocks = 41;
    private const double InterleavedBlockSeconds = 0.1;

    /// <param name="output">Receives the JSON lines.</param>
    /// <param name="log">Receives the readable progress.</param>
    /// <param name="casePrefix">Only cases whose id starts with it (and no generator run); null for all.</param>
    public static int Run(TextWriter output, TextWriter log, string? casePrefix = null)
    {
        var oneThread = new Dictionary<string, (double Microseconds, double PeakGflops)>();
        foreach (string id in CaseCatalog.Ids)
        {
            if (casePrefix is not null && !id.StartsWith(casePrefix, StringComparison.Ordinal))
                continue;
            BenchmarkCase benchmark = CaseCatalog.Create(id);
            double peak = FmaPeak.Gflops(benchmark.Threads, wide: false);
            double? widePeak = Vector512.IsHardwareAccelerated ? FmaPeak.Gflops(benchmark.Threads, wide: true) : null;
            double microseconds = MedianMicroseconds(benchmark.Run);
            double gflops = benchmark.Flops / (microseconds * 1e3);
            double percent = FlopModel.PercentOfPeak(benchmark.Flops, microseconds, benchmark.Threads);
            string line = Invariant($"{{\"case\": \"{id}\", \"median_us\": {microseconds:0.###}, \"threads\": {benchmark.Threads}, \"gflop\": {benchmark.Flops / 1e9:0.######}, \"pct_peak\": {percent:0.##}");
            line += Invariant($", \"run_peak_gflops\": {peak:0.#}, \"pct_run_peak\": {100 * gflops / peak:0.##}");
            if (widePeak is double wide)
                line += Invariant($", \"run_peak512_gflops\": {wide:0.#}, \"pct_run_peak512\": {100 * gflops / wide:0.##}");
            IReadOnlyList<(long Bytes, int Times)> weightReads = benchmark.WeightReads;
            double? readFloor = weightReads.Count > 0 ? ReadFloor.Microseconds(weightReads) : null;
            if (readFloor is double floor)
                line += Invariant($", \"read_floor_us\": {floor:0.###}, \"pct_read_floor\": {100 * floor / microseconds:0.##}");
            if (benchmark.TokensPerRun > 0)
                line += Invariant($", \"tokens_per_s\": {benchmark.TokensPerRun / (microseconds * 1e-6):0}");
            if (benchmark.Threads == 1)
                oneThread[id] = (microseconds, peak);
            else if (benchmark.OneThreadId is string singleId && oneThread.TryGetValue(singleId, out var single))
                line += Invariant($", \"speedup_vs_1t\": {single.Microseconds / microseconds:0.###}, \"speedup_vs_1t_interleaved\": {InterleavedSpeedup(CaseCatalog.Create(singleId), benchmark):0.###}, \"fma_peak_speedup_vs_1t\": {peak / single.PeakGflops:0.###}");
            output.WriteLine(line + "}");
            log.WriteLine(Invariant($"{id,-34} {microseconds,12:0.###} us  {100 * gflops / peak,6:0.##}% of this run's {benchmark.Threads}-core AVX2 peak ({peak:0.#} GFLOP/s)")
                + (readFloor is double weightsRead ? Invariant($", weight reads alone {weightsRead:0.###} us") : ""));
        }

        if (casePrefix is not null)
            return 0;

        foreach ((string id, int threads, string reason) in CaseCatalog.NotImplemented)
        {
            output.WriteLine(Invariant($"{{\"case\": \"{id}\", \"threads\": {threads}, \"status\": \"not_implemented\", \"reason\": \"{JsonEncodedText.Encode(reason)}\"}}"));
            log.WriteLine($"{id,-34} not implemented: {reason}");
        }

        return RunGenerator(output, log) ? 0 : 1;
    }

    /// <summary>Cold generator cost per model, then the unrelated-edit check; false when the check fails.</summary>
    private static bool RunGenerator(TextWriter output, TextWriter log)
    {
        if (!GeneratorWorkload.TryCreate(out GeneratorWorkload? workload, out string? unavailable))
        {
            output.WriteLine($"{{\"case\": \"generator_cold_{GeneratorWorkload.ModelCount}_models\", \"threads\": 1, \"status\": \"unavailable\", \"reason\": \"{JsonEncodedText.Encode(unavailable)}\"}}");
            log.WriteLine($"generator: not measured: {unavailable}");
            return true;
        }

        GeneratorRunResult first = workload.RunCold().Results.Single();
        if (first.Exception is not null || first.GeneratedSources.Length != GeneratorWorkload.ModelCount || first.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            log.WriteLine($"generator: expected {GeneratorWorkload.ModelCount} sources and no errors, got {first.GeneratedSources.Length} sources, exception {first.Exception?.Message ?? "none"}, {first.Diagnostics.Length} diagnostics");
            return false;
        }

        double microseconds = MedianMicroseconds(() => workload.RunCold());
        double perModelMs = microseconds / 1e3 / GeneratorWorkload.ModelCount;
        output.WriteLine(Invariant($"{{\"case\": \"generator_cold_{GeneratorWorkload.ModelCount}_models\", \"median_us\": {microseconds:0.#}, \"threads\": 1, \"ms_per_model\": {perModelMs:0.###}}}"));
        log.WriteLine(Invariant($"generator, {GeneratorWorkload.ModelCount} models cold: {microseconds / 1e3:0.##} ms, {perModelMs:0.###} ms per model (target < 50)"));

        IReadOnlyList<(string Step, IncrementalStepRunReason Reason)> reasons = workload.RerunAfterUnrelatedEdit();
        bool cached = reasons.Count > 0 && reasons.All(r => r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        string steps = string.Join(", ", workload.TrackingNames.Select(step =>
            $"\"{step}\": \"{string.Join("/", reasons.Where(r => r.Step == step).Select(r => r.Reason.ToString()).Distinct())}\""));
        output.WriteLine($"{{\"check\": \"generator_unrelated_edit_all_cached\", \"ok\": {(cached ? "true" : "false")}, \"steps\": {{{steps}}}}}");
        log.WriteLine($"generator, method added to an unrelated class: {(cached ? "every tracked step Cached/Unchanged" : "SOME STEP RE-RAN")}");
        return cached;
    }

    /// <summary>
    /// The speedup of <paramref name="several"/> over <paramref name="single"/> with the two timed in alternating blocks
    /// (the order swapped every round), as the median of the per-round ratios: the two cases' own medians come seconds
    /// apart, in phases of the host that can differ by more than the speedup itself.
    /// </summary>
    private static double InterleavedSpeedup(BenchmarkCase single, BenchmarkCase several)
    {
        const int Rounds = 15;
        var clock = Stopwatch.StartNew();
        int warmupCalls = 0;
        while (warmupCalls < MinWarmupCalls || clock.Elapsed.TotalSeconds < WarmupSeconds)
        {
            single.Run();
            warmupCalls++;
        }
        int callsPerBlock = Math.Max(1, (int)(InterleavedBlockSeconds * warmupCalls / clock.Elapsed.TotalSeconds));
        var ratios = new double[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            double singleTime = 0, severalTime = 0;
            foreach (bool first in round % 2 == 0 ? (bool[])[true, false] : [false, true])
            {
                BenchmarkCase timed = first ? single : several;
                long start = Stopwatch.GetTimestamp();
                for (int call = 0; call < callsPerBlock; call++)
                    timed.Run();
                double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (first)
                    singleTime = elapsed;
                else
                    severalTime = elapsed;
            }
            ratios[round] = singleTime / severalTime;
        }
        Array.Sort(ratios);
        return ratios[Rounds / 2];
    }

    /// <summary>Median over blocks of the time per call of <paramref name="body"/>, in microseconds.</summary>
    private static double MedianMicroseconds(Action body)
    {
        var clock = Stopwatch.StartNew();
        int warmupCalls = 0;
        while (warmupCalls < MinWarmupCalls || clock.Elapsed.TotalSeconds < WarmupSeconds)
        {
            body();
            warmupCalls++;
        }
        double perCall = clock.Elapsed.TotalSeconds / warmupCalls;
        int callsPerBlock = Math.Max(1, (int)(BlockSeconds / perCall));
        int blocks = Math.Clamp((int)(MeasureSeconds / (callsPerBlock * perCall)), MinBlocks, MaxBlocks);

        var samples = new double[blocks];
        for (int block = 0; block < blocks; block++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int call = 0; call < callsPerBlock; call++)
                body();
            samples[block] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / callsPerBlock;
        }
        Array.Sort(samples);
        return samples[blocks / 2];
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
