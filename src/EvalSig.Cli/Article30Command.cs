using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Compliance;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;

namespace EvalSig.Cli;

/// <summary>
/// evalsig article30: New-Article30Record for bash steps. Every statement comes from the caller's
/// flags (nothing invented); the ledger adds the evidence for the period. Prints the record as JSON,
/// or as Markdown with --markdown; --append also records it as evalsig.article30.v1.
/// </summary>
internal static class Article30Command
{
    public static Command Build(TextWriter stdout)
    {
        var ledger = AuditCommands.LedgerOption();
        var keys = AuditCommands.KeyOption();
        Option<string?> One(string name, string description) => new(name) { Description = description };
        Option<string[]> Many(string name, string description) => new(name) { Description = description + " Repeat for several.", AllowMultipleArgumentsPerToken = false };
        var controllerName = One("--controller-name", "Art. 30(1)(a): the controller's name.");
        var controllerContact = One("--controller-contact", "Art. 30(1)(a): the controller's contact details.");
        var joint = One("--joint-controller", "Art. 30(1)(a): a joint controller, if any.");
        var representative = One("--representative", "Art. 30(1)(a): the controller's representative, if any.");
        var dpoName = One("--dpo-name", "Art. 30(1)(a): the data protection officer.");
        var dpoContact = One("--dpo-contact", "Art. 30(1)(a): the DPO's contact details.");
        var purpose = Many("--purpose", "Art. 30(1)(b): a purpose of the processing.");
        var subjects = Many("--data-subject-category", "Art. 30(1)(c): a category of data subjects.");
        var data = Many("--personal-data-category", "Art. 30(1)(c): a category of personal data.");
        var recipients = Many("--recipient-category", "Art. 30(1)(d): a category of recipients ('none' if there are none).");
        var transfers = Many("--third-country-transfer", "Art. 30(1)(e): DESTINATION=SAFEGUARDS, e.g. 'US=SCCs 2021/914'.");
        var erasure = Many("--erasure-time-limit", "Art. 30(1)(f): a time limit for erasure.");
        var security = Many("--security-measure", "Art. 30(1)(g): a technical or organisational security measure.");
        var project = One("--project-id", "Only this project's ledger records count as evidence.");
        var from = One("--from", "Inclusive start of the period (ISO-8601; a plain date starts at 00:00Z).");
        var to = One("--to", "Inclusive end of the period (ISO-8601; a plain date such as 2026-06-30 includes that whole UTC day).");
        var append = new Option<bool>("--append") { Description = "Also record it in the ledger as evalsig.article30.v1." };
        var markdown = new Option<bool>("--markdown") { Description = "Print the record in Markdown for a DPO instead of JSON." };
        var output = new Option<FileInfo?>("--output") { Description = "Write to this file (atomically) instead of standard output." };
        var cmd = new Command("article30", "A GDPR Article 30(1) record of processing activities, with evidence from the audit ledger.");
        foreach (var o in new Option[] { ledger, keys, controllerName, controllerContact, joint, representative, dpoName, dpoContact, purpose, subjects, data, recipients, transfers, erasure, security, project, from, to, append, markdown, output })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            string[] All(Option<string[]> o) => p.GetValue(o) ?? Array.Empty<string>();
            var input = new Article30Input
            {
                ControllerName = p.GetValue(controllerName),
                ControllerContact = p.GetValue(controllerContact),
                JointController = p.GetValue(joint),
                Representative = p.GetValue(representative),
                DpoName = p.GetValue(dpoName),
                DpoContact = p.GetValue(dpoContact),
                Purposes = All(purpose),
                DataSubjectCategories = All(subjects),
                PersonalDataCategories = All(data),
                RecipientCategories = All(recipients),
                ThirdCountryTransfers = All(transfers).Select(Transfer).ToList(),
                ErasureTimeLimits = All(erasure),
                SecurityMeasures = All(security),
                ProjectId = p.GetValue(project),
            };
            var ring = AuditKeyring.Resolve(p.GetValue(keys), null);
            var l = new LocalLedger(p.GetValue(ledger));
            var record = Article30Record.Create(input, l, ring, CliArgs.Instant(p.GetValue(from), "--from"), CliArgs.UpperBound(p.GetValue(to), "--to"));
            if (p.GetValue(append))
            {
                AuditLog.Append(l, ring.Keys[0], new[] { new AuditEntry(Article30Record.SchemaKey, input.ProjectId, record.ToJson()) }, strictSchema: true);
            }

            var text = p.GetValue(markdown) ? record.ToMarkdown() : record.ToJson();
            if (p.GetValue(output) is { } file)
            {
                var bytes = Encoding.UTF8.GetBytes(text.EndsWith('\n') ? text : text + "\n");
                AtomicFile.Write(file.FullName, s => s.Write(bytes), noClobber: false);
                stdout.WriteLine($"article30 {record.RecordId} -> {file.FullName}");
            }
            else
            {
                stdout.WriteLine(text.TrimEnd('\n'));
            }

            return 0;
        });
        return cmd;
    }

    /// <summary>DESTINATION=SAFEGUARDS; a missing half is left empty for Core to name as incomplete.</summary>
    private static ThirdCountryTransfer Transfer(string text)
    {
        var i = text.IndexOf('=', StringComparison.Ordinal);
        return i < 0 ? new ThirdCountryTransfer(text.Trim(), string.Empty) : new ThirdCountryTransfer(text[..i].Trim(), text[(i + 1)..].Trim());
    }
}
