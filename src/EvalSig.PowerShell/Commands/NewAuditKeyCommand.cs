using System.IO;
using System.Management.Automation;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Commands;

/// <summary>
/// Creates an audit key: a 256-bit HMAC key (writers MAC records with it; a file readable by the
/// owner only, or base64 for a pipeline secret), or with -Type Ed25519 a signing key for tree heads
/// (owner-only file) and its public verifier key beside it (&lt;path&gt;.pub, for auditors); or
/// rotates an HMAC key file: a new active key, the old one kept verify-only.
/// </summary>
[Cmdlet(VerbsCommon.New, "AuditKey", DefaultParameterSetName = nameof(ParameterSet.File), SupportsShouldProcess = true)]
[OutputType(typeof(AuditKeyInfo), ParameterSetName = new[] { nameof(ParameterSet.File), nameof(ParameterSet.Rotate) })]
[OutputType(typeof(AuditSigningKeyInfo), ParameterSetName = new[] { nameof(ParameterSet.File) })]
[OutputType(typeof(string), ParameterSetName = new[] { nameof(ParameterSet.Base64) })]
public sealed class NewAuditKeyCommand : EvalSigCmdlet
{
    private enum ParameterSet
    {
        File,
        Base64,
        Rotate,
    }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.File))]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.Rotate))]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Hmac (default): the key that MACs records. Ed25519: the key that signs tree heads.</summary>
    [Parameter]
    public AuditKeyType Type { get; set; } = AuditKeyType.Hmac;

    /// <summary>For -Type Ed25519: the log's name (the origin of its tree heads), e.g. example.com/audit.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.File))]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Replace an existing key file (records signed with the old key then need the old key to verify; prefer -Rotate).</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.File))]
    public SwitchParameter Force { get; set; }

    /// <summary>Output an HMAC key as base64 text, to store as a pipeline secret (EVALSIG_AUDIT_KEY).</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.Base64))]
    public SwitchParameter AsBase64 { get; set; }

    /// <summary>Rotate the key file at -Path: a new active key signs from now on; the old key stays in the file, verify-only.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.Rotate))]
    public SwitchParameter Rotate { get; set; }

    /// <summary>
    /// Also record the rotation in this ledger directory (a record signed by the new key), so that
    /// from there on a record signed by the retired key is caught whatever its timestamp. Not named
    /// -Ledger, so that a default -Ledger for the audit cmdlets does not pick the Rotate set.
    /// </summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Rotate))]
    [ValidateNotNullOrEmpty]
    public string? RecordRotationIn { get; set; }

    protected override void EndProcessing()
    {
        if (AsBase64)
        {
            if (Type == AuditKeyType.Ed25519)
            {
                ThrowTerminatingError(Error(EvalSigError.AuditSigningKeyInvalid, EvalSigErrorKind.InvalidArgument, "-AsBase64 makes an HMAC key. Create an Ed25519 key as a file (New-AuditKey -Type Ed25519 -Path log.key); to keep it as a pipeline secret, store the file's content in EVALSIG_SIGNING_KEY.", Type));
            }

            WriteObject(AuditKey.Generate().ExportBase64());
            return;
        }

        var target = ResolveOutputPath(Path);
        if (Rotate)
        {
            if (!ShouldProcess(target, "Rotate the audit key: add a new active key and mark the current one verify-only"))
            {
                return;
            }

            AuditKey? next = null;
            AuditKey? retired = null;
            if (!Try(() => (next, retired) = AuditKeyFile.Rotate(target), terminating: true))
            {
                return;
            }

            if (RecordRotationIn is not null)
            {
                Try(() => AuditLog.RecordRotation(new LocalLedger(ResolveOutputPath(RecordRotationIn)), next!, retired!.KeyId, Cancellation), terminating: true);
            }

            WriteObject(new AuditKeyInfo(next!.KeyId, new FileInfo(target).FullName, retired!.KeyId));
            return;
        }

        if (Type == AuditKeyType.Ed25519)
        {
            if (!ShouldProcess(target, "Create an Ed25519 signing key file (owner-only permissions) and its public key " + target + ".pub"))
            {
                return;
            }

            AuditSigningKeyInfo? info = null;
            if (Try(() => info = AuditSigningKeyFile.Create(target, Name, Force), terminating: true))
            {
                WriteObject(info);
            }

            return;
        }

        if (Name is not null)
        {
            ThrowTerminatingError(Error(EvalSigError.AuditKeyInvalid, EvalSigErrorKind.InvalidArgument, "-Name names the log of an Ed25519 signing key; add -Type Ed25519.", Name));
        }

        if (!ShouldProcess(target, "Create a 256-bit audit key file (owner-only permissions)"))
        {
            return;
        }

        AuditKey? key = null;
        if (Try(() => key = AuditKeyFile.Create(target, Force), terminating: true))
        {
            FileWritten(target, passThru: false);
            WriteObject(new AuditKeyInfo(key!.KeyId, new FileInfo(target).FullName));
        }
    }
}
