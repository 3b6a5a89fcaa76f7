using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using EvalSig.Testing;

namespace EvalSig.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/EvalSig.Benchmarks -- watch-simulation [--streams 2000] [--items 2000] [--seed 14] [--csv FILE]</c>:
/// the sequential watch's type-I error under a look after every item (and its power), against a
/// t-test peeked at every item. Seeded: the same arguments give the same table on any machine.
/// </summary>
internal static class WatchStudy
{
    public static int Run(string[] args)
    {
        var streams = Arg(args, "--streams", 2000);
        var items = Arg(args, "--items", 2000);
        var seed = Arg(args, "--seed", 14);
        var csv = args.SkipWhile(a => a != "--csv").Skip(1).FirstOrDefault();
        var sw = Stopwatch.StartNew();
        var progress = new Progress<string>(s => Console.Error.WriteLine(s));
        var rows = WatchSimulation.Run(WatchSimulation.NullSettings.Concat(WatchSimulation.PowerSettings), streams, items, seed, 0.05, progress);
        Console.WriteLine(WatchSimulation.Markdown(rows));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Settings: {string.Join("; ", WatchSimulation.NullSettings.Select(s => s.Name + ": " + s.Description))}."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Seed {seed}, {Environment.ProcessorCount} cores, {sw.Elapsed.TotalSeconds:0} s."));
        if (csv is not null)
        {
            File.WriteAllLines(csv, Enumerable.Repeat("setting,shift,streams,items,asymptotic,betting,peeked_t,fixed_t,asymptotic_mean_stop,betting_mean_stop,mc_se", 1)
                .Concat(rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Setting},{r.Shift},{r.Streams},{r.Items},{r.AsymptoticRate},{r.BettingRate},{r.PeekedTRate},{r.FixedTRate},{r.AsymptoticMeanStop},{r.BettingMeanStop},{r.McSe}"))));
        }

        return 0;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

/// <summary><c>-- time-watch [n]</c>: one watch of an n-item null stream, timed in phases (a quick check, not a benchmark).</summary>
internal static class WatchTiming
{
    public static int Run(string[] args)
    {
        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var ids = new string[n];
        var scores = new double[n];
        var rng = new Random(11);
        for (var i = 0; i < n; i++)
        {
            ids[i] = "q" + i.ToString(CultureInfo.InvariantCulture);
            scores[i] = rng.NextDouble() < 0.6 ? 1 : 0;
        }

        var baseline = EvalSig.Core.RunFrames.RunFrame.Create("b", "m", "t", "acc", ids, scores);
        foreach (var kind in new[] { EvalSig.Core.Sequential.SequenceKind.Betting, EvalSig.Core.Sequential.SequenceKind.Asymptotic })
        {
            var before = GC.GetTotalMemory(true);
            var sw = Stopwatch.StartNew();
            var session = new EvalSig.Core.Sequential.WatchSession(baseline, new EvalSig.Core.Sequential.WatchOptions { Sequence = kind });
            var setup = sw.Elapsed;
            var r2 = new Random(12);
            for (var i = 0; i < n; i++)
            {
                if (session.Observe(ids[i], r2.NextDouble() < 0.6 ? 1 : 0))
                {
                    break;
                }
            }

            var total = sw.Elapsed;
            var after = GC.GetTotalMemory(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind}: index the baseline {setup.TotalMilliseconds:0} ms, {session.ItemsRead:N0} items {(total - setup).TotalMilliseconds:0} ms ({(total - setup).TotalMilliseconds * 1e6 / Math.Max(1, session.ItemsRead):0} ns/item), memory held {(after - before) / 1e6:0.0} MB; {session.Finish()}"));
        }

        return 0;
    }
}
