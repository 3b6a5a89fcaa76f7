using System.Management.Automation;
using System.Security;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Files;

namespace EvalSig.Commands;

/// <summary>
/// Writes a checkpoint of the ledger's head, to be kept outside the ledger: a MAC'd statement
/// (verified with the HMAC key), or with -SigningKeyPath / -Sign a signed tree head (a C2SP
/// signed note with the Merkle root, verified by anyone with the public key).
/// </summary>
[Cmdlet(VerbsData.Export, "AuditCheckpoint", SupportsShouldProcess = true, DefaultParameterSetName = nameof(ParameterSet.Hmac))]
[OutputType(typeof(AuditCheckpoint), ParameterSetName = new[] { nameof(ParameterSet.Hmac) })]
[OutputType(typeof(SignedTreeHead), ParameterSetName = new[] { nameof(ParameterSet.Signed) })]
public sealed class ExportAuditCheckpointCommand : AuditCmdlet
{
    private enum ParameterSet
    {
        Hmac,
        Signed,
    }

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>HMAC key files: the chain is verified with them before anything is checkpointed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    /// <summary>The Ed25519 signing key (New-AuditKey -Type Ed25519): write a signed tree head.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Signed))]
    [ValidateNotNullOrEmpty]
    public string? SigningKeyPath { get; set; }

    /// <summary>Write a signed tree head with the key in $env:EVALSIG_SIGNING_KEY (or -SigningKeyPath).</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Signed))]
    public SwitchParameter Sign { get; set; }

    protected override void EndProcessing()
    {
        var target = ResolveOutputPath(Path);
        var ring = ResolveKeyring(KeyPath, Key, forSigning: true);
        if (ParameterSetName == nameof(ParameterSet.Signed))
        {
            var local = OpenLocalLedger("Export-AuditCheckpoint -SigningKeyPath");
            AuditSigningKey? signer = null;
            Try(() => signer = AuditSigningKey.Resolve(SigningKeyPath is null ? null : ResolveOutputPath(SigningKeyPath)), terminating: true);
            SignedTreeHead? head = null;
            Try(() => head = RunWithProgress("Export-AuditCheckpoint " + local.LedgerPath, (p, c) => TransparencyLog.SignHead(local, ring, signer!, new FractionOf(p, LedgerLength(local)), c)), terminating: true);
            if (ShouldProcess(target, $"Write a signed tree head of {head!.TreeSize} records") && Try(() => AtomicFile.Write(target, s => s.Write(Encoding.UTF8.GetBytes(head.Note)), NoClobber)))
            {
                WriteObject(head);
            }

            return;
        }

        var ledger = OpenLedger();
        AuditCheckpoint? cp = null;
        Try(() => cp = AuditLog.Checkpoint(ledger, ring, Cancellation), terminating: true);
        if (!ShouldProcess(target, $"Write checkpoint of position {cp!.Position}"))
        {
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(cp.ToJson() + "\n");
        if (Try(() => AtomicFile.Write(target, s => s.Write(bytes), NoClobber)))
        {
            FileWritten(target, passThru: false);
            WriteObject(cp);
        }
    }

    private static long LedgerLength(LocalLedger ledger) => System.IO.File.Exists(ledger.LedgerPath) ? new System.IO.FileInfo(ledger.LedgerPath).Length : 0;
}
