using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>The ledger's state: records, head, index health (authenticated with a key), torn tail, interrupted batch, record format.</summary>
[Cmdlet(VerbsCommon.Get, "AuditStatus")]
[OutputType(typeof(AuditStatus))]
public sealed class GetAuditStatusCommand : AuditCmdlet
{
    /// <summary>Key files to authenticate (and keep level) index.sqlite.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    protected override void EndProcessing()
    {
        AuditStatus? status = null;
        var options = new AuditReadOptions { Keyring = TryResolveKeyring(KeyPath, Key), Observer = Observer };
        if (Try(() => status = OpenLedger().GetStatus(options, Cancellation), terminating: true))
        {
            WriteObject(status);
        }
    }
}
