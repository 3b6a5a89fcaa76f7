using System;
using System.Diagnostics;
using System.IO;
using EvalSig.Core.RunFrames;
using EvalSig.Testing;

namespace EvalSig.Benchmarks;

/// <summary>
/// Peak working set of a fresh process importing one 1,000,000-item JSON file: BenchmarkDotNet
/// reports allocations, not peak memory, so this runs the import once and reads the OS's peak.
/// </summary>
internal static class PeakMemory
{
    public static int Run(string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-peak-").FullName;
        try
        {
            var json = args.Length > 0 ? args[0] : SyntheticRuns.WriteJson(Path.Combine(dir, "run.json"), 1_000_000);
            GC.Collect();
            var before = Process.GetCurrentProcess().PeakWorkingSet64;
            var sw = Stopwatch.StartNew();
            var frame = RunFrameFile.Read(json);
            sw.Stop();
            var p = Process.GetCurrentProcess();
            p.Refresh();
            Console.WriteLine($"items={frame.Count} file_mb={new FileInfo(json).Length / 1e6:F1} seconds={sw.Elapsed.TotalSeconds:F3} peak_working_set_mb={p.PeakWorkingSet64 / 1e6:F0} (before import {before / 1e6:F0})");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Quick look while optimising (not a benchmark): three timed reads of each file.</summary>
    public static int TimeRead(string[] paths)
    {
        foreach (var path in paths)
        {
            for (var i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                var n = RunFrameFile.Read(path).Count;
                Console.WriteLine($"{Path.GetFileName(path)} items={n} seconds={sw.Elapsed.TotalSeconds:F3}");
            }
        }

        return 0;
    }
}
