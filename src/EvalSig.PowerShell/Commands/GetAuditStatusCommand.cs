using System.Management.Automation;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>The ledger's state: records, head, index health, torn tail.</summary>
[Cmdlet(VerbsCommon.Get, "AuditStatus")]
[OutputType(typeof(AuditStatus))]
public sealed class GetAuditStatusCommand : AuditCmdlet
{
    protected override void EndProcessing()
    {
        AuditStatus? status = null;
        if (Try(() => status = OpenLedger().GetStatus(), terminating: true))
        {
            WriteObject(status);
        }
    }
}
