using System.Management.Automation;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;

namespace EvalSig.Commands;

/// <summary>
/// Moves a torn final line (or an interrupted batch) to quarantine, never touching valid records;
/// then checks the ledger's Merkle tree against the ledger and rebuilds it when it differs.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "AuditLedger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RepairResult))]
public sealed class RepairAuditLedgerCommand : AuditCmdlet
{
    protected override void EndProcessing()
    {
        var ledger = OpenLedger();
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
