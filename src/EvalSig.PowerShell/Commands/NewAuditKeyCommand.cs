using System.IO;
using System.Management.Automation;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>Creates a 256-bit audit key: a file readable by the owner only, or base64 for a pipeline secret.</summary>
[Cmdlet(VerbsCommon.New, "AuditKey", DefaultParameterSetName = nameof(ParameterSet.File), SupportsShouldProcess = true)]
[OutputType(typeof(AuditKeyInfo), ParameterSetName = new[] { nameof(ParameterSet.File) })]
[OutputType(typeof(string), ParameterSetName = new[] { nameof(ParameterSet.Base64) })]
public sealed class NewAuditKeyCommand : EvalSigCmdlet
{
    private enum ParameterSet
    {
        File,
        Base64,
    }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.File))]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Replace an existing key file (records signed with the old key then need the old key to verify).</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.File))]
    public SwitchParameter Force { get; set; }

    /// <summary>Output the key as base64 text, to store as a pipeline secret (EVALSIG_AUDIT_KEY).</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.Base64))]
    public SwitchParameter AsBase64 { get; set; }

    protected override void EndProcessing()
    {
        if (AsBase64)
        {
            WriteObject(AuditKey.Generate().ExportBase64());
            return;
        }

        var target = ResolveOutputPath(Path);
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
