using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EvalSig.Core.Statistics;

namespace EvalSig.Validation;

/// <summary>
/// The validation study: type-I error and power of every method and of Auto, by Monte Carlo.
///
///   dotnet run -c Release --project benchmarks/EvalSig.Validation -- [--grid quick|medium|full] [--quick]
///       [--sims N] [--seed S] [--threads T] [--clusters 0,3,5,...] [--out DIR] [--update-docs] [--report-only]
///   dotnet run -c Release --project benchmarks/EvalSig.Validation -- --grid G --merge DIR1,DIR2 --out DIR [--update-docs]
///
/// Writes DIR/results.csv, DIR/tables.md and DIR/*.png (DIR defaults to docs/validation/GRID), and with
/// --update-docs (the default for the full grid) replaces the generated block of docs/methodology.md.
/// --report-only rebuilds the tables and figures from DIR/results.csv without simulating; --clusters runs
/// only the cells with those cluster counts (0: no clusters), so a grid can run in parts, which --merge
/// joins (a later part replaces the same cells of an earlier one). Every cell is seeded from the seed and its own design, so parts and threads do not change results.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var grid = "full";
        int? sims = null;
        long seed = 20261125;
        var threads = Environment.ProcessorCount;
        string? outDir = null;
        bool? updateDocs = null;
        var reportOnly = false;
        int[]? only = null;
        string[]? merge = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    grid = "quick";
                    break;
                case "--grid":
                    grid = args[++i];
                    break;
                case "--sims":
                    sims = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seed":
                    seed = long.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--threads":
                    threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--out":
                    outDir = args[++i];
                    break;
                case "--update-docs":
                    updateDocs = true;
                    break;
                case "--no-update-docs":
                    updateDocs = false;
                    break;
                case "--report-only":
                    reportOnly = true;
                    break;
                case "--clusters":
                    only = args[++i].Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--merge":
                    merge = args[++i].Split(',');
                    break;
                case "--profile":
                    Resampling.MaxParallelism = 1;
                    foreach (var cell in Grids.Build(args[++i], 1))
                    {
                        var sim = new Simulator(cell, seed);
                        Console.WriteLine(cell.Key + "  " + string.Join("  ", sim.Profile(50).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Method}={p.Micros:0}us"))));
                    }

                    return 0;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'. Usage: --grid quick|medium|full [--quick] [--sims N] [--seed S] [--threads T] [--clusters 0,3,5,...] [--out DIR] [--update-docs] [--report-only] [--merge DIR1,DIR2,...]");
                    return 64;
            }
        }

        var root = FindRepoRoot();
        outDir ??= Path.Combine(root, "docs", "validation", grid);
        Directory.CreateDirectory(outDir);
        var csv = Path.Combine(outDir, "results.csv");
        StudyRun run;
        if (merge is not null)
        {
            // Parts of one grid run separately (--clusters), joined: the wall time is the sum of the parts',
            // and where two parts have the same cell, method and alternative the later part wins (a re-run).
            var parts = merge.Select(m => Results.Read(Path.Combine(m, "results.csv"))).ToList();
            var rows = parts.SelectMany(p => p.Rows)
                .GroupBy(r => (r.Scores, r.Clusters, r.Icc, r.Design, r.Items, r.EffectSe, r.Method, r.Alternative))
                .Select(g => g.Last())
                .ToList();
            run = new StudyRun(parts[0].Grid, parts[0].Seed, parts[0].Threads, parts.Sum(p => p.Seconds), rows);
            Results.Write(csv, run);
        }
        else if (reportOnly)
        {
            run = Results.Read(csv);
        }
        else
        {
            var cells = Grids.Build(grid, sims).Where(c => only is null || only.Contains(c.Clusters)).ToList();
            run = Simulate(grid, cells, seed, threads);
            Results.Write(csv, run);
        }

        var tables = Report.Tables(run);
        File.WriteAllText(Path.Combine(outDir, "tables.md"), tables);
        Plots.Draw(run, outDir);
        if (updateDocs ?? grid == "full")
        {
            Report.UpdateMethodology(Path.Combine(root, "docs", "methodology.md"), run, Path.GetRelativePath(Path.Combine(root, "docs"), outDir).Replace('\\', '/'), tables);
        }

        Console.Error.WriteLine($"wrote {csv}, tables.md and figures to {outDir}");
        return 0;
    }

    private static StudyRun Simulate(string grid, List<Cell> cells, long seed, int threads)
    {
        // The study parallelises over simulations; each inference runs on one core.
        Resampling.MaxParallelism = 1;
        const int ChunkSize = 100;
        var work = new List<(int Cell, int From, int To)>();
        for (var c = 0; c < cells.Count; c++)
        {
            for (var s = 0; s < cells[c].Sims; s += ChunkSize)
            {
                work.Add((c, s, Math.Min(cells[c].Sims, s + ChunkSize)));
            }
        }

        // Expensive chunks first, so the last minutes are not one slow cell on one core.
        var sims = cells.Select(c => new Simulator(c, seed)).ToArray();
        work = work.OrderByDescending(w => Cost(cells[w.Cell])).ToList();
        var tallies = new ConcurrentDictionary<(int, string, Alternative), Tally>();
        var cellTicks = new long[cells.Count];
        var totalCost = work.Sum(w => Cost(cells[w.Cell]) * (w.To - w.From));
        double doneCost = 0;
        long doneSims = 0;
        var watch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var gate = new object();
        Console.Error.WriteLine($"grid {grid}: {cells.Count} cells, {cells.Sum(c => (long)c.Sims)} simulations, {threads} threads, seed {seed}");
        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = threads }, w =>
        {
            var local = new Dictionary<(string, Alternative), Tally>();
            var t0 = Stopwatch.GetTimestamp();
            sims[w.Cell].Run(w.From, w.To, local, CancellationToken.None);
            Interlocked.Add(ref cellTicks[w.Cell], Stopwatch.GetTimestamp() - t0);
            foreach (var ((m, alt), t) in local)
            {
                var target = tallies.GetOrAdd((w.Cell, m, alt), _ => new Tally());
                lock (target)
                {
                    target.Add(t);
                }
            }

            lock (gate)
            {
                doneCost += Cost(cells[w.Cell]) * (w.To - w.From);
                doneSims += w.To - w.From;
                if (watch.Elapsed - lastReport > TimeSpan.FromSeconds(10))
                {
                    lastReport = watch.Elapsed;
                    var share = doneCost / totalCost;
                    var eta = TimeSpan.FromSeconds(watch.Elapsed.TotalSeconds * (1 - share) / Math.Max(share, 1e-9));
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {share:P1} of the work, {doneSims} simulations, {watch.Elapsed:hh\\:mm\\:ss} elapsed, about {eta:hh\\:mm\\:ss} left"));
                }
            }
        });

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {watch.Elapsed:hh\\:mm\\:ss}"));
        var rows = new List<ResultRow>();
        for (var c = 0; c < cells.Count; c++)
        {
            var cell = cells[c];
            var sim = sims[c];
            foreach (var m in sim.Methods)
            {
                foreach (var alt in new[] { Alternative.Greater, Alternative.TwoSided })
                {
                    var t = tallies[(c, m, alt)];
                    var rate = t.Rejected / (double)t.Runs;
                    var chosen = string.Join(";", t.Chosen.OrderByDescending(kv => kv.Value).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}:{kv.Value / (double)t.Runs:0.###}")));
                    rows.Add(new ResultRow(
                        cell.Scores.ToString().ToLowerInvariant(), cell.Clusters, cell.Icc, cell.Design, cell.Items, cell.EffectSe, sim.TrueDelta, sim.TrueSe,
                        m, alt == Alternative.Greater ? "greater" : "two_sided", t.Runs, rate, Math.Sqrt(rate * (1 - rate) / t.Runs),
                        t.Limited / (double)t.Runs, chosen, cellTicks[c] / (double)Stopwatch.Frequency));
                }
            }
        }

        return new StudyRun(grid, seed, threads, watch.Elapsed.TotalSeconds, rows);
    }

    /// <summary>A rough relative cost of one simulation of a cell, for ordering and the ETA.</summary>
    private static double Cost(Cell c)
    {
        var g = Math.Max(c.Clusters, 1);
        var wild = c.Clusters == 0 ? 0 : Math.Min(Math.Pow(c.Clusters <= 5 ? 6 : 2, c.Clusters), 8000) * g * (c.Clusters >= 1000 ? 0.05 : 1);
        var boot = c.Clusters == 0 ? (c.Items <= 1000 ? 2000.0 * c.Items : 0) : 2000.0 * g;
        return c.Items * 20.0 + wild * 4 + boot;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EvalSig.sln")))
            {
                return dir.FullName;
            }
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EvalSig.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from inside the EvalSig repository (EvalSig.sln not found).");
    }
}
