using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>Signs an object's canonical JSON with the audit key, without appending it.</summary>
[Cmdlet(VerbsCommon.New, "AuditSignature")]
[OutputType(typeof(SignedRecord))]
public sealed class NewAuditSignatureCommand : AuditCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object? InputObject { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNull]
    public SecureString? Key { get; set; }

    protected override void ProcessRecord()
    {
        var key = ResolveSigningKey(KeyPath, Key);
        SignedRecord? signed = null;
        if (Try(() => signed = AuditLog.Sign(PayloadJson(InputObject), key)))
        {
            WriteObject(signed);
        }
    }
}
