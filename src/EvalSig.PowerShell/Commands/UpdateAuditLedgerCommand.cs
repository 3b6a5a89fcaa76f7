using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>
/// Migrates a ledger written in record format 1 (MAC'd with the undivided key) explicitly: verifies
/// it, then appends one record that seals its format-1 records. Nothing is rewritten.
/// </summary>
[Cmdlet(VerbsData.Update, "AuditLedger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(MigrationResult))]
public sealed class UpdateAuditLedgerCommand : AuditCmdlet
{
    /// <summary>Key files: the one that signs the migration record, and any older keys the format-1 records need.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    protected override void EndProcessing()
    {
        var ledger = OpenLocalLedger("Update-AuditLedger");
        var ring = ResolveKeyring(KeyPath, Key, forSigning: true);
        if (!ShouldProcess(ledger.LedgerPath, "Verify the ledger and seal its format-1 records with a migration record"))
        {
            return;
        }

        MigrationResult? result = null;
        if (Try(() => result = AuditLog.Migrate(ledger, ring, Cancellation), terminating: true))
        {
            WriteObject(result);
        }
    }
}
