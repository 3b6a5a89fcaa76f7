using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Testing;
using Xunit;
using Xunit.Abstractions;

namespace EvalSig.Core.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of every reader (issue 15, "readers that never throw"): each mutant of a valid
/// seed file is either read or refused with an EvalSig error that names the input; any other
/// exception fails the test with the seed and mutant index that reproduce it.
/// <para>
/// Scale and reproduce with environment variables: <c>EVALSIG_FUZZ_MUTANTS</c> (mutants per format,
/// default 2,000; the long run uses 100,000), <c>EVALSIG_FUZZ_SEED</c> (default 15),
/// <c>EVALSIG_FUZZ_MUTANT</c> (run only that index). A failing mutant is also written to
/// <c>$TMPDIR/evalsig-fuzz/</c>. See docs/concepts/hostile-input.md.
/// </para>
/// </summary>
public class ReaderFuzzTests
{
    private static readonly string PopularityJson = HarnessData.Path("inspect", "2025-05-12T20-28-13-04-00_popularity.json");
    private static readonly string LmEvalFolder = HarnessData.Path("lm-eval", "negotiationtom-qwen3-8b");
    private static readonly string HelmFolder = HarnessData.Path("helm", "bbq_google_gemini-1.5-pro-001");

    private readonly ITestOutputHelper _out;

    public ReaderFuzzTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string> Formats => new() { "json", "jsonl", "csv", "parquet", "lm-eval", "inspect-json", "inspect-eval", "helm" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Reader_OnMutatedInput_ReadsOrRefusesWithAnEvalSigError(string format)
    {
        var count = Env("EVALSIG_FUZZ_MUTANTS", 2000);
        var seed = Env("EVALSIG_FUZZ_SEED", 15);
        var only = Environment.GetEnvironmentVariable("EVALSIG_FUZZ_MUTANT") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : (int?)null;
        using var scratch = new Scratch();
        var target = Target.Create(format, scratch);

        // The seed itself must read, or the mutants test nothing but the first refusal.
        target.Read(target.Seed, -1);

        // EVALSIG_FUZZ_TRACE=1 writes each index before it runs, so a mutant that hangs a reader can be named.
        var trace = Environment.GetEnvironmentVariable("EVALSIG_FUZZ_TRACE") == "1"
            ? Path.Combine(Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "evalsig-fuzz")).FullName, "current-" + format)
            : null;
        var failures = new Dictionary<string, (int Index, string Detail)>(StringComparer.Ordinal);
        int total = 0, read = 0, refused = 0, failed = 0, caughtLast = 0;
        foreach (var i in only is { } o ? [o] : Enumerable.Range(0, count))
        {
            total++;
            var rng = Mutator.For(seed, format, i);
            var mutant = target.Mutate(target.Seed, rng);
            if (trace is not null)
            {
                File.WriteAllText(trace, i.ToString(CultureInfo.InvariantCulture));
                File.WriteAllBytes(trace + ".bin", mutant);
            }

            try
            {
                target.Read(mutant, i);
                read++;
            }
            catch (EvalSigException ex) when (ex.Error is EvalSigError.RunFrameInvalid or EvalSigError.RunFrameUnsupported or EvalSigError.RunFrameFormatUnknown)
            {
                refused++;
                if (ex.Message.Contains("the reader met an inconsistency", StringComparison.Ordinal))
                {
                    caughtLast++; // refused by the last line of defence (ReaderFailure), not by a reader's own check
                }

                if (!ex.Message.Contains(target.NameOf(i), StringComparison.Ordinal))
                {
                    failed++;
                    Record(failures, format, seed, i, mutant, "message does not name the input", ex);
                }
            }
            catch (Exception ex)
            {
                failed++;
                Record(failures, format, seed, i, mutant, ex.GetType().FullName!, ex);
            }
        }

