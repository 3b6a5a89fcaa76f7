using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Issue 17, "the run store can be walked out of": each original failure, and what a user sees now.</summary>
public class RunStoreContainmentTests
{
    private static RunFrame Frame(string runId, double shift = 0)
        => RunFrame.Create(runId, "m", "t", "acc", new[] { "a", "b", "c", "d" }, new[] { 0.1 + shift, 0.4, 0.6, 0.9 }, timestamp: new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));

    private static string ManifestPath(string root, string project) => Path.Combine(root, project, EvalRunStore.ManifestFileName);

    private static void EditManifest(string root, string project, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(ManifestPath(root, project)))!.AsObject();
        edit((JsonObject)node["runs"]![0]!);
        File.WriteAllText(ManifestPath(root, project), node.ToJsonString());
    }

    [Theory]
    [InlineData("../../outside.parquet")]
    [InlineData("/etc/passwd")]
    [InlineData("year=2026/../../../outside.parquet")]
    public void AManifestPathOutsideTheStore_IsRunStoreCorrupt_AndAForcedSaveRenamesNothingOutside(string path)
    {
        using var s = new Scratch();
        var root = s.File("store");
        var store = new EvalRunStore(root);
        store.Save("p", Frame("r1"), false);
        var outside = s.Write("outside.parquet", "not yours");
        EditManifest(root, "p", r => r["path"] = path);

        var ex = Assert.Throws<EvalSigException>(() => store.Save("p", Frame("r1", 0.2), force: true));
        Assert.Equal(EvalSigError.RunStoreCorrupt, ex.Error);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(outside));
        Assert.Equal(new[] { "outside.parquet" }, Directory.GetFiles(s.Path).Select(Path.GetFileName).Where(n => n!.StartsWith("outside", StringComparison.Ordinal)));
        Assert.Equal(EvalSigError.RunStoreCorrupt, Assert.Throws<EvalSigException>(() => store.History("p")).Error);
        Assert.Equal(EvalSigError.RunStoreCorrupt, Assert.Throws<EvalSigException>(() => store.Load("p", "r1")).Error);
    }

    [Fact]
    public void APathThroughASymbolicLink_IsRunStoreCorrupt()
    {
        using var s = new Scratch();
        var root = s.File("store");
        var store = new EvalRunStore(root);
        store.Save("p", Frame("r1"), false);
        var elsewhere = Directory.CreateDirectory(s.File("elsewhere")).FullName;
        Directory.CreateDirectory(Path.Combine(elsewhere, "month=05"));
        Directory.Move(Path.Combine(root, "p", "year=2026"), s.File("moved"));
        Directory.CreateSymbolicLink(Path.Combine(root, "p", "year=2026"), elsewhere);
        var ex = Assert.Throws<EvalSigException>(() => store.History("p"));
        Assert.Equal(EvalSigError.RunStoreCorrupt, ex.Error);
        Assert.Contains("symbolic link", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithTheManifestLost_ADifferentRunUnderTheSameId_NeverOverwritesTheStoredParquet()
    {
        using var s = new Scratch();
        var root = s.File("store");
        var store = new EvalRunStore(root);
        var saved = store.Save("p", Frame("r1"), false).Run;
        var original = File.ReadAllBytes(saved.Path);
        File.Delete(ManifestPath(root, "p"));

        var ex = Assert.Throws<EvalSigException>(() => store.Save("p", Frame("r1", 0.3), false));
        Assert.Equal(EvalSigError.RunAlreadyExists, ex.Error); // before: silently overwritten
        Assert.Equal(original, File.ReadAllBytes(saved.Path));
        Assert.True(File.Exists(ManifestPath(root, "p")), "the manifest is rebuilt from the files");
        var rebuilt = store.History("p").Single();
        Assert.Equal(saved.ContentSha256, rebuilt.ContentSha256);
        Assert.Equal(saved.Path, rebuilt.Path);

        Assert.Equal(SaveOutcome.Unchanged, store.Save("p", Frame("r1"), false).Outcome);
        var forced = store.Save("p", Frame("r1", 0.3), true);
        Assert.Equal(2, forced.Run.Version);
        Assert.Equal(original, File.ReadAllBytes(saved.Path + ".v1.superseded"));
    }

    [Fact]
    public void AParquetTheManifestDoesNotList_IsNeverOverwrittenEither()
    {
        using var s = new Scratch();
        var root = s.File("store");
        var store = new EvalRunStore(root);
        store.Save("p", Frame("r0"), false);
        var stray = Path.Combine(root, "p", "year=2026", "month=05", "run_id=r1.parquet");
        RunFrameFile.Write(Frame("r1", 0.5), stray, RunFrameFormat.Parquet);
        var bytes = File.ReadAllBytes(stray);
        Assert.Equal(EvalSigError.RunAlreadyExists, Assert.Throws<EvalSigException>(() => store.Save("p", Frame("r1"), false)).Error);
        Assert.Equal(bytes, File.ReadAllBytes(stray));
        Assert.Contains(store.History("p"), r => r.RunId == "r1");
    }

    [Fact]
    public void Loading_ChecksContentSha256_ByIdAndByPath()
    {
        using var s = new Scratch();
        var root = s.File("store");
        var store = new EvalRunStore(root);
        var saved = store.Save("p", Frame("r1"), false).Run;
        Assert.Equal(4, EvalRunStore.ReadFile(saved.Path).Count);

        // Replace the stored file with other content, as a valid Parquet file.
        var other = Frame("r1", 0.25);
        RunFrameFile.Write(other.WithHeader(other.Header with { ProjectId = "p" }), saved.Path, RunFrameFormat.Parquet);
        var ex = Assert.Throws<EvalSigException>(() => store.Load("p", "r1"));
        Assert.Equal(EvalSigError.RunStoreCorrupt, ex.Error); // before: loaded as if nothing happened
        Assert.Contains(saved.ContentSha256, ex.Message, StringComparison.Ordinal);
        Assert.Equal(EvalSigError.RunStoreCorrupt, Assert.Throws<EvalSigException>(() => EvalRunStore.ReadFile(saved.Path)).Error);
        Assert.Equal(EvalSigError.RunStoreCorrupt, Assert.Throws<EvalSigException>(() => EvalRunStore.ReadFile(saved.Path, saved.ContentSha256)).Error);
    }

    [Theory]
    [InlineData("path")]
    [InlineData("run_id")]
    [InlineData("n_items")]
    public void AManifestEntryMissingAField_IsRunStoreCorrupt_NotACrash(string field)
    {
        using var s = new Scratch();
        var root = s.File("store");
        var store = new EvalRunStore(root);
        store.Save("p", Frame("r1"), false);
        EditManifest(root, "p", r => r.Remove(field));
        var ex = Assert.Throws<EvalSigException>(() => store.History("p"));
        Assert.Equal(EvalSigError.RunStoreCorrupt, ex.Error); // before: NullReferenceException, exit 70
        Assert.Equal(EvalSigErrorKind.InvalidData, ex.Kind);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{\"runs\":{}}")]
    [InlineData("{\"runs\":[42]}")]
    [InlineData("{\"runs\":[{\"run_id\":\"r1\",\"path\":\"x.parquet\",\"n_items\":\"four\"}]}")]
    public void AMalformedManifest_IsRunStoreCorrupt(string manifest)
    {
        using var s = new Scratch();
        var root = s.File("store");
        new EvalRunStore(root).Save("p", Frame("r1"), false);
        File.WriteAllText(ManifestPath(root, "p"), manifest);
        Assert.Equal(EvalSigError.RunStoreCorrupt, Assert.Throws<EvalSigException>(() => new EvalRunStore(root).History("p")).Error);
        Assert.Equal(EvalSigError.RunStoreCorrupt, Assert.Throws<EvalSigException>(() => new EvalRunStore(root).Save("p", Frame("r2"), false)).Error);
    }

    [Theory]
    [InlineData("legit\n")]
    [InlineData("legit\r\n")]
    [InlineData("a\nb")]
    public void IdentifiersWithAFinalNewline_AreInvalid_BecauseThePatternIsAnchoredWithZ(string id)
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        Assert.Equal(EvalSigError.InvalidIdentifier, Assert.Throws<EvalSigException>(() => store.Save("p", RunFrame.Create(id, "m", "t", "acc", new[] { "x" }, new[] { 1.0 }), false)).Error);
        Assert.Equal(EvalSigError.InvalidIdentifier, Assert.Throws<EvalSigException>(() => store.Save(id, Frame("ok"), false)).Error);
        Assert.False(StoreIdentifier.IsValid(id));
        Assert.Equal(EvalSigError.AuditSchemaInvalid, Assert.Throws<EvalSigException>(() => Audit.AuditSchemaRegistry.Register(s.Path, "acme.x.v1\n", Array.Empty<Audit.PayloadField>(), null)).Error);
    }
}
