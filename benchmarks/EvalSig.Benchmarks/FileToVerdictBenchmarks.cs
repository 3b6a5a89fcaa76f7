using System;
using System.IO;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using EvalSig.Testing;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 16 part 1: from two files to a verdict, against the floor of merely tokenizing both files
/// with <see cref="Utf8JsonReader"/> (the target is a gate within 2x the floor). Set the size with
/// <c>EVALSIG_BENCH_ITEMS</c> (default 1,000,000). The whole-process figures (wall and peak RSS of
/// <c>evalsig gate</c>) come from <c>-- write-runs</c> and /usr/bin/time -v: see benchmarks/README.md.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CliRuntimeSettings))]
public class FileToVerdictBenchmarks
{
    /// <summary>
    /// One job with the runtime settings the evalsig CLI ships in its runtimeconfig.json (TieredPGO off, non-concurrent
    /// GC, GCConserveMemory 5), so the gate and its floors run as a user's gate does: launch 1, warm-up 1, 5 iterations.
    /// </summary>
    public sealed class CliRuntimeSettings : ManualConfig
    {
        public CliRuntimeSettings()
            => AddJob(Job.Default
                .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5)
                .WithGcConcurrent(false)
                .WithEnvironmentVariables(
                    new EnvironmentVariable("DOTNET_TieredPGO", "0"),
                    new EnvironmentVariable("DOTNET_GCConserveMemory", "5"))
                .WithId("CliSettings"));
    }

    private string _dir = string.Empty;
    private string _base = string.Empty;
    private string _cand = string.Empty;
    private string _baseJson = string.Empty;
    private string _candJson = string.Empty;

    /// <summary>All four formats, or those named in <c>EVALSIG_BENCH_FORMATS</c> (e.g. <c>Json,Jsonl</c>).</summary>
    public static RunFrameFormat[] Formats => Environment.GetEnvironmentVariable("EVALSIG_BENCH_FORMATS") is { Length: > 0 } f
        ? Array.ConvertAll(f.Split(','), x => Enum.Parse<RunFrameFormat>(x.Trim(), ignoreCase: true))
        : [RunFrameFormat.Json, RunFrameFormat.Jsonl, RunFrameFormat.Csv, RunFrameFormat.Parquet];

    [ParamsSource(nameof(Formats))]
    public RunFrameFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var n = Environment.GetEnvironmentVariable("EVALSIG_BENCH_ITEMS") is { Length: > 0 } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        _dir = Directory.CreateTempSubdirectory("evalsig-f2v-").FullName;
        (_base, _cand) = RunFiles.Write(_dir, n, Format, keepSource: true);
        (_baseJson, _candJson) = (Path.Combine(_dir, "base-src.json"), Path.Combine(_dir, "cand-src.json"));
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    /// <summary>
    /// The floor: every token of both files read by Utf8JsonReader, nothing kept. CSV and Parquet have no JSON tokens:
    /// their floor is the same items' RunFrame JSON (as in the whole-process figures).
    /// </summary>
    [Benchmark(Baseline = true)]
    public long TokenizeBothFiles()
        => Tokenize(Tokenized(_base)) + Tokenize(Tokenized(_cand));

    private string Tokenized(string path) => Format is RunFrameFormat.Json or RunFrameFormat.Jsonl ? path : path == _base ? _baseJson : _candJson;

    /// <summary>The same floor with the two files tokenized at once on two threads, as the gate reads them.</summary>
    [Benchmark]
    public long TokenizeBothFilesInParallel()
    {
        var other = System.Threading.Tasks.Task.Run(() => Tokenize(Tokenized(_cand)));
        return Tokenize(Tokenized(_base)) + other.GetAwaiter().GetResult();
    }

    /// <summary>The floor without a file-sized array: each file through one 1 MB buffer, tokenized as it comes.</summary>
    [Benchmark]
    public long TokenizeBothFilesStreaming()
        => StreamOrRead(_base) + StreamOrRead(_cand);

    /// <summary>The streaming floor on two threads, as the gate reads: the strictest floor.</summary>
    [Benchmark]
    public long TokenizeBothFilesStreamingInParallel()
    {
        var other = System.Threading.Tasks.Task.Run(() => StreamOrRead(_cand));
        return StreamOrRead(_base) + other.GetAwaiter().GetResult();
    }

    private long StreamOrRead(string path) => TokenizeStreaming(Tokenized(path));

    [Benchmark]
    public int ReadBothFiles() => RunFrameFile.Read(_base).Count + RunFrameFile.Read(_cand).Count;

    /// <summary>The gate as the CLI runs it: both files read at once on two threads (set beside the two-thread floors).</summary>
    [Benchmark]
    public GateVerdict GatePairedTReadingInParallel()
    {
        var candidate = System.Threading.Tasks.Task.Run(() => RunFrameFile.Read(_cand));
        var baseline = RunFrameFile.Read(_base);
        return EvalGate.Decide(baseline, candidate.GetAwaiter().GetResult(), new GateOptions { MinDelta = 0.005, Inference = new InferenceOptions { Method = InferenceMethod.PairedT, Alternative = Alternative.Greater } }).Verdict;
    }

    [Benchmark]
    public GateVerdict GatePairedT()
        => EvalGate.Decide(RunFrameFile.Read(_base), RunFrameFile.Read(_cand), new GateOptions { MinDelta = 0.005, Inference = new InferenceOptions { Method = InferenceMethod.PairedT, Alternative = Alternative.Greater } }).Verdict;

    /// <summary>
    /// <c>tokenize &lt;file&gt;... [--parallel]</c>: the floor as a whole process (start-up included), to set beside
    /// <c>evalsig gate</c> under /usr/bin/time: every token of each file through Utf8JsonReader, nothing kept.
    /// </summary>
    public static int TokenizeCommand(string[] args)
    {
        var files = Array.FindAll(args, a => a is not "--parallel" and not "--stream");
        Func<string, long> tokenize = Array.IndexOf(args, "--stream") >= 0 ? TokenizeStreaming : Tokenize;
        long tokens = 0;
        if (Array.IndexOf(args, "--parallel") >= 0)
        {
            var counts = new long[files.Length];
            System.Threading.Tasks.Parallel.For(0, files.Length, i => counts[i] = tokenize(files[i]));
            foreach (var c in counts)
            {
                tokens += c;
            }
        }
        else
        {
            foreach (var f in files)
            {
                tokens += tokenize(f);
            }
        }

        Console.WriteLine(tokens.ToString(System.Globalization.CultureInfo.InvariantCulture) + " tokens");
        return 0;
    }

    private static long Tokenize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        long tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    /// <summary>
    /// The floor without holding the file: read through one 1 MB buffer (as the RunFrame readers do) and
    /// tokenized as it comes, so it pays no page faults for a file-sized array (<c>tokenize --stream</c>).
    /// </summary>
    private static long TokenizeStreaming(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        var filled = 0;
        var state = new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = true });
        long tokens = 0;
        while (true)
        {
            var n = f.Read(buffer, filled, buffer.Length - filled);
            filled += n;
            var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), isFinalBlock: n == 0, state);
            while (reader.Read())
            {
                tokens++;
            }

            if (n == 0)
            {
                return tokens;
            }

            state = reader.CurrentState;
            var consumed = (int)reader.BytesConsumed;
            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }
    }
}

