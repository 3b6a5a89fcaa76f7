using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Sequential;

namespace EvalSig.Testing;

/// <summary>
/// Monte Carlo check of the sequential watch under continuous monitoring: for each setting, many
/// seeded streams of (baseline, candidate) item pairs; the watch looks after every item and the
/// false-ALLOW rate under a true delta of 0 must stay at or below alpha. A fixed-n paired t-test
/// peeked at every item (stop at the first p &lt; alpha) is run on the same streams for contrast, and
/// the same t-test once at the planned n as a sanity check. Deterministic for a given seed on any
/// number of cores (each stream has its own generator).
/// </summary>
public static class WatchSimulation
{
    public sealed record Setting(string Name, string Description, double Shift, int ClusterSize = 0);

    public sealed record Row(
        string Setting,
        double Shift,
        int Streams,
        int Items,
        double AsymptoticRate,
        double BettingRate,
        double PeekedTRate,
        double FixedTRate,
        double AsymptoticMeanStop,
        double BettingMeanStop,
        double McSe);

    public static readonly Setting[] NullSettings =
    {
        new("continuous", "scores in [0,1]: item difficulty u ~ Beta(2,2), b and c = clamp(u + N(0, 0.15^2))", 0),
        new("binary", "0/1 scores: p_i ~ Beta(2,2), b, c ~ Bernoulli(p_i) independently", 0),
        new("binary-rare-flips", "0/1 scores, 90% of items scored alike: b ~ Bernoulli(0.7), c = b w.p. 0.9 else a fresh Bernoulli(0.7)", 0),
        new("clustered-binary", "0/1 scores in clusters of 10 (cluster effect ~ N(0, 1) on the logit, ICC about 0.2), cluster-level watch", 0, 10),
    };

    public static readonly Setting[] PowerSettings =
    {
        new("continuous", "as above, candidate shifted by +0.03", 0.03),
        new("binary", "as above, candidate success probability +0.05", 0.05),
    };

