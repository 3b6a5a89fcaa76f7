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

    // Object storage (the audit ledger and the run store on Azure Blob or S3-compatible services)
    StorageLocationInvalid,
    StorageUnreachable,
    StorageAccessDenied,
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
