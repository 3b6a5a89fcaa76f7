using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;

namespace EvalSig.Validation;

/// <summary>The study's figures (ScottPlot 5), drawn from the result rows.</summary>
internal static class Plots
{
    public static readonly (string File, string Caption)[] Figures =
    {
        ("type1_vs_clusters_equal.png", "Type-I error against the number of clusters, equal sizes (binary scores, ICC 0.3, one-sided)"),
        ("type1_vs_clusters_unequal.png", "Type-I error against the number of clusters, unequal sizes 20:1 (binary scores, ICC 0.3, one-sided)"),
        ("type1_vs_icc.png", "Type-I error against the ICC, 10 unequal clusters (binary scores, one-sided)"),
        ("power_g10_unequal.png", "Power against the true effect, 10 unequal clusters (binary scores, ICC 0.3, one-sided)"),
        ("power_g30_unequal.png", "Power against the true effect, 30 unequal clusters (binary scores, ICC 0.3, one-sided)"),
        ("type1_vs_pairs.png", "Type-I error against the number of pairs, no clusters (continuous scores, one-sided)"),
    };

    private static readonly Color[] Palette =
    {
        Colors.Black, new("#d62728"), new("#1f77b4"), new("#2ca02c"), new("#ff7f0e"), new("#9467bd"),
    };

    public static void Draw(StudyRun run, string dir)
    {
        var rows = run.Rows;
        foreach (var design in new[] { "equal", "unequal" })
        {
            Lines(
                Path.Combine(dir, $"type1_vs_clusters_{design}.png"),
                $"Type-I error, {design} cluster sizes (binary, ICC 0.3, one-sided)",
                "clusters (log scale)",
                Report.ClusterMethods,
                m => Smallest(rows.Where(r => r.Method == m && r.Scores == "binary" && r.Icc == 0.3 && r.Design == design && r.EffectSe == 0 && r.Alternative == "greater"))
                    .Select(r => (Math.Log10(r.Clusters), r.Rate)),
                logX: rows.Where(r => r.Clusters > 0).Select(r => r.Clusters).Distinct().Order().ToArray(),
                alphaLine: true);
        }

        Lines(
            Path.Combine(dir, "type1_vs_icc.png"),
            "Type-I error against ICC, 10 unequal clusters (binary, one-sided)",
            "ICC (latent)",
            Report.ClusterMethods,
            m => Smallest(rows.Where(r => r.Method == m && r.Scores == "binary" && r.Clusters == 10 && r.Design == "unequal" && r.EffectSe == 0 && r.Alternative == "greater"))
                .Select(r => (r.Icc, r.Rate)),
            logX: null,
            alphaLine: true);

        foreach (var g in new[] { 10, 30 })
        {
            Lines(
                Path.Combine(dir, $"power_g{g}_unequal.png"),
                $"Power, {g} unequal clusters (binary, ICC 0.3, one-sided)",
                "true effect (standard errors of delta)",
                Report.ClusterMethods,
                m => Smallest(rows.Where(r => r.Method == m && r.Scores == "binary" && r.Clusters == g && r.Design == "unequal" && (r.Icc == 0.3) && r.Alternative == "greater"))
                    .Select(r => (r.EffectSe, r.Rate)),
                logX: null,
                alphaLine: false);
        }

        Lines(
            Path.Combine(dir, "type1_vs_pairs.png"),
            "Type-I error without clusters (continuous, one-sided)",
            "pairs (log scale)",
            Report.PairMethods,
            m => rows.Where(r => r.Method == m && r.Scores == "continuous" && r.Clusters == 0 && r.EffectSe == 0 && r.Alternative == "greater")
                .Select(r => (Math.Log10(r.Items), r.Rate)),
            logX: rows.Where(r => r.Clusters == 0).Select(r => r.Items).Distinct().Order().ToArray(),
            alphaLine: true);
    }

    /// <summary>The rows of the smallest item count per x (the designs differ in items only across item levels).</summary>
    private static IEnumerable<ResultRow> Smallest(IEnumerable<ResultRow> rows)
        => rows.GroupBy(r => (r.Clusters, r.Icc, r.EffectSe)).Select(g => g.OrderBy(r => r.Items).First());

    private static void Lines(string path, string title, string xLabel, string[] methods, Func<string, IEnumerable<(double X, double Y)>> series, int[]? logX, bool alphaLine)
    {
        var plot = new Plot();
        var any = false;
        for (var i = 0; i < methods.Length; i++)
        {
            var points = series(methods[i]).OrderBy(p => p.X).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            any = true;
            var s = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y * 100).ToArray());
            s.LegendText = methods[i] == "auto" ? "Auto" : methods[i];
            s.Color = Palette[i % Palette.Length];
            s.LineWidth = methods[i] == "auto" ? 3 : 1.5f;
            s.MarkerSize = methods[i] == "auto" ? 8 : 5;
        }

        if (!any)
        {
            return;
        }

        if (alphaLine)
        {
            var a = plot.Add.HorizontalLine(5);
            a.Color = Colors.Gray;
            a.LinePattern = LinePattern.Dashed;
            a.LineWidth = 1;
            a.LegendText = "alpha 5%";
        }

        if (logX is { Length: > 0 })
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (var x in logX)
            {
                ticks.AddMajor(Math.Log10(x), x.ToString(CultureInfo.InvariantCulture));
            }

            plot.Axes.Bottom.TickGenerator = ticks;
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(alphaLine ? "rejections under the null (%)" : "rejections (%)");
        plot.ShowLegend(alphaLine ? Alignment.UpperRight : Alignment.LowerRight);
        plot.Axes.AutoScale();
        if (alphaLine)
        {
            var top = plot.Axes.GetLimits().Top;
            plot.Axes.SetLimitsY(0, Math.Max(top, 12));
        }
        else
        {
            plot.Axes.SetLimitsY(0, 100);
        }

        plot.SavePng(path, 900, 560);
    }
}
