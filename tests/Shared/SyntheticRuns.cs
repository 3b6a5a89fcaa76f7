using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace EvalSig.Testing;

/// <summary>
/// Deterministic synthetic RunFrame files for tests and benchmarks: realistic shape (pretty JSON as
/// EVALSIG writes it, clusters, some metadata), any size.
/// </summary>
public static class SyntheticRuns
{
    /// <summary>Writes RunFrame v1 JSON with <paramref name="n"/> items; returns the path.</summary>
    public static string WriteJson(string path, int n, int seed = 1, int clusterSize = 5, bool binary = false, double shift = 0.0, string runId = "synthetic")
    {
        var rng = new Random(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.Write("{\n \"run_id\": \"" + runId + "\",\n \"model_id\": \"model-" + seed.ToString(CultureInfo.InvariantCulture) + "\",\n \"task_id\": \"synthetic-task\",\n \"metric_name\": \"accuracy\",\n \"config_hash\": \"\",\n \"items\": [\n");
        for (var i = 0; i < n; i++)
        {
            var score = binary ? (rng.NextDouble() < 0.6 + shift ? 1.0 : 0.0) : Math.Clamp(0.5 + shift + (0.15 * Gaussian(rng)), 0, 1);
            w.Write("  {\n   \"item_id\": \"q");
            w.Write(i.ToString("D7", CultureInfo.InvariantCulture));
            w.Write("\",\n   \"score\": ");
            w.Write(score.ToString("R", CultureInfo.InvariantCulture));
            w.Write(",\n   \"cluster_id\": ");
            w.Write(clusterSize > 0 ? "\"p" + (i / clusterSize).ToString("D6", CultureInfo.InvariantCulture) + "\"" : "null");
            w.Write(",\n   \"epoch\": 0,\n   \"metadata\": ");
            w.Write(i % 10 == 0 ? "{\"source\": \"gen\", \"len\": " + (i % 97).ToString(CultureInfo.InvariantCulture) + "}" : "{}");
            w.Write(i == n - 1 ? "\n  }\n" : "\n  },\n");
        }

        w.Write(" ]\n}\n");
        return path;
    }

    private static double Gaussian(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
