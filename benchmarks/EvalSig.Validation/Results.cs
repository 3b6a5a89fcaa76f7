using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace EvalSig.Validation;

/// <summary>One method, one alternative, one cell.</summary>
internal sealed record ResultRow(
    string Scores,
    int Clusters,
    double Icc,
    string Design,
    int Items,
    double EffectSe,
    double TrueDelta,
    double TrueSe,
    string Method,
    string Alternative,
    long Sims,
    double Rate,
    double McSe,
    double LimitedRate,
    string Chosen,
    double CellSeconds)
{
    /// <summary>Monte Carlo se of a rejection rate at the nominal alpha: sqrt(alpha (1 - alpha) / sims).</summary>
    public double NullMcSe => Math.Sqrt(Simulator.Alpha * (1 - Simulator.Alpha) / Sims);

    /// <summary>Calibrated: the rejection rate under the null is at most alpha + 2 Monte Carlo se.</summary>
    public bool Calibrated => Rate <= Simulator.Alpha + (2 * NullMcSe);
}

/// <summary>A whole run: its grid, seed, threads, wall time and rows.</summary>
internal sealed record StudyRun(string Grid, long Seed, int Threads, double Seconds, IReadOnlyList<ResultRow> Rows);

internal static class Results
{
    private const string Header = "grid,seed,threads,run_seconds,scores,clusters,icc,design,items,effect_se,true_delta,true_se,method,alternative,sims,rejection_rate,mc_se,limited_rate,auto_chose,cell_cpu_seconds";

    public static void Write(string path, StudyRun run)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(Header);
        foreach (var r in run.Rows)
        {
            sb.Append(inv, $"{run.Grid},{run.Seed},{run.Threads},{run.Seconds:0.#},{r.Scores},{r.Clusters},{r.Icc},{r.Design},{r.Items},{r.EffectSe},{r.TrueDelta:R},{r.TrueSe:R},{r.Method},{r.Alternative},{r.Sims},{r.Rate:R},{r.McSe:R},{r.LimitedRate:R},{r.Chosen},{r.CellSeconds:0.###}").AppendLine();
        }

        File.WriteAllText(path, sb.ToString());
    }

    public static StudyRun Read(string path)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
        {
            throw new InvalidDataException($"{path} is not a results file of this study.");
        }

        var rows = new List<ResultRow>();
        string grid = "?";
        long seed = 0;
        int threads = 0;
        double seconds = 0;
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            (grid, seed, threads, seconds) = (f[0], long.Parse(f[1], inv), int.Parse(f[2], inv), double.Parse(f[3], inv));
            rows.Add(new ResultRow(f[4], int.Parse(f[5], inv), double.Parse(f[6], inv), f[7], int.Parse(f[8], inv), double.Parse(f[9], inv), double.Parse(f[10], inv), double.Parse(f[11], inv), f[12], f[13], long.Parse(f[14], inv), double.Parse(f[15], inv), double.Parse(f[16], inv), double.Parse(f[17], inv), f[18], double.Parse(f[19], inv)));
        }

        return new StudyRun(grid, seed, threads, seconds, rows);
    }
}