    public static IReadOnlyList<Row> Run(IEnumerable<Setting> settings, int streams, int items, long seed, double alpha = 0.05, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var rows = new List<Row>();
        var index = 0;
        foreach (var s in settings)
        {
            index++;
            long asym = 0, bet = 0, peek = 0, fixedT = 0, asymStop = 0, betStop = 0;
            var done = 0;
            var settingIndex = index;
            Parallel.For(0, streams, new ParallelOptions { CancellationToken = cancel }, () => new long[6], (r, _, acc) =>
            {
                var rng = new SplitMix(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)settingIndex << 40) ^ (ulong)r));
                var (b, c, clusters) = Draw(s, items, ref rng);
                var ids = new string[items];
                for (var i = 0; i < items; i++)
                {
                    ids[i] = i.ToString(CultureInfo.InvariantCulture);
                }

                var baseline = RunFrame.Create("b", "m", "t", "s", ids, b, clusters);
                var (a, an) = Watch(baseline, ids, c, SequenceKind.Asymptotic, alpha);
                var (w, wn) = Watch(baseline, ids, c, SequenceKind.Betting, alpha);
                var (peeked, fixedN) = PeekedT(b, c, alpha);
                acc[0] += a ? 1 : 0;
                acc[1] += w ? 1 : 0;
                acc[2] += peeked ? 1 : 0;
                acc[3] += fixedN ? 1 : 0;
                acc[4] += an;
                acc[5] += wn;
                var n = Interlocked.Increment(ref done);
                if (progress is not null && n % 200 == 0)
                {
                    progress.Report(string.Create(CultureInfo.InvariantCulture, $"{s.Name}: {n}/{streams}"));
                }

                return acc;
            }, acc =>
            {
                Interlocked.Add(ref asym, acc[0]);
                Interlocked.Add(ref bet, acc[1]);
                Interlocked.Add(ref peek, acc[2]);
                Interlocked.Add(ref fixedT, acc[3]);
                Interlocked.Add(ref asymStop, acc[4]);
                Interlocked.Add(ref betStop, acc[5]);
            });

            double R = streams;
            rows.Add(new Row(s.Name, s.Shift, streams, items, asym / R, bet / R, peek / R, fixedT / R, asymStop / R, betStop / R, Math.Sqrt(alpha * (1 - alpha) / R)));
        }

        return rows;
    }

    /// <summary>Whether the watch said ALLOW, and the number of candidate items it read before stopping.</summary>
    private static (bool Allow, long Stop) Watch(RunFrame baseline, string[] ids, double[] c, SequenceKind kind, double alpha)
    {
        var session = new WatchSession(baseline, new WatchOptions { Alpha = alpha, Sequence = kind });
        for (var i = 0; i < c.Length; i++)
        {
            if (session.Observe(ids[i], c[i]))
            {
                break;
            }
        }

        var report = session.Finish();
        return (report.Verdict == GateVerdict.ALLOW, report.ItemsRead);
    }

    /// <summary>One-sided paired t (H1: delta &gt; 0) after every item from 30 on, stopping at the first p &lt; alpha; and once at the end.</summary>
    private static (bool Peeked, bool Fixed) PeekedT(double[] b, double[] c, double alpha)
    {
        double mean = 0, m2 = 0;
        var peeked = false;
        var fixedN = false;
        for (var i = 0; i < c.Length; i++)
        {
            var d = c[i] - b[i];
            var n = i + 1;
            var delta = d - mean;
            mean += delta / n;
            m2 += delta * (d - mean);
            if (n < 30 || !(m2 > 0))
            {
                continue;
            }

            var t = mean / Math.Sqrt(m2 / (n - 1) / n);
            var crit = TCritical(alpha, n - 1);
            if (!peeked && t > crit)
            {
                peeked = true;
            }

            if (n == c.Length)
            {
                fixedN = t > crit;
            }
        }

        return (peeked, fixedN);
    }

    private static readonly Dictionary<int, double> Critical = new();

    private static double TCritical(double alpha, int df)
    {
        lock (Critical)
        {
            if (!Critical.TryGetValue(df, out var q))
            {
                q = MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, df, 1 - alpha);
                Critical[df] = q;
            }

            return q;
        }
    }

    private static (double[] B, double[] C, string?[]? Clusters) Draw(Setting s, int n, ref SplitMix rng)
    {
        var b = new double[n];
        var c = new double[n];
        string?[]? clusters = s.ClusterSize > 0 ? new string?[n] : null;
        double clusterEffect = 0;
        for (var i = 0; i < n; i++)
        {
            switch (s.Name)
            {
                case "continuous":
                    var u = rng.Beta22();
                    b[i] = Math.Clamp(u + (0.15 * rng.Normal()), 0, 1);
                    c[i] = Math.Clamp(u + s.Shift + (0.15 * rng.Normal()), 0, 1);
                    break;
                case "binary":
                    var p = rng.Beta22();
                    b[i] = rng.Uniform() < p ? 1 : 0;
                    c[i] = rng.Uniform() < Math.Min(1, p + s.Shift) ? 1 : 0;
                    break;
                case "binary-rare-flips":
                    b[i] = rng.Uniform() < 0.7 ? 1 : 0;
                    c[i] = rng.Uniform() < 0.9 ? b[i] : rng.Uniform() < 0.7 ? 1 : 0;
                    break;
                case "clustered-binary":
                    if (i % s.ClusterSize == 0)
                    {
                        clusterEffect = rng.Normal();
                    }

                    var q = 1 / (1 + Math.Exp(-(0.4 + clusterEffect)));
                    b[i] = rng.Uniform() < q ? 1 : 0;
                    c[i] = rng.Uniform() < q ? 1 : 0;
                    clusters![i] = "c" + (i / s.ClusterSize).ToString(CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException("unknown setting " + s.Name);
            }
        }

        return (b, c, clusters);
    }

    public static string Markdown(IReadOnlyList<Row> rows, double alpha = 0.05)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| setting | true delta | streams x items | asymptotic CS | betting CS | t-test peeked at every item | t-test once at n | mean items read (asymptotic / betting) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.Append(inv, $"| {r.Setting} | {r.Shift:0.###} | {r.Streams:N0} x {r.Items:N0} | {Pct(r.AsymptoticRate)} | {Pct(r.BettingRate)} | {Pct(r.PeekedTRate)} | {Pct(r.FixedTRate)} | {r.AsymptoticMeanStop:0} / {r.BettingMeanStop:0} |").AppendLine();
        }

        sb.Append(inv, $"\nRates are the share of streams that ended in ALLOW (type-I error when the true delta is 0, power otherwise). Monte Carlo se of a {alpha:P0} rate with {rows[0].Streams:N0} streams: {rows[0].McSe * 100:0.00} points, so the bound alpha + 2 se is {(alpha + (2 * rows[0].McSe)) * 100:0.00}%.").AppendLine();
        return sb.ToString();

        static string Pct(double v) => (v * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>SplitMix64: a tiny, fully specified generator, so the study is reproducible bit for bit.</summary>
    private struct SplitMix
    {
        private ulong _x;
        private double? _spare;

        public SplitMix(ulong seed)
        {
            _x = seed;
            _spare = null;
        }

        public ulong Next()
        {
            var z = _x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double Uniform() => (Next() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Box-Muller.</summary>
        public double Normal()
        {
            if (_spare is { } s)
            {
                _spare = null;
                return s;
            }

            double u1;
            do
            {
                u1 = Uniform();
            }
            while (u1 <= 0);
            var u2 = Uniform();
            var r = Math.Sqrt(-2 * Math.Log(u1));
            _spare = r * Math.Sin(2 * Math.PI * u2);
            return r * Math.Cos(2 * Math.PI * u2);
        }

        /// <summary>Beta(2, 2) as the median of three uniforms.</summary>
        public double Beta22()
        {
            double a = Uniform(), b = Uniform(), c = Uniform();
            return Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
        }
    }
}
