using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// The public-key audit behind <see cref="TransparencyLog.Audit"/>. Heads are checked first: an
/// unsigned head proves nothing, so nothing else is checked against it. The ledger, when given,
/// is hashed from ledger.jsonl itself (its tree store is used only for proofs, which are then
/// verified against the signed roots, so a damaged or forged store can fail a check but never pass one).
/// </summary>
internal sealed class Auditor
{
    private const int MaxListedProblems = 100;

    private readonly TransparencyAudit _request;
    private readonly IProgress<long>? _progress;
    private readonly CancellationToken _cancel;
    private readonly List<string> _problems = new();
    private readonly List<LogFinding> _findings = new();
    private readonly List<string> _notes = new();
    private long _unlistedProblems;
    private long _included;
    private long _notIncluded;

    public Auditor(TransparencyAudit request, IProgress<long>? progress, CancellationToken cancel)
        => (_request, _progress, _cancel) = (request, progress, cancel);

    public LogVerification Run()
    {
        var key = _request.Key ?? throw new ArgumentException("a verifier key is required", nameof(_request));
        var heads = _request.Heads.ToList();
        (SignedTreeHead Head, IEnumerable<ProvenRecord> Records)? export = _request.ProofExportPath is { } path ? ProofExport.Read(path) : null;
        if (export is { } e && heads.Count == 0)
        {
            heads.Add(e.Head);
        }

        if (heads.Count == 0)
        {
            throw new EvalSigException(EvalSigError.AuditTreeHeadInvalid, EvalSigErrorKind.InvalidArgument, "Give at least one signed tree head (-Checkpoint), or an export written with -WithProofs (-Path).");
        }

        // 1. Signatures: only heads the key signed are evidence of anything.
        var verified = 0;
        for (var i = 0; i < heads.Count; i++)
        {
            if (heads[i].CheckSignature(key) is { } why)
            {
                Fail(LogFinding.SignatureInvalid, string.Create(CultureInfo.InvariantCulture, $"head {i + 1} ({heads[i].TreeSize} records): {why}"));
            }
            else
            {
                verified++;
            }
        }

        if (export is { } ex && !heads.Contains(ex.Head) && ex.Head.CheckSignature(key) is { } exWhy)
        {
            Fail(LogFinding.SignatureInvalid, "the export's head: " + exWhy);
        }

        var newest = heads[^1];
        if (_findings.Count > 0)
        {
            return Result(key, newest, verified, null, null);
        }

        // 2. The ledger, hashed from its lines, against every head.
        long? ledgerCount = null;
        var matches = new Dictionary<long, bool?>();
        if (_request.Ledger is { } ledger)
        {
            var (count, roots) = LedgerRoots(ledger, heads.Select(h => h.TreeSize).ToHashSet());
            ledgerCount = count;
            foreach (var h in heads.DistinctBy(h => (h.TreeSize, h.RootHash)))
            {
                if (count < h.TreeSize)
                {
                    matches[h.TreeSize] = null;
                    Fail(LogFinding.Truncated, string.Create(CultureInfo.InvariantCulture, $"the ledger holds {count} records but a signed head covers {h.TreeSize}: records {count}..{h.TreeSize - 1} were removed (truncated)"));
                }
                else if (!roots[h.TreeSize].AsSpan().SequenceEqual(h.Root))
                {
                    matches[h.TreeSize] = false;
                    Fail(LogFinding.Rewritten, string.Create(CultureInfo.InvariantCulture, $"the ledger's first {h.TreeSize} records no longer hash to the signed head's root: a record before position {h.TreeSize} was changed, removed, inserted or reordered (rewritten)"));
                }
                else
                {
                    matches.TryAdd(h.TreeSize, true);
                }
            }
        }

        // 3. Each head extends the one before it.
        bool? consistent = heads.Count > 1 ? true : null;
        using var store = _request.Ledger is { } l ? TryOpenStore(l) : null;
        for (var i = 1; i < heads.Count; i++)
        {
            var pair = CheckPair(heads[i - 1], heads[i], matches, store);
            consistent = pair switch
            {
                false => false,
                null when consistent == true => null,
                _ => consistent,
            };
        }

        if (consistent is null && heads.Count > 1)
        {
            Problem("consistency between the heads could not be checked: give the ledger (-Ledger) or a consistency proof (-ConsistencyProof)");
        }

        // 4. Given records, proven against the newest head from the ledger's tree.
        foreach (var r in _request.Records)
        {
            _cancel.ThrowIfCancellationRequested();
            ProveRecord(r, newest, store);
        }

        // 5. A proof export: every record against its own (signed) head.
        if (export is { } x)
        {
            if (_request.Heads.Count > 0 && !_request.Heads.Any(h => h.SameHead(x.Head)))
            {
                Problem(string.Create(CultureInfo.InvariantCulture, $"the export is proven against a head of {x.Head.TreeSize} records that is not one of the heads given; verify it alone, or give that head"));
            }

            foreach (var rec in x.Records)
            {
                _cancel.ThrowIfCancellationRequested();
                CheckProven(rec, x.Head);
            }
        }

        if (_request.Ledger is null && _request.Records.Count == 0 && export is null)
        {
            _notes.Add("no ledger given: the heads were checked, not the records they cover");
        }

        if (heads.Count == 1 && export is null)
        {
            _notes.Add("one head: truncation or rewrite of the records it covers is checked against the ledger, but not what happened before it (give an older head too)");
        }

        return Result(key, newest, verified, consistent, ledgerCount);
    }

