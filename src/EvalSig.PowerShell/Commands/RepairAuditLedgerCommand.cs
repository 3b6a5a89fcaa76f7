using System.Management.Automation;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;

namespace EvalSig.Commands;

/// <summary>
/// Moves a torn final line (or an interrupted batch) to quarantine, never touching valid records;
/// then checks the ledger's Merkle tree against the ledger and rebuilds it when it differs.
/// -RebuildIndex also rebuilds the derived query index (index.sqlite, authenticated with the audit
/// key, or an object-storage ledger's local cache) from the records. Object storage has nothing else
/// to repair: objects are written whole.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "AuditLedger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RepairResult))]
public sealed class RepairAuditLedgerCommand : AuditCmdlet
{
    /// <summary>Rebuild the query index (local, MAC'd with the audit key) or query cache (object storage) from the records.</summary>
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
        RepairResult result;
        if (plan is null)
        {
            result = new RepairResult(false, null, 0, "nothing to repair: the ledger ends with a complete record", ledger.LedgerPath);
        }
        else
        {
            var (from, length, reason) = plan.Value;
            if (!ShouldProcess(ledger.LedgerPath, $"Move {length} bytes from offset {from} ({reason}) to quarantine/ and truncate the ledger to its last complete record"))
            {
                return;
            }

            string? quarantine = null;
            if (!Try(() => quarantine = ledger.Repair(), terminating: true))
            {
                return;
            }

            result = new RepairResult(true, quarantine, length, reason, ledger.LedgerPath);
        }

        if (RebuildIndex && ShouldProcess(ledger.Directory, "Rebuild index.sqlite from ledger.jsonl"))
        {
            var ring = ResolveKeyring(null, null);
            Try(() => ledger.RebuildIndex(ring, null, Cancellation), terminating: true);
            result = result with { Reason = result.Reason + "; the index was rebuilt" };
        }

        WriteObject(result with { Tree = CheckTree(ledger, rebuild: true) });
    }

    /// <summary>The tree is derived: rebuilt when it differs (after confirmation), or only reported.</summary>
    private MerkleTreeCheck? CheckTree(LocalLedger ledger, bool rebuild)
    {
        MerkleTreeCheck? check = null;
        Try(() => check = TransparencyLog.CheckTree(ledger, dryRun: true, Cancellation), terminating: true);
        if (check!.Matched || !rebuild || !ShouldProcess(ledger.Directory, "Rebuild merkle.tree from the ledger (" + check.Reason + ")"))
        {
            return check;
        }

        Try(() => check = TransparencyLog.CheckTree(ledger, dryRun: false, Cancellation), terminating: true);
        return check;
    }
}
