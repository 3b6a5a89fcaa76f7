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
}
