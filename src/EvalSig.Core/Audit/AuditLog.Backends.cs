using System;
using System.Collections.Generic;
using System.Threading;
using System.IO;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.ObjectStorage;

namespace EvalSig.Core.Audit;

/// <summary>Choosing the backend of a ledger from what the user gave.</summary>
public static partial class AuditLog
{
    /// <summary>A ledger location for every command that names none: az://..., s3://..., or a directory.</summary>
    public const string BackendEnvironmentVariable = "EVALSIG_AUDIT_BACKEND";

    /// <summary>
    /// Opens a ledger: <paramref name="location"/> (-Ledger / --ledger), else EVALSIG_AUDIT_BACKEND,
    /// else EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit. az://, s3://, gs:// and r2:// name object storage
    /// (<see cref="ObjectLedger"/>); anything else is a local directory (<see cref="LocalLedger"/>).
    /// </summary>
    public static IAuditBackend Open(string? location, AuditBackendOptions? options = null)
    {
        var chosen = string.IsNullOrWhiteSpace(location) ? Environment.GetEnvironmentVariable(BackendEnvironmentVariable) : location;
        if (ObjectStoreLocation.IsObjectStoreUri(chosen))
        {
            return ObjectLedger.Open(ObjectStoreLocation.Parse(chosen!), options);
        }

        if (options?.Retention is not null)
        {
            throw new EvalSigException(
                EvalSigError.StorageRetentionUnsupported,
                EvalSigErrorKind.InvalidArgument,
                "Write-once retention is set on objects in object storage (S3 Object Lock, Azure immutability policies); a local ledger cannot carry it. Use an az:// or s3:// ledger, or keep the directory on write-once storage.",
                chosen);
        }

        return new LocalLedger(string.IsNullOrWhiteSpace(chosen) || chosen.Equals("local", StringComparison.OrdinalIgnoreCase) ? null : chosen);
    }

    /// <summary>The bytes a verification will read (for progress): the ledger file, or the objects' total size.</summary>
    public static long StoredBytes(IAuditBackend ledger)
        => ledger switch
        {
            ObjectLedger o => o.StoredBytes(),
            LocalLedger l => File.Exists(l.LedgerPath) ? new FileInfo(l.LedgerPath).Length : 0,
            _ => 0,
        };
}

/// <summary>Queries any backend with read options: a local ledger authenticates its index with the keyring; object storage answers from the objects (its cache is rebuilt from them and never trusted for verification).</summary>
public static class AuditBackendExtensions
{
    public static IEnumerable<AuditRecord> Query(this IAuditBackend ledger, AuditQuery query, AuditReadOptions? options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger is LocalLedger local ? local.Query(query, options, cancel) : ledger.Query(query, cancel);
    }

    /// <summary>The status of any backend; a local ledger checks its index with the keyring of the options.</summary>
    public static AuditStatus GetStatus(this IAuditBackend ledger, AuditReadOptions? options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger is LocalLedger local ? local.GetStatus(options, cancel) : ledger.GetStatus();
    }
}
