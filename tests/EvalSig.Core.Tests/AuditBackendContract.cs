using System;
using System.IO;
using System.Linq;
using EvalSig.Core.Audit;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// What every audit backend must do. A cloud backend (Azure Blob, S3, GCS, R2) derives from this
/// class, implements <see cref="Create"/>, and passes every test here unchanged.
/// </summary>
public abstract class AuditBackendContract : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("evalsig-contract-").FullName;

    /// <summary>A new, empty backend; several calls with the same name reach the same store.</summary>
    protected abstract IAuditBackend Create(string name);

    protected string Root => _root;

    public void Dispose()
    {
        Directory.Delete(_root, true);
        GC.SuppressFinalize(this);
    }

    private static AuditAppend Score(double s, string? project = "p") => new("halluccheck.score.v1", project, $"{{\"score\":{s}}}");

    [Fact]
    public void Append_ContinuesTheChain_WithLinksAndContiguousPositions()
    {
        var b = Create("chain");
        var first = b.Append(new[] { Score(0.1), Score(0.2) }, AuditLedgerTests.Key);
        var second = b.Append(new[] { Score(0.3) }, AuditLedgerTests.Key);
        var all = first.Concat(second).ToList();
        Assert.Equal(new long[] { 0, 1, 2 }, all.Select(r => r.ChainPosition));
        Assert.Null(all[0].PrevHmac);
        Assert.Equal(all[0].Hmac, all[1].PrevHmac);
        Assert.Equal(all[1].Hmac, all[2].PrevHmac);
        Assert.Equal(b.Name, all[0].Backend);
    }

    [Fact]
    public void Append_EmptyBatch_WritesNothing()
    {
        var b = Create("empty");
        Assert.Empty(b.Append(Array.Empty<AuditAppend>(), AuditLedgerTests.Key));
        Assert.Equal(0, b.GetStatus().RecordCount);
    }

    [Fact]
    public void Append_IsVisibleToAnotherInstance_OfTheSameStore()
    {
        Create("shared").Append(new[] { Score(0.5) }, AuditLedgerTests.Key);
        var again = Create("shared");
        var r = again.Append(new[] { Score(0.6) }, AuditLedgerTests.Key);
        Assert.Equal(1, r[0].ChainPosition);
        Assert.Equal(2, again.GetStatus().RecordCount);
        Assert.Equal(2, again.GetStatus().ChainLength);
    }

    [Fact]
    public void Query_ReturnsChainOrder_AndFilters()
    {
        var b = Create("query");
        b.Append(new[] { Score(0.1, "a"), Score(0.2, "b"), new AuditAppend("halluccheck.pii.v1", "a", "{\"detected\":false}") }, AuditLedgerTests.Key);
        Assert.Equal(new long[] { 0, 1, 2 }, b.Query(new AuditQuery()).Select(r => r.ChainPosition));
        Assert.Equal(new long[] { 0, 2 }, b.Query(new AuditQuery { ProjectId = "a" }).Select(r => r.ChainPosition));
        Assert.Equal(new long[] { 2 }, b.Query(new AuditQuery { SchemaKey = "halluccheck.pii.v1" }).Select(r => r.ChainPosition));
        Assert.Equal(new long[] { 1 }, b.Query(new AuditQuery { Skip = 1, First = 1 }).Select(r => r.ChainPosition));
        Assert.Empty(b.Query(new AuditQuery { From = DateTimeOffset.UtcNow.AddHours(1) }));
    }

    [Fact]
    public void ReadLines_VerifyAsAWholeChain()
    {
        var b = Create("verify");
        b.Append(Enumerable.Range(0, 50).Select(i => Score(i / 50.0)).ToList(), AuditLedgerTests.Key);
        var v = ChainVerifier.Verify(b.ReadLines(), AuditLedgerTests.Ring, wholeChain: true);
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(50, v.VerifiedCount);
        Assert.Equal(b.GetStatus().HeadHmac, v.HeadHmac);
    }

    [Fact]
    public void Records_RoundTripThroughQuery_Exactly()
    {
        var b = Create("roundtrip");
        var written = b.Append(new[] { new AuditAppend("halluccheck.score.v1", null, "{\"note\":\"ü \\\"x\\\"\",\"score\":1}") }, AuditLedgerTests.Key)[0];
        var read = b.Query(new AuditQuery()).Single();
        Assert.Equal(written.RecordId, read.RecordId);
        Assert.Equal(written.Hmac, read.Hmac);
        Assert.Equal(written.PayloadJson, read.PayloadJson);
        Assert.Equal(written.TimestampText, read.TimestampText);
        Assert.Null(read.ProjectId);
    }
}

public sealed class LocalLedgerContractTests : AuditBackendContract
{
    protected override IAuditBackend Create(string name) => new LocalLedger(Path.Combine(Root, name));
}