    /// <summary>True when b provably extends a; false when it provably does not; null when it could not be checked.</summary>
    private bool? CheckPair(SignedTreeHead a, SignedTreeHead b, Dictionary<long, bool?> matches, MerkleTreeStore? store)
    {
        if (b.TreeSize < a.TreeSize)
        {
            Fail(LogFinding.Truncated, string.Create(CultureInfo.InvariantCulture, $"a head of {b.TreeSize} records follows one of {a.TreeSize}: the log shrank (truncated), or the heads are out of order (give the older first)"));
            return false;
        }

        if (b.TreeSize == a.TreeSize)
        {
            if (a.SameHead(b))
            {
                return true;
            }

            Fail(LogFinding.Forked, string.Create(CultureInfo.InvariantCulture, $"two signed heads of {a.TreeSize} records have different roots: the log signed two histories (forked)"));
            return false;
        }

        var ma = matches.GetValueOrDefault(a.TreeSize);
        var mb = matches.GetValueOrDefault(b.TreeSize);
        var supplied = _request.ConsistencyProofs.FirstOrDefault(p => p.FromSize == a.TreeSize && p.ToSize == b.TreeSize);
        var proof = supplied ?? StoreProof(store, a.TreeSize, b.TreeSize);
        var proofOk = proof?.VerifyAgainst(a.Root, b.Root);

        if (ma == true && mb == true)
        {
            if (proofOk == false)
            {
                _notes.Add(supplied is null
                    ? "the ledger matches both heads, but its tree store gave a consistency proof that fails: merkle.tree is damaged (Repair-AuditLedger)"
                    : "the ledger matches both heads, but the consistency proof given does not verify");
            }

            return true; // both are prefixes of the same records
        }

        if (mb == true && ma == false)
        {
            Fail(LogFinding.Forked, string.Create(CultureInfo.InvariantCulture, $"the ledger hashes to the head of {b.TreeSize} records but not to the earlier head of {a.TreeSize}: records before {a.TreeSize} were rewritten and a new history signed (forked)"));
            return false;
        }

        if (proofOk == true)
        {
            return true;
        }

        if (proofOk == false && (supplied is not null || (ma is null or true && mb is null or true)))
        {
            Fail(LogFinding.Forked, string.Create(CultureInfo.InvariantCulture, $"no valid consistency proof from the head of {a.TreeSize} records to the head of {b.TreeSize}: the newer head does not extend the older (forked)"));
            return false;
        }

        if (proofOk == false)
        {
            _notes.Add(string.Create(CultureInfo.InvariantCulture, $"the heads of {a.TreeSize} and {b.TreeSize} records are not shown consistent: the ledger's tree no longer matches them"));
        }

        return null;
    }

    private static AuditConsistencyProof? StoreProof(MerkleTreeStore? store, long from, long to)
    {
        if (store is null || store.Size < to || from <= 0)
        {
            return null;
        }

        try
        {
            var hashes = MerkleTree.ConsistencyProof(store, from, to);
            return new AuditConsistencyProof { FromSize = from, ToSize = to, FromRoot = string.Empty, ToRoot = string.Empty, Hashes = hashes.Select(Convert.ToBase64String).ToList() };
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return null;
        }
    }

    private void ProveRecord(AuditRecord r, SignedTreeHead head, MerkleTreeStore? store)
    {
        var p = r.ChainPosition;
        if (p < 0 || p >= head.TreeSize)
        {
            NotIncluded(string.Create(CultureInfo.InvariantCulture, $"record {r.RecordId} (position {p}) is after the newest signed head ({head.TreeSize} records)"));
            return;
        }

        if (store is null || store.Size < head.TreeSize)
        {
            NotIncluded(string.Create(CultureInfo.InvariantCulture, $"record {r.RecordId} (position {p}): no inclusion proof, the ledger's tree does not cover the head (give the ledger, or an export written with -WithProofs)"));
            return;
        }

        var leaf = MerkleTree.LeafHash(Encoding.UTF8.GetBytes(r.ToJson()));
        IReadOnlyList<byte[]> proof;
        try
        {
            proof = MerkleTree.InclusionProof(store, p, head.TreeSize);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            proof = Array.Empty<byte[]>();
        }

        if (MerkleTree.VerifyInclusion(p, head.TreeSize, leaf, proof, head.Root))
        {
            _included++;
        }
        else
        {
            NotIncluded(string.Create(CultureInfo.InvariantCulture, $"record {r.RecordId} (position {p}) is not the record the signed head holds at that position (altered, or not from this log)"));
        }
    }

