using System;
using System.Collections.Generic;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>What an outside auditor can find with the public key alone.</summary>
public enum LogFinding
{
    /// <summary>A head is not signed by the log's key (altered, or another log's).</summary>
    SignatureInvalid,

    /// <summary>The ledger holds fewer records than a signed head, or a later head is smaller.</summary>
    Truncated,

    /// <summary>The ledger's records no longer hash to a signed head's root: one was changed, removed, inserted or reordered.</summary>
    Rewritten,

    /// <summary>Two signed heads cannot both be true: no valid consistency proof between them (the log signed two histories).</summary>
    Forked,

    /// <summary>A given record is not proven to be in the signed tree.</summary>
    NotIncluded,
}

/// <summary>
/// What Test-AuditChain -PublicKey checks: signed heads, their consistency, optionally the ledger
/// and records. Everything here is checked with the public key; nothing needs the HMAC key.
/// </summary>
public sealed record TransparencyAudit
{
    public required AuditVerifierKey Key { get; init; }

    /// <summary>Signed heads, oldest first.</summary>
    public IReadOnlyList<SignedTreeHead> Heads { get; init; } = Array.Empty<SignedTreeHead>();

    /// <summary>The ledger to check against the heads (read only), when the auditor has it.</summary>
    public LocalLedger? Ledger { get; init; }

    /// <summary>Records to prove included in the newest head (their proofs come from the ledger's tree).</summary>
    public IReadOnlyList<AuditRecord> Records { get; init; } = Array.Empty<AuditRecord>();

    /// <summary>An export written with -WithProofs: its records are verified against its own signed head.</summary>
    public string? ProofExportPath { get; init; }

    /// <summary>Consistency proofs between the heads, for an auditor without the ledger.</summary>
    public IReadOnlyList<AuditConsistencyProof> ConsistencyProofs { get; init; } = Array.Empty<AuditConsistencyProof>();
}

/// <summary>
/// The result of a public-key verification. It never claims more than it checked: Consistent is
/// null with a single head, LedgerRecordCount null without a ledger, and Notes say what was not checked.
/// </summary>
public sealed record LogVerification
{
    public required bool Valid { get; init; }

    public required string Reason { get; init; }

    /// <summary>The log (the heads' origin and the key's name).</summary>
    public required string Origin { get; init; }

    /// <summary>Size of the newest head.</summary>
    public required long TreeSize { get; init; }

    public required string RootHash { get; init; }

    /// <summary>Heads whose signature verified.</summary>
    public required int HeadsVerified { get; init; }

    /// <summary>Whether each head extends the one before it; null with a single head.</summary>
    public bool? Consistent { get; init; }

    /// <summary>Records in the ledger, when a ledger was checked.</summary>
    public long? LedgerRecordCount { get; init; }

    public required long IncludedCount { get; init; }

    public required long NotIncludedCount { get; init; }

    public required IReadOnlyList<LogFinding> Findings { get; init; }

    /// <summary>Every problem found, in the order found.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();
}

/// <summary>What Export-AuditLog -WithProofs wrote.</summary>
public sealed record ProofExportResult(long Written, long LeftOut, string Path, SignedTreeHead Head);

/// <summary>The Merkle tree store as Repair-AuditLedger found (and left) it.</summary>
public sealed record MerkleTreeCheck(long LedgerRecords, long TreeSizeBefore, bool Matched, bool Rebuilt, string Reason);
