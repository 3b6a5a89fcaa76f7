using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EvalSig.Validation;

/// <summary>How the paired differences are generated.</summary>
internal enum Scores
{
    /// <summary>0/1 scores: d in {-1, 0, 1} from a latent threshold model (see <see cref="Simulator"/>).</summary>
    Binary,

    /// <summary>Continuous scores: d = delta + u_g + e_i with normal cluster and item effects.</summary>
    Continuous,

    /// <summary>Continuous with skewed (centred exponential) cluster and item effects: sign-flip symmetry fails.</summary>
    Skewed,
}

/// <summary>One cell of the study: a design and a true effect, simulated <see cref="Sims"/> times.</summary>
internal sealed record Cell(
    Scores Scores,
    int Clusters,
    double Icc,
    bool Unequal,
    int TargetItems,
    double EffectSe,
    int Sims)
{
    /// <summary>Cluster sizes: equal, or ceil(G/5) clusters 20 times the size of the rest (ratio 20:1).</summary>
    public int[] Sizes()
    {
        if (Clusters == 0)
        {
            return Array.Empty<int>();
        }

        var big = Unequal ? (int)Math.Ceiling(Clusters / 5.0) : 0;
        var units = Unequal ? Clusters - big + (20 * big) : Clusters;
        var m = Math.Max(1, (int)Math.Round(TargetItems / (double)units));
        var sizes = new int[Clusters];
        for (var g = 0; g < Clusters; g++)
        {
            sizes[g] = g < big ? 20 * m : m;
        }

        return sizes;
    }

    public int Items => Clusters == 0 ? TargetItems : Sizes().Sum();

    public string Design => Clusters == 0 ? "none" : Unequal ? "unequal" : "equal";

    public string Key => string.Create(CultureInfo.InvariantCulture, $"{Scores}|G={Clusters}|icc={Icc}|{Design}|n={Items}|eff={EffectSe}");
}

/// <summary>The grids: quick (smoke, minutes), medium (what the Auto rules were derived from), full (the published tables).</summary>
internal static class Grids
{
    public static readonly int[] ClusterCounts = { 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 1000 };
    public static readonly double[] Iccs = { 0, 0.1, 0.3, 0.6 };
    public static readonly double[] Effects = { 1, 2, 3 };
    public static readonly int[] PairCounts = { 3, 5, 10, 20, 30, 50, 100, 1000, 20000 };

    public static IReadOnlyList<Cell> Build(string name, int? sims)
    {
        return name switch
        {
            "quick" => Quick(sims ?? 1000),
            "medium" => Medium(sims ?? 2000),
            "full" => Full(sims ?? 5000),
            _ => throw new ArgumentException($"unknown grid '{name}': use quick, medium or full"),
        };
    }

    /// <summary>A few minutes: the headline designs at ICC 0.3, a null and one alternative.</summary>
    private static List<Cell> Quick(int sims)
    {
        var cells = new List<Cell>();
        foreach (var scores in new[] { Scores.Binary, Scores.Continuous })
        {
            foreach (var g in new[] { 3, 5, 10, 30, 100 })
            {
                foreach (var unequal in new[] { false, true })
                {
                    foreach (var eff in new[] { 0.0, 2.0 })
                    {
                        cells.Add(new Cell(scores, g, 0.3, unequal, 200, eff, sims));
                    }
                }
            }

            foreach (var n in new[] { 5, 30, 1000 })
            {
                foreach (var eff in new[] { 0.0, 2.0 })
                {
                    cells.Add(new Cell(scores, 0, 0, false, n, eff, sims));
                }
            }
        }

        return cells;
    }

    /// <summary>
    /// Every null design at the smaller item count (all cluster counts, ICCs, sizes, score types incl.
    /// skewed), power at ICC 0.3, and the unpaired-size ladder without clusters.
    /// </summary>
    private static List<Cell> Medium(int sims)
    {
        var cells = new List<Cell>();
        foreach (var g in ClusterCounts)
        {
            var items = g >= 1000 ? 5000 : 200;
            foreach (var unequal in new[] { false, true })
            {
                foreach (var scores in new[] { Scores.Binary, Scores.Continuous, Scores.Skewed })
                {
                    foreach (var icc in Iccs)
                    {
                        cells.Add(new Cell(scores, g, icc, unequal, items, 0, sims));
                    }
                }

                foreach (var scores in new[] { Scores.Binary, Scores.Continuous })
                {
                    foreach (var eff in Effects)
                    {
                        cells.Add(new Cell(scores, g, 0.3, unequal, items, eff, sims));
                    }
                }
            }
        }

        AddUnclustered(cells, sims);
        return cells;
    }

    /// <summary>
    /// The medium grid with the null designs at two item counts (about 200 and 2,000) and the power
    /// designs at the smaller; 1,000 clusters at about 5,000 items only, and 20,000 items in the ladder
    /// without clusters - so that the grid fits an hour on two cores.
    /// </summary>
    private static List<Cell> Full(int sims)
    {
        var cells = new List<Cell>();
        foreach (var g in ClusterCounts)
        {
            foreach (var items in g >= 1000 ? new[] { 5000 } : new[] { 200, 2000 })
            {
                foreach (var unequal in new[] { false, true })
                {
                    foreach (var scores in new[] { Scores.Binary, Scores.Continuous, Scores.Skewed })
                    {
                        foreach (var icc in Iccs)
                        {
                            cells.Add(new Cell(scores, g, icc, unequal, items, 0, sims));
                        }
                    }

                    if (items == 200 || g >= 1000)
                    {
                        foreach (var scores in new[] { Scores.Binary, Scores.Continuous })
                        {
                            foreach (var eff in Effects)
                            {
                                cells.Add(new Cell(scores, g, 0.3, unequal, items, eff, sims));
                            }
                        }
                    }
                }
            }
        }

        AddUnclustered(cells, sims);
        return cells;
    }

    private static void AddUnclustered(List<Cell> cells, int sims)
    {
        foreach (var scores in new[] { Scores.Binary, Scores.Continuous, Scores.Skewed })
        {
            // 20,000 pairs only for non-binary scores: McNemar's exact p in rational arithmetic costs
            // milliseconds there, and the 0/1 case at that size is covered by the 1,000-cluster cells.
            foreach (var n in PairCounts.Where(n => scores != Scores.Binary || n <= 1000))
            {
                cells.Add(new Cell(scores, 0, 0, false, n, 0, sims));
                if (scores != Scores.Skewed)
                {
                    foreach (var eff in Effects)
                    {
                        cells.Add(new Cell(scores, 0, 0, false, n, eff, sims));
                    }
                }
            }
        }
    }
}
