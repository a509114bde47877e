using System;
using System.Collections.Generic;

namespace RnnGen.Benchmarks.Cases;

/// <summary>Every case id of issue 8, in report order, with the ones that cannot be measured yet and why.</summary>
internal static class CaseCatalog
{
    /// <summary>Ids of the measurable cases.</summary>
    public static IReadOnlyList<string> Ids { get; } =
    [
        "step_lstm_h64",
        "step_lstm_h256",
        "step_gru_h128",
        "seq_lstm_h128_t64",
        "seq_gru_h128_t64",
        "train_charlm_lstm_h256_b32_t64",
        "train_charlm_lstm_h256_b32_t64_2t",
    ];

    /// <summary>Cases that are declared but have no implementation to measure; no number is ever printed for them.</summary>
    public static IReadOnlyList<(string Id, int Threads, string Reason)> NotImplemented { get; } =
    [];

    /// <summary>Builds the case with <paramref name="id"/>; each call returns fresh state.</summary>
    public static BenchmarkCase Create(string id) => id switch
    {
        "step_lstm_h64" => new StepLstmH64Case(),
        "step_lstm_h256" => new StepLstmH256Case(),
        "step_gru_h128" => new StepGruH128Case(),
        "seq_lstm_h128_t64" => new SeqLstmH128T64Case(),
        "seq_gru_h128_t64" => new SeqGruH128T64Case(),
        "train_charlm_lstm_h256_b32_t64" => new TrainCharLmLstmH256Case(),
        "train_charlm_lstm_h256_b32_t64_2t" => new TrainCharLmLstmH256TwoThreadCase(),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Expected one of CaseCatalog.Ids."),
    };
}
