using System;
using System.Linq;
using BenchmarkDotNet.Running;
using RnnGen.Benchmarks;

// `-- --quick`: seconds-long Stopwatch medians, one JSON line per case. Anything else goes to BenchmarkDotNet,
// e.g. `-- --filter *` for the full suite.
if (args.Contains("--quick"))
    return QuickRunner.Run(Console.Out, Console.Error);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