        _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{format}: seed {seed}, {total} mutants run, {read} read, {refused} refused with an EvalSig error ({caughtLast} of them by the catch-all), {failed} failed ({failures.Count} kinds)"));
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failures.Select(f => f.Key + Environment.NewLine + f.Value.Detail)));
    }

    private void Record(Dictionary<string, (int Index, string Detail)> failures, string format, int seed, int index, byte[] mutant, string kind, Exception ex)
    {
        var site = ex.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? string.Empty;
        var key = kind + " " + site;
        if (failures.ContainsKey(key))
        {
            return;
        }

        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "evalsig-fuzz")).FullName;
        var file = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{format}-seed{seed}-mutant{index}.bin"));
        File.WriteAllBytes(file, mutant);
        var detail = string.Create(CultureInfo.InvariantCulture, $"  format {format}, EVALSIG_FUZZ_SEED={seed} EVALSIG_FUZZ_MUTANT={index} (mutant written to {file}){Environment.NewLine}  {ex}");
        failures[key] = (index, detail);
        _out.WriteLine(key + Environment.NewLine + detail);
    }

    private static int Env(string name, int fallback)
        => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A seed, how to mutate it and how to read a mutant the way a user's file is read.</summary>
    private sealed class Target
    {
        private Func<byte[], int, RunFrame> _read = null!;

        public byte[] Seed { get; private init; } = [];

        public Func<byte[], Random, byte[]> Mutate { get; private init; } = Mutator.MutateText;

        public Func<int, string> NameOf { get; private init; } = _ => "mutant";

        public RunFrame Read(byte[] data, int index) => _read(data, index);

        public static Target Create(string format, Scratch scratch)
        {
            var frame = RunFrameFile.Read(SyntheticRuns.WriteJson(scratch.File("seed.json"), 40, seed: 3, clusterSize: 4));
            byte[] Written(RunFrameFormat f)
            {
                using var ms = new MemoryStream();
                RunFrameFile.WriteTo(frame, ms, f);
                return ms.ToArray();
            }

            RunFrame FromStream(byte[] data, string name)
            {
                using var ms = new MemoryStream(data, writable: false);
                return RunFrameFile.Read(ms, name);
            }

            switch (format)
            {
                case "json":
                case "jsonl":
                case "csv":
                case "parquet":
                    {
                        var f = Enum.Parse<RunFrameFormat>(format, ignoreCase: true);
                        var target = new Target
                        {
                            Seed = Written(f),
                            Mutate = f == RunFrameFormat.Parquet ? Mutator.MutateParquet : Mutator.MutateText,
                            NameOf = i => string.Create(CultureInfo.InvariantCulture, $"mutant-{i}.{format}"),
                        };

                        // Half through a stream (standard input), half through a file path.
                        target._read = (data, i) =>
                        {
                            var name = target.NameOf(i);
                            if ((i & 1) == 0)
                            {
                                return FromStream(data, name);
                            }

                            var path = scratch.File(name);
                            File.WriteAllBytes(path, data);
                            try
                            {
                                return RunFrameFile.Read(path);
                            }
                            finally
                            {
                                File.Delete(path);
                            }
                        };
                        return target;
                    }

                case "lm-eval":
                    {
                        var folder = Directory.CreateDirectory(scratch.File("lm-eval")).FullName;
                        var results = Path.Combine(LmEvalFolder, "results_2026-07-08T16-04-34.219874.json");
                        var samples = Path.Combine(LmEvalFolder, "samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl");
                        var resultsBytes = File.ReadAllBytes(results);
                        var target = new Target { Seed = File.ReadAllBytes(samples), NameOf = _ => Path.GetFileName(samples) };
                        target._read = (data, i) =>
                        {
                            // One mutant in four damages the sibling results file instead of the samples.
                            var damageResults = i >= 0 && i % 4 == 3;
                            File.WriteAllBytes(Path.Combine(folder, Path.GetFileName(results)), damageResults ? Mutator.MutateText(resultsBytes, Mutator.For(i, "results", i)) : resultsBytes);
                            var path = Path.Combine(folder, Path.GetFileName(samples));
                            File.WriteAllBytes(path, damageResults ? target.Seed : data);
                            return RunFrameFile.Read(path);
                        };
                        return target;
                    }

                case "inspect-json":
                    return new Target
                    {
                        Seed = File.ReadAllBytes(PopularityJson),
                        NameOf = i => string.Create(CultureInfo.InvariantCulture, $"inspect-{i}.json"),
                        _read = (data, i) => FromStream(data, string.Create(CultureInfo.InvariantCulture, $"inspect-{i}.json")),
                    };

                case "inspect-eval":
                    return new Target
                    {
                        Seed = InspectEvalLog.FromJson(File.ReadAllText(PopularityJson)),
                        Mutate = MutateZip,
                        NameOf = i => string.Create(CultureInfo.InvariantCulture, $"inspect-{i}.eval"),
                        _read = (data, i) => FromStream(data, string.Create(CultureInfo.InvariantCulture, $"inspect-{i}.eval")),
                    };

                case "helm":
                    {
                        var folder = Directory.CreateDirectory(scratch.File("helm-run")).FullName;
                        var files = Directory.GetFiles(HelmFolder).OrderBy(f => f, StringComparer.Ordinal).ToArray();
                        var originals = files.Select(File.ReadAllBytes).ToArray();

                        // The seed is the first file; which file a mutant damages is chosen from its own stream.
                        var target = new Target { Seed = originals[0], NameOf = _ => folder };
                        target._read = (data, i) =>
                        {
                            var which = i < 0 ? -1 : Mutator.For(i, "helm-file", i).Next(files.Length);
                            for (var k = 0; k < files.Length; k++)
                            {
                                var bytes = k != which ? originals[k] : k == 0 ? data : Mutator.MutateText(originals[k], Mutator.For(i, "helm", i));
                                File.WriteAllBytes(Path.Combine(folder, Path.GetFileName(files[k])), bytes);
                            }

                            return RunFrameFile.Read(folder, new RunFrameReadOptions { Metric = "exact_match" });
                        };
                        return target;
                    }

                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, "no such format");
            }
        }

        /// <summary>Half the mutants damage the zip container's bytes, half one entry's JSON inside a sound container.</summary>
        private static byte[] MutateZip(byte[] zip, Random rng)
        {
            if (rng.Next(2) == 0)
            {
                return Mutator.MutateParquet(zip, rng) is var m && rng.Next(2) == 0 ? m : Mutator.Blind(zip, rng);
            }

            var entries = new List<(string Name, byte[] Data)>();
            using (var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read))
            {
                foreach (var e in archive.Entries)
                {
                    using var s = e.Open();
                    using var ms = new MemoryStream();
                    s.CopyTo(ms);
                    entries.Add((e.FullName, ms.ToArray()));
                }
            }

            var victim = rng.Next(entries.Count);
            entries[victim] = (entries[victim].Name, Mutator.MutateText(entries[victim].Data, rng));
            if (rng.Next(8) == 0)
            {
                entries.RemoveAt(rng.Next(entries.Count));
            }

            using var output = new MemoryStream();
            using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var (name, data) in entries)
                {
                    using var s = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                    s.Write(data);
                }
            }

            return output.ToArray();
        }
    }
}
