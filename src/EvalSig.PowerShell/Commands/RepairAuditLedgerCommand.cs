using System.Management.Automation;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>
/// Moves a torn final line (or an interrupted batch) to quarantine; never touches valid records.
/// -RebuildIndex also rebuilds the derived query index (index.sqlite, or an object-storage ledger's
/// local cache) from the records. Object storage has nothing else to repair: objects are written whole.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "AuditLedger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RepairResult))]
public sealed class RepairAuditLedgerCommand : AuditCmdlet
{
    /// <summary>Rebuild the query index (local) or query cache (object storage) from the records.</summary>
    [Parameter]
    public SwitchParameter RebuildIndex { get; set; }

    protected override void EndProcessing()
    {
        var opened = OpenLedger();
        if (opened is ObjectLedger cloud)
        {
            if (RebuildIndex && ShouldProcess(cloud.CacheDirectory, $"Rebuild the local query cache of {cloud.Location} from its objects"))
            {
                Try(() => cloud.RebuildIndex(Cancellation), terminating: true);
            }

            WriteObject(new RepairResult(false, null, 0, "nothing to repair: object storage writes each object whole, so there is no torn tail" + (RebuildIndex ? "; the query cache was rebuilt from the objects" : string.Empty), cloud.Location));
            return;
        }

        var ledger = (LocalLedger)opened;
        (long From, long Length, string Reason)? plan = null;
        Try(() => plan = ledger.PlanRepair(), terminating: true);
        if (plan is null)
        {
            if (RebuildIndex && ShouldProcess(ledger.Directory, "Rebuild index.sqlite from ledger.jsonl"))
            {
                Try(ledger.RebuildIndex, terminating: true);
            }

            WriteObject(new RepairResult(false, null, 0, "nothing to repair: the ledger ends with a complete record" + (RebuildIndex ? "; the index was rebuilt" : string.Empty), ledger.LedgerPath));
            return;
        }

        var (from, length, reason) = plan.Value;
        if (!ShouldProcess(ledger.LedgerPath, $"Move {length} bytes from offset {from} ({reason}) to quarantine/ and truncate the ledger to its last complete record"))
        {
            return;
        }

        string? quarantine = null;
        if (Try(() => quarantine = ledger.Repair(), terminating: true))
        {
            if (RebuildIndex)
            {
                Try(ledger.RebuildIndex, terminating: true);
            }

            WriteObject(new RepairResult(true, quarantine, length, reason, ledger.LedgerPath));
        }
    }
}
