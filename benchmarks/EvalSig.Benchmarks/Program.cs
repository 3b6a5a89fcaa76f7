using BenchmarkDotNet.Running;

namespace EvalSig.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/EvalSig.Benchmarks -- --filter '*'</c>;
/// figures go to docs/performance.md. <c>-- peak-memory</c> measures peak working set of one import; <c>-- watch-simulation</c> runs the sequential watch's calibration study.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "peak-memory")
        {
            return PeakMemory.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "watch-simulation")
        {
            return WatchStudy.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "time-watch")
        {
            return WatchTiming.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "time-audit")
        {
            return AuditTiming.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "tokenize")
        {
            return FileToVerdictBenchmarks.TokenizeCommand(args[1..]);
        }

        if (args.Length > 0 && args[0] == "write-runs")
        {
            return RunFiles.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "time-read")
        {
            return PeakMemory.TimeRead(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
