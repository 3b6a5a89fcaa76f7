using System.IO;
using System.Management.Automation;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>
/// Creates a 256-bit audit key (a file readable by the owner only, or base64 for a pipeline secret),
/// or rotates a key file: a new active key, the old one kept verify-only.
/// </summary>
[Cmdlet(VerbsCommon.New, "AuditKey", DefaultParameterSetName = nameof(ParameterSet.File), SupportsShouldProcess = true)]
[OutputType(typeof(AuditKeyInfo), ParameterSetName = new[] { nameof(ParameterSet.File), nameof(ParameterSet.Rotate) })]
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

    /// <summary>Replace an existing key file (records signed with the old key then need the old key to verify; prefer -Rotate).</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.File))]
    public SwitchParameter Force { get; set; }

    /// <summary>Output the key as base64 text, to store as a pipeline secret (EVALSIG_AUDIT_KEY).</summary>
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

        if (!ShouldProcess(target, "Create a 256-bit audit key file (owner-only permissions)"))
        {
            return;
        }

        AuditKey? key = null;
        if (Try(() => key = AuditKeyFile.Create(target, Force), terminating: true))
        {
            WriteObject(new AuditKeyInfo(key!.KeyId, new FileInfo(target).FullName));
        }
    }
}
