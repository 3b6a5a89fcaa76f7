using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Compliance;

/// <summary>A transfer of personal data to a third country or international organisation (Art. 30(1)(e)).</summary>
public sealed record ThirdCountryTransfer(string Destination, string Safeguards);

/// <summary>What the caller states about the processing: every list comes from the caller, none is invented.</summary>
public sealed record Article30Input
{
    public string? ControllerName { get; init; }

    public string? ControllerContact { get; init; }

    public string? JointController { get; init; }

    public string? Representative { get; init; }

    public string? DpoName { get; init; }

    public string? DpoContact { get; init; }

    public IReadOnlyList<string> Purposes { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> DataSubjectCategories { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> PersonalDataCategories { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> RecipientCategories { get; init; } = Array.Empty<string>();

    public IReadOnlyList<ThirdCountryTransfer> ThirdCountryTransfers { get; init; } = Array.Empty<ThirdCountryTransfer>();

    public IReadOnlyList<string> ErasureTimeLimits { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> SecurityMeasures { get; init; } = Array.Empty<string>();

    public string? ProjectId { get; init; }
}

/// <summary>Ledger evidence for the record's period: how many records, the head, whether the chain verified.</summary>
public sealed record LedgerEvidence(DateTimeOffset? From, DateTimeOffset? To, long RecordCount, long? HeadPosition, string? HeadHmac, bool ChainValid, string VerificationReason);

/// <summary>
/// A GDPR Article 30(1) Record of Processing Activities: controller and contacts, purposes,
/// categories of data subjects, personal data and recipients, third-country transfers with
/// safeguards, time limits for erasure, security measures (Art. 32) - plus ledger evidence.
/// </summary>
public sealed record Article30Record
{
    public const string SchemaKey = "evalsig.article30.v1";

    public required string RecordId { get; init; }

    public string? ProjectId { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }

    public required string ControllerName { get; init; }

    public required string ControllerContact { get; init; }

    public string? JointController { get; init; }

    public string? Representative { get; init; }

    public string? DpoName { get; init; }

    public string? DpoContact { get; init; }

    public required IReadOnlyList<string> Purposes { get; init; }

    public required IReadOnlyList<string> DataSubjectCategories { get; init; }

    public required IReadOnlyList<string> PersonalDataCategories { get; init; }

    public required IReadOnlyList<string> RecipientCategories { get; init; }

    public required IReadOnlyList<ThirdCountryTransfer> ThirdCountryTransfers { get; init; }

    public required IReadOnlyList<string> ErasureTimeLimits { get; init; }

    public required IReadOnlyList<string> SecurityMeasures { get; init; }

    public required LedgerEvidence Evidence { get; init; }

    /// <summary>Validates the caller's statements and gathers evidence from the ledger for the period.</summary>
    public static Article30Record Create(Article30Input input, IAuditBackend ledger, AuditKeyring keyring, DateTimeOffset? from, DateTimeOffset? to)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(ledger);
        var missing = new List<string>();
        void Need(bool ok, string what)
        {
            if (!ok)
            {
                missing.Add(what);
            }
        }

        Need(!string.IsNullOrWhiteSpace(input.ControllerName), Surface.Say("-ControllerName", "--controller-name") + " (Art. 30(1)(a): the controller's name)");
        Need(!string.IsNullOrWhiteSpace(input.ControllerContact), Surface.Say("-ControllerContact", "--controller-contact") + " (Art. 30(1)(a): the controller's contact details)");
        Need(input.Purposes.Any(p => !string.IsNullOrWhiteSpace(p)), Surface.Say("-Purpose", "--purpose") + " (Art. 30(1)(b): the purposes of the processing)");
        Need(input.DataSubjectCategories.Any(p => !string.IsNullOrWhiteSpace(p)), Surface.Say("-DataSubjectCategory", "--data-subject-category") + " (Art. 30(1)(c))");
        Need(input.PersonalDataCategories.Any(p => !string.IsNullOrWhiteSpace(p)), Surface.Say("-PersonalDataCategory", "--personal-data-category") + " (Art. 30(1)(c))");
        Need(input.RecipientCategories.Any(p => !string.IsNullOrWhiteSpace(p)), Surface.Say("-RecipientCategory", "--recipient-category") + " (Art. 30(1)(d); state 'none' explicitly if there are no recipients)");
        foreach (var t in input.ThirdCountryTransfers)
        {
            Need(!string.IsNullOrWhiteSpace(t.Destination) && !string.IsNullOrWhiteSpace(t.Safeguards), "each third-country transfer needs a destination and its safeguards (Art. 30(1)(e), Art. 46/49)");
        }

        if (missing.Count > 0)
        {
            throw new EvalSigException(EvalSigError.Article30Invalid, EvalSigErrorKind.InvalidArgument, "The Article 30 record is incomplete; give: " + string.Join("; ", missing.Distinct()) + ".", input);
        }

        var records = ledger.Query(new AuditQuery { From = from, To = to, ProjectId = input.ProjectId }, new AuditReadOptions { Keyring = keyring }).ToList();
        var verification = AuditLog.Verify(ledger, keyring);
        var head = records.LastOrDefault();
        return new Article30Record
        {
            RecordId = Uuid7.New(DateTimeOffset.UtcNow),
            ProjectId = input.ProjectId,
            GeneratedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
            ControllerName = input.ControllerName!,
            ControllerContact = input.ControllerContact!,
            JointController = input.JointController,
            Representative = input.Representative,
            DpoName = input.DpoName,
            DpoContact = input.DpoContact,
            Purposes = input.Purposes.ToList(),
            DataSubjectCategories = input.DataSubjectCategories.ToList(),
            PersonalDataCategories = input.PersonalDataCategories.ToList(),
            RecipientCategories = input.RecipientCategories.ToList(),
            ThirdCountryTransfers = input.ThirdCountryTransfers.ToList(),
            ErasureTimeLimits = input.ErasureTimeLimits.ToList(),
            SecurityMeasures = input.SecurityMeasures.ToList(),
            Evidence = new LedgerEvidence(from, to, records.Count, head?.ChainPosition, head?.Hmac, verification.Valid, verification.Reason),
        };
    }

    /// <summary>The record as a JSON payload (the evalsig.article30.v1 schema).</summary>
    public string ToJson() => JsonValues.Serialize(new OrderedStringDictionary
    {
        ["record_id"] = RecordId,
        ["project_id"] = ProjectId,
        ["generated_at"] = IsoTime.Format(GeneratedAt),
        ["controller"] = new OrderedStringDictionary { ["name"] = ControllerName, ["contact"] = ControllerContact },
        ["joint_controller"] = JointController,
        ["representative"] = Representative,
        ["data_protection_officer"] = DpoName is null && DpoContact is null ? null : new OrderedStringDictionary { ["name"] = DpoName, ["contact"] = DpoContact },
        ["purposes"] = Purposes,
        ["data_subject_categories"] = DataSubjectCategories,
        ["personal_data_categories"] = PersonalDataCategories,
        ["recipient_categories"] = RecipientCategories,
        ["third_country_transfers"] = ThirdCountryTransfers.Select(t => new OrderedStringDictionary { ["destination"] = t.Destination, ["safeguards"] = t.Safeguards }).ToList(),
        ["erasure_time_limits"] = ErasureTimeLimits,
        ["security_measures"] = SecurityMeasures,
        ["evidence"] = new OrderedStringDictionary
        {
            ["from"] = Evidence.From is { } f ? IsoTime.Format(f) : null,
            ["to"] = Evidence.To is { } t ? IsoTime.Format(t) : null,
            ["record_count"] = Evidence.RecordCount,
            ["head_position"] = Evidence.HeadPosition,
            ["head_hmac"] = Evidence.HeadHmac,
            ["chain_valid"] = Evidence.ChainValid,
            ["verification"] = Evidence.VerificationReason,
        },
    });

    /// <summary>The record for a DPO, in Markdown.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Record of Processing Activities (GDPR Article 30(1))").AppendLine();
        sb.AppendLine($"Record `{RecordId}`{(ProjectId is null ? string.Empty : $" for project `{ProjectId}`")}, generated {IsoTime.Format(GeneratedAt)}.").AppendLine();
        sb.AppendLine("| Article 30(1) | |").AppendLine("|---|---|");
        void Row(string label, string value) => sb.AppendLine($"| {label} | {value.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal)} |");
        string List(IReadOnlyList<string> items) => items.Count == 0 ? "none stated" : string.Join("<br>", items.Select(i => "- " + i));
        Row("(a) Controller", $"{ControllerName}, {ControllerContact}");
        Row("(a) Joint controller", JointController ?? "none");
        Row("(a) Representative", Representative ?? "none");
        Row("(a) Data protection officer", DpoName is null && DpoContact is null ? "none designated" : $"{DpoName}{(DpoContact is null ? string.Empty : ", " + DpoContact)}");
        Row("(b) Purposes", List(Purposes));
        Row("(c) Categories of data subjects", List(DataSubjectCategories));
        Row("(c) Categories of personal data", List(PersonalDataCategories));
        Row("(d) Categories of recipients", List(RecipientCategories));
        Row("(e) Third-country transfers and safeguards", ThirdCountryTransfers.Count == 0 ? "none" : string.Join("<br>", ThirdCountryTransfers.Select(t => $"- {t.Destination}: {t.Safeguards}")));
        Row("(f) Time limits for erasure", List(ErasureTimeLimits));
        Row("(g) Technical and organisational security measures (Art. 32)", List(SecurityMeasures));
        sb.AppendLine().AppendLine("## Evidence from the audit ledger").AppendLine();
        sb.AppendLine($"- Period: {(Evidence.From is { } f ? IsoTime.Format(f) : "start")} to {(Evidence.To is { } t ? IsoTime.Format(t) : "now")}");
        sb.AppendLine($"- Records in the period: {Evidence.RecordCount}");
        sb.AppendLine($"- Chain head: {(Evidence.HeadPosition is { } p ? $"position {p}, `{Evidence.HeadHmac}`" : "none")}");
        sb.AppendLine($"- Chain verification: {(Evidence.ChainValid ? "valid" : "INVALID")} ({Evidence.VerificationReason})");
        return sb.ToString();
    }
}
