using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Compliance;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Commands;

/// <summary>A GDPR Article 30(1) record of processing activities, with ledger evidence.</summary>
[Cmdlet(VerbsCommon.New, "Article30Record", SupportsShouldProcess = true)]
[OutputType(typeof(Article30Record))]
[OutputType(typeof(string))]
public sealed class NewArticle30RecordCommand : AuditCmdlet
{
    [Parameter(Mandatory = true)]
    [AllowEmptyString]
    public string ControllerName { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    [AllowEmptyString]
    public string ControllerContact { get; set; } = string.Empty;

    [Parameter]
    public string? JointController { get; set; }

    [Parameter]
    public string? Representative { get; set; }

    [Parameter]
    public string? DpoName { get; set; }

    [Parameter]
    public string? DpoContact { get; set; }

    [Parameter]
    public string[] Purpose { get; set; } = Array.Empty<string>();

    [Parameter]
    public string[] DataSubjectCategory { get; set; } = Array.Empty<string>();

    [Parameter]
    public string[] PersonalDataCategory { get; set; } = Array.Empty<string>();

    [Parameter]
    public string[] RecipientCategory { get; set; } = Array.Empty<string>();

    /// <summary>Hashtables with Destination and Safeguards.</summary>
    [Parameter]
    public Hashtable[] ThirdCountryTransfer { get; set; } = Array.Empty<Hashtable>();

    [Parameter]
    public string[] ErasureTimeLimit { get; set; } = Array.Empty<string>();

    [Parameter]
    public string[] SecurityMeasure { get; set; } = Array.Empty<string>();

    [Parameter]
    public string? ProjectId { get; set; }

    [Parameter]
    public object? From { get; set; }

    [Parameter]
    public object? To { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    /// <summary>Also write the record to the ledger as evalsig.article30.v1.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Return the record rendered in Markdown for a DPO.</summary>
    [Parameter]
    public SwitchParameter AsMarkdown { get; set; }

    protected override void EndProcessing()
    {
        var input = new Article30Input
        {
            ControllerName = ControllerName,
            ControllerContact = ControllerContact,
            JointController = JointController,
            Representative = Representative,
            DpoName = DpoName,
            DpoContact = DpoContact,
            Purposes = Purpose,
            DataSubjectCategories = DataSubjectCategory,
            PersonalDataCategories = PersonalDataCategory,
            RecipientCategories = RecipientCategory,
            ThirdCountryTransfers = ThirdCountryTransfer.Select(h => new ThirdCountryTransfer(Convert.ToString(h["Destination"], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, Convert.ToString(h["Safeguards"], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty)).ToList(),
            ErasureTimeLimits = ErasureTimeLimit,
            SecurityMeasures = SecurityMeasure,
            ProjectId = ProjectId,
        };
        var ring = ResolveKeyring(KeyPath, Key, forSigning: Append);
        var ledger = OpenLedger();
        Article30Record? record = null;
        Try(() => record = Article30Record.Create(input, ledger, ring, ToInstant(From, nameof(From)), ToInstant(To, nameof(To), upperBound: true)), terminating: true);
        if (Append && ShouldProcess(ledger.Location, $"Append Article 30 record {record!.RecordId} as {Article30Record.SchemaKey}"))
        {
            Try(() => AuditLog.Append(ledger, ring.SigningKey, new[] { new AuditEntry(Article30Record.SchemaKey, ProjectId, record!.ToJson()) }, strictSchema: true, Cancellation), terminating: true);
        }

        WriteObject(AsMarkdown ? record!.ToMarkdown() : record);
    }

}
