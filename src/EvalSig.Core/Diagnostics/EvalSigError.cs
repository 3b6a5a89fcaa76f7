namespace EvalSig.Core.Diagnostics;

/// <summary>
/// Every error EvalSig reports, by stable id. Cmdlets turn these into the
/// <c>FullyQualifiedErrorId</c> prefix and the CLI prints them on stderr, so a name here
/// is a public contract: add, never rename.
/// </summary>
public enum EvalSigError
{
    // RunFrames
    RunFrameNotFound,
    RunFrameInvalid,
    RunFrameFormatUnknown,
    RunFrameWriteFailed,
    FileAlreadyExists,
    PathNotFileSystem,

    // Gate
    NoOverlappingItems,
    InvalidAlpha,
    InvalidPower,
    InvalidMinDelta,
    InvalidMargin,
    InvalidResamples,
    InvalidMethod,
    ClusterKeyNotFound,
    MethodNotApplicable,
    InvalidPowerInput,
    ReportInvalid,

    // Audit
    AuditKeyMissing,
    AuditKeyInvalid,
    AuditSchemaUnknown,
    AuditSchemaInvalid,
    AuditPayloadInvalid,
    AuditQueryInvalid,
    AuditLedgerTorn,
    AuditLedgerCorrupt,
    AuditLedgerBusy,
    AuditWriteFailed,
    AuditExportInvalid,
    AuditCheckpointInvalid,
    AuditRecordInvalid,

    // Run store
    InvalidIdentifier,
    RunAlreadyExists,
    RunNotFound,
    RunStoreInvalid,

    // Compliance
    Article30Invalid,
    EnvelopeInvalid,
    EnvelopeInputMismatch,

    // RunFrames from evaluation tools (added after the first release: names are a contract, so appended)
    RunFrameUnsupported,

    // Sequential watch
    WatchInvalid,
    // Gate (added later: appended, so earlier ids keep their numbers)
    InvalidInconclusiveAs,

    // Multi-task release gates
    ManifestNotFound,
    ManifestInvalid,
    InvalidReleaseDecision,
    InvalidCorrection,

    // Pipelines (CI providers)
    CiOutputFailed,

    // Transparency: signed tree heads and proofs
    AuditSigningKeyMissing,
    AuditSigningKeyInvalid,
    AuditVerifierKeyInvalid,
    AuditTreeHeadInvalid,
    AuditProofUnavailable,
    AuditProofInvalid,

    // Added later: appended so that the numeric values of the ids above never change.

    /// <summary>No ledger at the given location (missing, or not a directory holding ledger.jsonl).</summary>
    AuditLedgerNotFound,

    /// <summary>A key the keyring marks verify-only (rotated out) was asked to sign.</summary>
    AuditKeyRetired,

    /// <summary>A key file that others can read or write, refused for signing.</summary>
    AuditKeyInsecure,

    /// <summary>A ledger in an older record format must be migrated explicitly before appending.</summary>
    AuditLedgerMigrationRequired,

    /// <summary>The store's manifest or a stored file is damaged, escapes the root, or does not match its recorded hash.</summary>
    RunStoreCorrupt,

    /// <summary>The disk (or quota) is full; nothing was changed.</summary>
    StorageFull,

    /// <summary>The file system is read-only.</summary>
    StorageReadOnly,

    /// <summary>The operating system denied access.</summary>
    StorageAccessDenied,

    // Object storage (the audit ledger and the run store on Azure Blob or S3-compatible services)
    StorageLocationInvalid,
    StorageUnreachable,
    StorageContainerNotFound,
    StorageRequestFailed,
    StorageUnsafe,
    StorageRetentionUnsupported,
}

/// <summary>The broad kind of an error; the PowerShell layer maps it to an ErrorCategory.</summary>
public enum EvalSigErrorKind
{
    InvalidData,
    InvalidArgument,
    ObjectNotFound,
    ResourceExists,
    WriteError,
    ReadError,
    InvalidOperation,
    NotSpecified,

    /// <summary>A service did not answer (unreachable, timed out).</summary>
    ConnectionError,

    /// <summary>A service refused the credentials, or none were found.</summary>
    PermissionDenied,
}