    private void CheckProven(ProvenRecord rec, SignedTreeHead head)
    {
        if (rec.Index < 0)
        {
            NotIncluded(string.Create(CultureInfo.InvariantCulture, $"line {rec.LineNumber} of the export is not a proven record (index, proof, record)"));
            return;
        }

        if (!LineFields.TryRead(rec.Record, out var f) || f.Position != rec.Index)
        {
            NotIncluded(string.Create(CultureInfo.InvariantCulture, $"line {rec.LineNumber}: the record does not state chain position {rec.Index}, the position its proof is for"));
            return;
        }

        if (MerkleTree.VerifyInclusion(rec.Index, head.TreeSize, MerkleTree.LeafHash(rec.Record), rec.Proof, head.Root))
        {
            _included++;
        }
        else
        {
            NotIncluded(string.Create(CultureInfo.InvariantCulture, $"line {rec.LineNumber}: the record at position {rec.Index} is not included in the signed head (the record or its proof was altered)"));
        }
    }

    /// <summary>The ledger's complete records counted and hashed; the root at each asked size.</summary>
    private (long Count, Dictionary<long, byte[]> Roots) LedgerRoots(LocalLedger ledger, HashSet<long> sizes)
    {
        if (!File.Exists(ledger.LedgerPath))
        {
            throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.ObjectNotFound, $"There is no ledger at '{ledger.LedgerPath}' to check the heads against: give the ledger directory (-Ledger), or verify the heads with a consistency proof only.", ledger.LedgerPath);
        }

        var roots = new Dictionary<long, byte[]>();
        var frontier = new MerkleFrontier();
        var leaf = new byte[MerkleTree.HashSize];
        var tail = LedgerFile.Tail(ledger.LedgerPath);
        if (tail.Length > tail.CompleteLength)
        {
            _notes.Add("the ledger ends in a torn line (a crashed append), not counted");
        }

        if (sizes.Contains(0))
        {
            roots[0] = frontier.Root();
        }

        long n = 0;
        foreach (var line in LedgerFile.Lines(ledger.LedgerPath, 0, tail.CompleteLength))
        {
            _cancel.ThrowIfCancellationRequested();
            MerkleTree.LeafHash(line.Utf8.Span, leaf);
            frontier.Append(leaf);
            if (sizes.Contains(frontier.Size))
            {
                roots[frontier.Size] = frontier.Root();
            }

            if ((++n & 0xFFFF) == 0)
            {
                _progress?.Report(line.Offset + line.Utf8.Length + 1);
            }
        }

        return (frontier.Size, roots);
    }

    private static MerkleTreeStore? TryOpenStore(LocalLedger ledger)
    {
        try
        {
            return MerkleTreeStore.Open(MerkleTreeStore.PathIn(ledger.Directory), write: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Fail(LogFinding finding, string problem)
    {
        if (!_findings.Contains(finding))
        {
            _findings.Add(finding);
        }

        Problem(problem);
    }

    private void NotIncluded(string problem)
    {
        _notIncluded++;
        Fail(LogFinding.NotIncluded, problem);
    }

    private void Problem(string problem)
    {
        if (_problems.Count < MaxListedProblems)
        {
            _problems.Add(problem);
        }
        else
        {
            _unlistedProblems++;
        }
    }

    private LogVerification Result(AuditVerifierKey key, SignedTreeHead newest, int verified, bool? consistent, long? ledgerCount)
    {
        if (_unlistedProblems > 0)
        {
            _problems.Add(string.Create(CultureInfo.InvariantCulture, $"... and {_unlistedProblems} more"));
        }

        var valid = _problems.Count == 0;
        string reason;
        if (!valid)
        {
            reason = _problems[0];
        }
        else
        {
            var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"{verified} signed head{(verified == 1 ? string.Empty : "s")} of {key.Name} verified") };
            if (consistent == true)
            {
                parts.Add("each extends the one before");
            }

            if (ledgerCount is { } c)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"the ledger ({c} records) holds every head"));
            }

            if (_included > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{_included} record{(_included == 1 ? " is" : "s are")} included"));
            }

            reason = string.Join("; ", parts);
        }

        return new LogVerification
        {
            Valid = valid,
            Reason = reason,
            Origin = newest.Origin,
            TreeSize = newest.TreeSize,
            RootHash = newest.RootHash,
            HeadsVerified = verified,
            Consistent = consistent,
            LedgerRecordCount = ledgerCount,
            IncludedCount = _included,
            NotIncludedCount = _notIncluded,
            Findings = _findings,
            Problems = _problems,
            Notes = _notes,
        };
    }
}
