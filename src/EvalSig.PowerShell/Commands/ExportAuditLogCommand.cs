using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>Exports records as JSONL or CSV (optionally gzipped), atomically.</summary>
[Cmdlet(VerbsData.Export, "AuditLog", SupportsShouldProcess = true, DefaultParameterSetName = nameof(ParameterSet.Query))]
[OutputType(typeof(FileInfo))]
public sealed class ExportAuditLogCommand : AuditCmdlet
{
    private readonly List<AuditRecord> _records = new();

    private enum ParameterSet
    {
        Query,
        Records,
    }

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    public AuditExportFormat Format { get; set; } = AuditExportFormat.Jsonl;

    [Parameter]
    public SwitchParameter Compress { get; set; }

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Records))]
    [ValidateNotNull]
    public AuditRecord? InputObject { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    [ArgumentCompleter(typeof(SchemaKeyCompleter))]
    public string? SchemaKey { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    public string? ProjectId { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    public object? From { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    public object? To { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            _records.Add(InputObject);
        }
    }

    protected override void EndProcessing()
    {
        var target = ResolveOutputPath(Path);
        if (!ShouldProcess(target, $"Export audit records as {Format}{(Compress ? " (gzip)" : string.Empty)}"))
        {
            return;
        }

        IEnumerable<AuditRecord> records = _records;
        if (ParameterSetName == nameof(ParameterSet.Query))
        {
            var query = new AuditQuery { SchemaKey = SchemaKey, ProjectId = ProjectId, From = ToInstant(From, nameof(From)), To = ToInstant(To, nameof(To), upperBound: true) };
            records = OpenLedger().Query(query, Cancellation);
        }

        if (Try(() => AuditExport.Write(records, target, Format, Compress, NoClobber, Cancellation), terminating: true))
        {
            FileWritten(target, PassThru);
        }
    }
}
