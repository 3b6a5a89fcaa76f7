using System;
using System.IO;
using System.Linq;
using EvalSig.Core.RunFrames;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace EvalSig.Core.Tests;

public class RunFrameRoundTripTests
{
    private static readonly RunFrameFormat[] Formats = { RunFrameFormat.Json, RunFrameFormat.Jsonl, RunFrameFormat.Csv, RunFrameFormat.Parquet };

    [FsCheck.Xunit.Property(MaxTest = 40)]
    public bool AnyFrame_RoundTripsExactly_ThroughEveryFormat(NonEmptyArray<double> rawScores, int seed)
    {
        var scores = rawScores.Get.Where(double.IsFinite).ToArray();
        if (scores.Length == 0)
        {
            return true;
        }

        var rng = new Random(seed);
        var ids = scores.Select((_, i) => "id-" + i + (rng.Next(4) == 0 ? ",\"\n ü" : string.Empty)).ToArray();
        var clusters = scores.Select(_ => rng.Next(3) switch { 0 => null, 1 => string.Empty, _ => "c" + rng.Next(5) }).ToArray();
        var epochs = scores.Select(_ => rng.Next(3)).ToArray();
        var meta = scores.Select(_ => rng.Next(3) == 0 ? "{\"k\":\"v" + rng.Next(9) + "\",\"n\":[1,2.5]}" : null).ToArray();
        var frame = RunFrame.Create("run", "model", "task", "metric", ids, scores, clusters, epochs, meta, configHash: "h", projectId: "p", timestamp: new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1230));

        using var s = new Scratch();
        foreach (var format in Formats)
        {
            var path = s.File("f." + format.ToString().ToLowerInvariant());
            RunFrameFile.Write(frame, path, format);
            var back = RunFrameFile.Read(path);
            if (!Same(frame, back))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Write_FailingMidway_LeavesNoFileAndNoTemp()
    {
        using var s = new Scratch();
        var frame = RunFrame.Create("r", "m", "t", "acc", new[] { "a" }, new[] { 1.0 });
        var path = s.File("out.json");
        File.WriteAllText(path, "old");
        Assert.ThrowsAny<Exception>(() => EvalSig.Core.Files.AtomicFile.Write(path, _ => throw new IOException("disk full"), noClobber: false));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(s.Path));
    }

    private static bool Same(RunFrame a, RunFrame b) =>
        a.RunId == b.RunId && a.ModelId == b.ModelId && a.TaskId == b.TaskId && a.MetricName == b.MetricName
        && a.ConfigHash == b.ConfigHash && a.ProjectId == b.ProjectId && a.Timestamp == b.Timestamp
        && a.Scores.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(b.Scores.Select(BitConverter.DoubleToInt64Bits))
        && a.ItemIds.SequenceEqual(b.ItemIds) && a.ClusterIds.SequenceEqual(b.ClusterIds)
        && a.ItemEpochs.SequenceEqual(b.ItemEpochs) && a.MetadataJson.SequenceEqual(b.MetadataJson);
}
