using System.IO;
using System.Management.Automation;
using System.Security;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Files;

namespace EvalSig.Commands;

/// <summary>Writes a MAC'd checkpoint of the ledger's head, to be kept outside the ledger.</summary>
[Cmdlet(VerbsData.Export, "AuditCheckpoint", SupportsShouldProcess = true)]
[OutputType(typeof(AuditCheckpoint))]
public sealed class ExportAuditCheckpointCommand : AuditCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    protected override void EndProcessing()
    {
        var target = ResolveOutputPath(Path);
        var ledger = OpenLedger();
        var ring = ResolveKeyring(KeyPath, Key);
        AuditCheckpoint? cp = null;
        Try(() => cp = AuditLog.Checkpoint(ledger, ring, Cancellation), terminating: true);
        if (!ShouldProcess(target, $"Write checkpoint of position {cp!.Position}"))
        {
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(cp.ToJson() + "\n");
        if (Try(() => AtomicFile.Write(target, s => s.Write(bytes), NoClobber)))
        {
            FileWritten(target, passThru: false);
            WriteObject(cp);
        }
    }
}
