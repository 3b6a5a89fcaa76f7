using System.Management.Automation;
using System.Security;
using EvalSig.Core.Compliance;
using EvalSig.Core.Gating;
using EvalSig.Core.RunStore;

namespace EvalSig.Commands;

/// <summary>Writes audit.json: inputs by SHA-256, the full report, the ledger record, MAC'd; records the decision.</summary>
[Cmdlet(VerbsCommon.New, "AuditEnvelope", SupportsShouldProcess = true)]
[OutputType(typeof(AuditEnvelopeInfo))]
public sealed class NewAuditEnvelopeCommand : AuditCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public GateReport? Report { get; set; }

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string BaselinePath { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string CandidatePath { get; set; } = string.Empty;

    /// <summary>The envelope file (audit.json); never replaced.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Also save both runs to this run store root.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Store { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Project { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNull]
    public SecureString? Key { get; set; }

    protected override void ProcessRecord()
    {
        if (Store is not null && Project is null)
        {
            ThrowTerminatingError(Error(Core.Diagnostics.EvalSigError.InvalidIdentifier, Core.Diagnostics.EvalSigErrorKind.InvalidArgument, "-Store needs -Project.", Store));
        }

        var target = ResolveOutputPath(Path);
        if (!ShouldProcess(target, $"Record the {Report!.Verdict} decision in the ledger and write the envelope"))
        {
            return;
        }

        var key = ResolveSigningKey(KeyPath, Key);
        var store = Store is null ? null : OpenStore(Store);
        AuditEnvelopeInfo? info = null;
        if (Try(() => info = AuditEnvelopes.Create(Report, ResolveOutputPath(BaselinePath), ResolveOutputPath(CandidatePath), target, OpenLedger(), key, store, Project), terminating: true))
        {
            FileWritten(target, passThru: false);
            WriteObject(info);
        }
    }
}
