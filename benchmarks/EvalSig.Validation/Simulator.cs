using System;
using System.Collections.Generic;
using System.Threading;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;

namespace EvalSig.Validation;

/// <summary>What one method did over a cell's simulations, for one alternative.</summary>
internal sealed class Tally
{
    public long Rejected;
    public long Limited;
    public long Runs;
    public readonly Dictionary<string, long> Chosen = new(StringComparer.Ordinal);

    public void Add(Tally other)
    {
        Rejected += other.Rejected;
        Limited += other.Limited;
        Runs += other.Runs;
        foreach (var (k, v) in other.Chosen)
        {
            Chosen[k] = Chosen.GetValueOrDefault(k) + v;
        }
    }
}

/// <summary>
/// Generates one cell's data and runs every method through the product's own code path
/// (EvalComparer.Compare on paired runs), so the study measures exactly what the gate does.
///
/// Models, for item i in cluster g (ICC rho):
/// - Continuous: d = delta + u_g + e_i, u_g ~ N(0, rho), e_i ~ N(0, 1 - rho): the ICC of d is rho.
/// - Skewed: the same with u_g = sqrt(rho) (E - 1), e_i = sqrt(1 - rho) (E - 1), E ~ Exp(1).
/// - Binary: a latent z = s + u_g + e_i (u_g ~ N(0, rho), e_i ~ N(0, 1 - rho)); the candidate alone
///   is right (d = +1) when z &gt; tau, the baseline alone (d = -1) when z &lt; -tau, and otherwise both
///   agree (d = 0), with tau = Phi^-1(0.8) so that 40% of the pairs are discordant under the null.
///   rho is the latent ICC; the ICC of d itself is lower (<see cref="ObservedIcc"/>: 0.078, 0.235, 0.474
///   for rho = 0.1, 0.3, 0.6). The shift s is solved so that E[d] = Phi(s - tau) - Phi(-s - tau) = delta.
/// The true effect is EffectSe standard errors of delta-hat under the null design:
/// se^2 = sum_g (n_g v + n_g (n_g - 1) k) / n^2, v = var(d), k the within-cluster covariance of d.
/// </summary>
internal sealed class Simulator
{
    public const double Alpha = 0.05;

    /// <summary>Share of discordant pairs under the null (binary scores).</summary>
    public const double Discordance = 0.4;

    /// <summary>tau = Phi^-1(1 - Discordance / 2).</summary>
    private static readonly double Tau = InverseNormal(1 - (Discordance / 2));

    private readonly Cell _cell;
    private readonly int[] _sizes;
    private readonly int[] _cluster;
    private readonly int _n;
    private readonly double _shift;
    private readonly ulong _cellSeed;

    public Simulator(Cell cell, long seed)
    {
        _cell = cell;
        _sizes = cell.Sizes();
        _n = cell.Items;
        _cluster = new int[_n];
        var i = 0;
        for (var g = 0; g < _sizes.Length; g++)
        {
            for (var k = 0; k < _sizes[g]; k++)
            {
                _cluster[i++] = g;
            }
        }

        TrueSe = ComputeTrueSe();
        TrueDelta = cell.EffectSe * TrueSe;
        _shift = cell.Scores == Scores.Binary ? BinaryShift(TrueDelta) : TrueDelta;
        _cellSeed = unchecked((ulong)seed ^ (ulong)StableHash(cell.Key));
        Methods = MethodsFor(cell);
    }

    public double TrueSe { get; }

    public double TrueDelta { get; }

    /// <summary>The methods run in this cell, by their report names.</summary>
    public IReadOnlyList<string> Methods { get; }

    private static readonly Alternative[] BothAlternatives = { Alternative.Greater, Alternative.TwoSided };

    private static List<string> MethodsFor(Cell cell)
    {
        var list = new List<string> { "auto" };
        if (cell.Clusters > 0)
        {
            list.AddRange(["clustered_t", "clustered_cr2", "wild_cluster_bootstrap", "cluster_bootstrap", "paired_t"]);
            if (cell.Clusters <= 8)
            {
                list.Add(WildClusterBootstrapVariant);
            }
        }
        else
        {
            list.Add("paired_t");
            if (cell.Scores == Scores.Binary)
            {
                list.Add("mcnemar_exact");
            }

            if (cell.Items <= 1000)
            {
                list.AddRange(["paired_bootstrap", "paired_permutation"]);
            }
        }

        return list;
    }

    /// <summary>The wild bootstrap with the weights the gate does not use at this G and alternative (Rademacher where it uses Webb, and back).</summary>
    public const string WildClusterBootstrapVariant = "wild_other_weights";

    /// <summary>
    /// Resamples for the resampling methods, fewer where a cell is large and the method is not Auto's
    /// there: (R + 1) alpha is an integer, so the Monte Carlo p-values remain exact-level tests.
    /// </summary>
    public int Resamples => _cell.Clusters >= 1000 ? 199 : _cell.Clusters >= 50 || (_cell.Clusters == 0 && _cell.Items >= 1000) ? 999 : 1999;