/// <summary>Baseline and candidate files of one format for the file-to-verdict benchmarks.</summary>
internal static class RunFiles
{
    /// <param name="keepSource">Keep the same items' RunFrame JSON (base-src.json, cand-src.json) beside CSV and Parquet files: their floor.</param>
    public static (string Baseline, string Candidate) Write(string dir, int n, RunFrameFormat format, bool keepSource = false)
    {
        var ext = format.ToString().ToLowerInvariant();
        var b = SyntheticRuns.WriteJson(Path.Combine(dir, "base-src.json"), n, seed: 1, clusterSize: 5, runId: "base");
        var c = SyntheticRuns.WriteJson(Path.Combine(dir, "cand-src.json"), n, seed: 2, clusterSize: 5, shift: 0.01, runId: "cand");
        if (format == RunFrameFormat.Json)
        {
            return (b, c);
        }

        var bo = Path.Combine(dir, "base." + ext);
        var co = Path.Combine(dir, "cand." + ext);
        RunFrameFile.Write(RunFrameFile.Read(b), bo, format);
        RunFrameFile.Write(RunFrameFile.Read(c), co, format);
        if (!keepSource)
        {
            File.Delete(b);
            File.Delete(c);
        }

        return (bo, co);
    }

    /// <summary><c>write-runs &lt;dir&gt; &lt;items&gt; [json|jsonl|csv|parquet]...</c>: the files the whole-process benchmark gates.</summary>
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: write-runs <dir> <items> [json|jsonl|csv|parquet]...");
            return 64;
        }

        var n = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var formats = args.Length > 2 ? args[2..] : ["json", "jsonl", "csv", "parquet"];
        foreach (var f in formats)
        {
            var dir = Directory.CreateDirectory(Path.Combine(args[0], f)).FullName;
            var (b, c) = Write(dir, n, Enum.Parse<RunFrameFormat>(f, ignoreCase: true));
            Console.WriteLine($"{b} {new FileInfo(b).Length / 1e6:F1} MB, {c}");
        }

        return 0;
    }
}
