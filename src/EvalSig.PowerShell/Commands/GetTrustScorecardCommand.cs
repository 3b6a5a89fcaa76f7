using System;
using System.Management.Automation;
using EvalSig.Core.Compliance;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Time;

namespace EvalSig.Commands;

/// <summary>The T.R.U.S.T. scorecard of a window, computed from the audit ledger.</summary>
[Cmdlet(VerbsCommon.Get, "TrustScorecard")]
[OutputType(typeof(TrustScorecard))]
public sealed class GetTrustScorecardCommand : AuditCmdlet
{
    [Parameter]
    public object? From { get; set; }

    [Parameter]
    public object? To { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProjectId { get; set; }

    /// <summary>Evaluate the scorecard as the ledger stood at this time.</summary>
    [Parameter]
    public object? AsOf { get; set; }

    protected override void EndProcessing()
    {
        var from = ToInstant(From, nameof(From));
        var to = ToInstant(To, nameof(To), upperBound: true);
        var asOf = ToInstant(AsOf, nameof(AsOf), upperBound: true);
        if (from is { } f && to is { } t && f > t)
        {
            ThrowTerminatingError(Error(EvalSigError.AuditQueryInvalid, EvalSigErrorKind.InvalidArgument, "-From is after -To.", From));
        }

        TrustScorecard? card = null;
        if (Try(() => card = TrustScorecards.Compute(OpenLedger(), from, to, ProjectId, asOf, Cancellation), terminating: true))
        {
            WriteObject(card);
        }
    }

}
