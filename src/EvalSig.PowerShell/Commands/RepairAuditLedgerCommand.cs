using System.Management.Automation;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>Moves a torn final line (or an interrupted batch) to quarantine; never touches valid records.</summary>
[Cmdlet(VerbsDiagnostic.Repair, "AuditLedger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RepairResult))]
public sealed class RepairAuditLedgerCommand : AuditCmdlet
{
    protected override void EndProcessing()
    {
        var ledger = OpenLedger();
        (long From, long Length, string Reason)? plan = null;
        Try(() => plan = ledger.PlanRepair(), terminating: true);
        if (plan is null)
        {
            WriteObject(new RepairResult(false, null, 0, "nothing to repair: the ledger ends with a complete record", ledger.LedgerPath));
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
            WriteObject(new RepairResult(true, quarantine, length, reason, ledger.LedgerPath));
        }
    }
}