    /// <summary>Microseconds per call of each method on this cell's first simulations, one thread (for planning grids).</summary>
    public IEnumerable<(string Method, double Micros)> Profile(int sims)
    {
        var d = new double[_n];
        var b = new double[_n];
        var c = new double[_n];
        var gen = System.Diagnostics.Stopwatch.StartNew();
        for (var s = 0; s < sims; s++)
        {
            Generate(s, d, b, c);
        }

        var perGenerate = gen.Elapsed.TotalMicroseconds / sims;
        yield return ("(generate)", perGenerate);
        foreach (var m in Methods)
        {
            var w = System.Diagnostics.Stopwatch.StartNew();
            for (var s = 0; s < sims; s++)
            {
                Generate(s, d, b, c);
                _ = RunOne(m, Alternative.Greater, d, b, c, s);
            }

            yield return (m, (w.Elapsed.TotalMicroseconds / sims) - perGenerate);
        }
    }

    /// <summary>Runs simulations [from, to) and adds to one tally per (method, alternative).</summary>
    public void Run(int from, int to, Dictionary<(string, Alternative), Tally> tallies, CancellationToken cancel)
    {
        var d = new double[_n];
        var b = new double[_n];
        var c = new double[_n];
        foreach (var m in Methods)
        {
            foreach (var alt in BothAlternatives)
            {
                if (!tallies.ContainsKey((m, alt)))
                {
                    tallies[(m, alt)] = new Tally();
                }
            }
        }

        for (var sim = from; sim < to; sim++)
        {
            cancel.ThrowIfCancellationRequested();
            Generate(sim, d, b, c);
            foreach (var alt in BothAlternatives)
            {
                // Auto runs first; the method it ran need not run again: its raw p-value and delta are
                // in Auto's comparison, computed with the same weights, resamples and seed.
                (string Method, bool Rejected)? reuse = null;
                foreach (var m in Methods)
                {
                    var (rejected, limited, chosen, raw) = reuse is { } r && r.Method == m ? (r.Rejected, false, null, r.Rejected) : RunOne(m, alt, d, b, c, sim);
                    if (m == "auto" && chosen is not null)
                    {
                        reuse = (chosen, raw);
                    }

                    var t = tallies[(m, alt)];
                    t.Runs++;
                    if (rejected)
                    {
                        t.Rejected++;
                    }

                    if (limited)
                    {
                        t.Limited++;
                    }

                    if (chosen is not null)
                    {
                        t.Chosen[chosen] = t.Chosen.GetValueOrDefault(chosen) + 1;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rejected: for Auto, the gate's own decision - significant in the tested direction with no
    /// limitation (for Greater with MinDelta 0 exactly ALLOW). For a method chosen explicitly, its raw
    /// p-value (p &lt; alpha, and delta &gt; 0 one-sided), whether or not the gate would trust it: that is
    /// the evidence the limits rest on.
    /// </summary>
    private (bool Rejected, bool Limited, string? Chosen, bool RawRejected) RunOne(string method, Alternative alt, double[] d, double[] b, double[] c, int sim)
    {
        var seed = unchecked((long)(_cellSeed * 31 + (ulong)sim));
        if (method == WildClusterBootstrapVariant)
        {
            var weights = WildClusterBootstrap.DefaultWeights(_cell.Clusters, Alpha, alt) == WildWeights.Webb ? WildWeights.Rademacher : WildWeights.Webb;
            var r = WildClusterBootstrap.Test(d, _cluster, _cell.Clusters, Alpha, alt, weights, Resamples, seed, null, CancellationToken.None, bounds: false);
            var raw = r.PValue < Alpha && (alt != Alternative.Greater || r.Delta > 0);
            return (raw, false, null, raw);
        }

        var options = new InferenceOptions
        {
            Alpha = Alpha,
            Method = method == "auto" ? InferenceMethod.Auto : EvalComparer.Parse(method),
            Alternative = alt,
            Resamples = Resamples,
            Seed = seed,
            PValuesOnly = true,
        };
        var paired = new PairedRuns
        {
            Baseline = b,
            Candidate = c,
            Differences = d,
            Cluster = _cell.Clusters > 0 ? _cluster : null,
            ClusterCount = _cell.Clusters,
            ClusterKey = _cell.Clusters > 0 ? "cluster_id" : null,
            DataHasClusters = _cell.Clusters > 0,
            Notes = new List<string>(4),
        };
        var cmp = EvalComparer.Compare(paired, options, null, CancellationToken.None);
        var rawRejected = cmp.PValue < Alpha && (alt != Alternative.Greater || cmp.Delta > 0);
        return method == "auto"
            ? (cmp.Significant, cmp.Limitation is not null, cmp.Method, rawRejected)
            : (rawRejected, cmp.Limitation is not null, null, rawRejected);
    }

    private void Generate(int sim, double[] d, double[] b, double[] c)
    {
        var rng = new Normals(Rng.ForResample(unchecked((long)_cellSeed), 0xC0FFEE, sim));
        var rho = _cell.Icc;
        var g = Math.Max(1, _sizes.Length);
        Span<double> u = g <= 4096 ? stackalloc double[g] : new double[g];
        for (var k = 0; k < g; k++)
        {
            u[k] = _sizes.Length == 0 ? 0 : _cell.Scores == Scores.Skewed ? Math.Sqrt(rho) * (rng.Exponential() - 1) : Math.Sqrt(rho) * rng.Normal();
        }

        var within = Math.Sqrt(1 - rho);
        for (var i = 0; i < _n; i++)
        {
            var ug = _sizes.Length == 0 ? 0 : u[_cluster[i]];
            switch (_cell.Scores)
            {
                case Scores.Continuous:
                    d[i] = TrueDelta + ug + (within * rng.Normal());
                    b[i] = 0.5;
                    c[i] = 0.5 + d[i];
                    break;
                case Scores.Skewed:
                    d[i] = TrueDelta + ug + (within * (rng.Exponential() - 1));
                    b[i] = 0.5;
                    c[i] = 0.5 + d[i];
                    break;
                default:
                    var z = _shift + ug + (within * rng.Normal());
                    (b[i], c[i]) = z > Tau ? (0, 1) : z < -Tau ? (1, 0) : (i & 1) == 0 ? (1, 1) : (0, 0);
                    d[i] = c[i] - b[i];
                    break;
            }
        }
    }

    private double ComputeTrueSe()
    {
        double v, k;
        if (_cell.Scores == Scores.Binary)
        {
            v = Discordance;
            k = BinaryCovariance(_cell.Icc);
        }
        else
        {
            v = 1;
            k = _cell.Icc;
        }

        if (_sizes.Length == 0)
        {
            return Math.Sqrt(v / _n);
        }

        double sum = 0;
        foreach (var m in _sizes)
        {
            sum += (m * v) + (m * (m - 1.0) * k);
        }

        return Math.Sqrt(sum) / _n;
    }

    /// <summary>The ICC of the binary differences d for latent ICC rho (under the null).</summary>
    public static double ObservedIcc(double rho) => BinaryCovariance(rho) / Discordance;

    /// <summary>
    /// Cov(d_i, d_j) for two items of one cluster under the null: 2 (P(z_i, z_j &gt; tau) - P(z_i &gt; tau, z_j &lt; -tau)),
    /// as E_u[...] over the shared u ~ N(0, rho) by Simpson's rule (the items are independent given u).
    /// </summary>
    private static double BinaryCovariance(double rho)
    {
        if (rho <= 0)
        {
            return 0;
        }

        var su = Math.Sqrt(rho);
        var se = Math.Sqrt(1 - rho);
        const int Panels = 4000;
        double lo = -10 * su, h = 20 * su / Panels, sum = 0;
        for (var i = 0; i <= Panels; i++)
        {
            var u = lo + (i * h);
            var density = Math.Exp(-u * u / (2 * rho)) / Math.Sqrt(2 * Math.PI * rho);
            var up = 1 - Normal((Tau - u) / se);
            var down = Normal((-Tau - u) / se);
            var f = density * ((up * up) - (up * down));
            sum += (i == 0 || i == Panels ? 1 : i % 2 == 1 ? 4 : 2) * f;
        }

        return 2 * sum * h / 3;
    }

    /// <summary>The latent shift s with Phi(s - tau) - Phi(-s - tau) = delta (bisection; increasing in s).</summary>
    private static double BinaryShift(double delta)
    {
        double lo = 0, hi = 10;
        for (var i = 0; i < 200; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Normal(mid - Tau) - Normal(-mid - Tau) < delta)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }

    private static double Normal(double x) => MathNet.Numerics.Distributions.Normal.CDF(0, 1, x);

    private static double InverseNormal(double p) => MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, p);

    private static long StableHash(string s)
    {
        // FNV-1a: string.GetHashCode is randomized per process.
        var h = 14695981039346656037UL;
        foreach (var ch in s)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        return unchecked((long)h);
    }

    /// <summary>Normals (Marsaglia's polar method), exponentials and uniforms from the product's xoshiro256**.</summary>
    private struct Normals
    {
        private Rng _rng;
        private double _spare;
        private bool _hasSpare;

        public Normals(Rng rng) => (_rng, _spare, _hasSpare) = (rng, 0, false);

        public double Uniform() => (_rng.Next() >> 11) * (1.0 / (1UL << 53));

        public double Exponential() => -Math.Log(1 - Uniform());

        public double Normal()
        {
            if (_hasSpare)
            {
                _hasSpare = false;
                return _spare;
            }

            double x, y, s;
            do
            {
                x = (2 * Uniform()) - 1;
                y = (2 * Uniform()) - 1;
                s = (x * x) + (y * y);
            }
            while (s >= 1 || s == 0);

            var f = Math.Sqrt(-2 * Math.Log(s) / s);
            _spare = y * f;
            _hasSpare = true;
            return x * f;
        }
    }
}
