using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Compliance;

namespace EvalSig.Commands;

/// <summary>Re-verifies an envelope: its MAC, its inputs, its ledger record, and the decision recomputed from the data.</summary>
[Cmdlet(VerbsDiagnostic.Test, "AuditEnvelope")]
[OutputType(typeof(EnvelopeVerification))]
public sealed class TestAuditEnvelopeCommand : AuditCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    protected override void ProcessRecord()
    {
        var ring = ResolveKeyring(KeyPath, Key);
        EnvelopeVerification? result = null;
        if (Try(() => result = AuditEnvelopes.Verify(ResolveOutputPath(Path), ring, Ledger is null ? null : OpenLedger())))
        {
            WriteObject(result);
        }
    }
}
