#Requires -Version 7.4
<#
.SYNOPSIS
    The outside-auditor scenario, in real pwsh processes. A writer (HMAC key + Ed25519 signing key)
    records -Records records and signs two tree heads (at 80% and at 100%), then exports one project's
    records with proofs. An auditor - a separate pwsh process without any HMAC key or signing key,
    holding only the public key, the two heads and a copy of the ledger - checks the intact ledger,
    a truncated one, one with a rewritten record, a forked history the key holders re-MAC'd and
    re-signed, and the filtered export on its own. Prints key=value lines for the caller to check.
    Run by tests/Pester/Transparency.Tests.ps1 (a few thousand records in CI); the long run is
    `pwsh -File tests/Pester/Scenarios/TransparencyAuditor.ps1 -Manifest out/EvalSig/0.1.0/EvalSig.psd1 -Work /tmp/auditor -Records 1000000`.
#>
param(
    [Parameter(Mandatory)] [string] $Manifest,
    [Parameter(Mandatory)] [string] $Work,
    [ValidateRange(100, [int]::MaxValue)] [int] $Records = 3000
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module $Manifest

$writer = Join-Path $Work 'writer'
$auditor = Join-Path $Work 'auditor'
New-Item -ItemType Directory -Force -Path $writer, $auditor | Out-Null
$hmac = Join-Path $writer 'audit.key'
$sign = Join-Path $writer 'log.key'
$ledger = Join-Path $writer 'ledger'
New-AuditKey -Path $hmac | Out-Null
New-AuditKey -Type Ed25519 -Path $sign -Name example.com/release-audit | Out-Null
$w = @{ Ledger = $ledger; KeyPath = $hmac }

function Add-Records([int] $From, [int] $To, [string] $Schema, [string] $Project, [scriptblock] $Payload, [string] $Into = $ledger) {
    # Batches of 50,000: each is one group commit (one fsync) with the tree extended incrementally.
    for ($start = $From; $start -le $To; $start += 50000) {
        $end = [Math]::Min($To, $start + 49999)
        $start..$end | ForEach-Object $Payload | Add-AuditRecord -Ledger $Into -KeyPath $hmac -SchemaKey $Schema -ProjectId $Project | Out-Null
    }
}

$clock = [Diagnostics.Stopwatch]::StartNew()
$oldSize = [int][Math]::Floor($Records * 0.8)
Add-Records 1 $oldSize halluccheck.score.v1 checkout { @{ score = ($_ % 100) / 100; run = "r$_" } }
$old = Export-AuditCheckpoint (Join-Path $auditor 'old.note') @w -SigningKeyPath $sign
Add-Records ($oldSize + 1) $Records halluccheck.pii.v1 payments { @{ detected = $false; scan = "s$_" } }
$new = Export-AuditCheckpoint (Join-Path $auditor 'new.note') @w -SigningKeyPath $sign
Export-AuditLog (Join-Path $auditor 'payments.jsonl') -Ledger $ledger -ProjectId payments -WithProofs -Checkpoint (Join-Path $auditor 'new.note')
Copy-Item "$sign.pub" (Join-Path $auditor 'log.key.pub')
"writerSeconds=$([Math]::Round($clock.Elapsed.TotalSeconds, 1))"
"oldHead=$($old.TreeSize)"
"newHead=$($new.TreeSize)"

# The auditor: its own pwsh process, with no HMAC key and no signing key anywhere in reach.
$pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
function Invoke-Auditor([string] $Name, [string] $Arguments) {
    $saved = $env:EVALSIG_AUDIT_KEY, $env:EVALSIG_SIGNING_KEY
    $env:EVALSIG_AUDIT_KEY = $null
    $env:EVALSIG_SIGNING_KEY = $null
    Push-Location $auditor
    try {
        $script = "Import-Module '$Manifest'; `$v = Test-AuditChain -PublicKey ./log.key.pub $Arguments; `"{0}|{1}|{2}|{3}|{4}`" -f `$v.Valid, (`$v.Findings -join ','), `$v.IncludedCount, `$v.LedgerRecordCount, `$v.Reason"
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $out = & $pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Select-Object -Last 1
        if ($LASTEXITCODE -ne 0) { throw "auditor ($Name) failed: $out" }
        $valid, $findings, $included, $count, $reason = "$out".Split('|', 5)
        "$Name.valid=$valid"
        "$Name.findings=$findings"
        "$Name.included=$included"
        "$Name.ledgerRecords=$count"
        "$Name.reason=$reason"
        "$Name.seconds=$([Math]::Round($sw.Elapsed.TotalSeconds, 1))"
    }
    finally {
        Pop-Location
        $env:EVALSIG_AUDIT_KEY, $env:EVALSIG_SIGNING_KEY = $saved
    }
}

function Copy-Ledger([string] $From, [string] $Name) {
    $to = Join-Path $auditor $Name
    Copy-Item -Recurse $From $to
    $to
}

function Set-LedgerLines([string] $Dir, [int] $Keep, [int] $Rewrite = -1) {
    # Streams the file: a million-record ledger never has to fit in memory as strings.
    $path = Join-Path $Dir 'ledger.jsonl'
    $tmp = "$path.tmp"
    $reader = [IO.StreamReader]::new($path)
    $out = [IO.StreamWriter]::new($tmp, $false, [Text.UTF8Encoding]::new($false))
    $out.NewLine = "`n"
    try {
        for ($i = 0; $i -lt $Keep -and ($line = $reader.ReadLine()) -ne $null; $i++) {
            if ($i -eq $Rewrite) { $line = $line.Replace('"checkout"', '"checkouT"') }
            $out.WriteLine($line)
        }
    }
    finally { $reader.Dispose(); $out.Dispose() }
    Move-Item -Force $tmp $path
}

# 1. The ledger as the writer left it.
$intact = Copy-Ledger $ledger 'intact'
Invoke-Auditor intact "-Checkpoint ./old.note, ./new.note -Ledger '$intact'"

# 2. Truncated: the newest records deleted after the newer head was signed.
$truncated = Copy-Ledger $ledger 'truncated'
Set-LedgerLines $truncated ($Records - 5)
Invoke-Auditor truncated "-Checkpoint ./old.note, ./new.note -Ledger '$truncated'"

# 3. Rewritten: one early record edited in place.
$rewritten = Copy-Ledger $ledger 'rewritten'
Set-LedgerLines $rewritten $Records ([int]($Records / 3))
Invoke-Auditor rewritten "-Checkpoint ./old.note, ./new.note -Ledger '$rewritten'"

# 4. Forked: the key holders replace everything from the middle on, re-MAC it with the HMAC key,
#    rebuild the tree and sign a new head of the same size. The HMAC chain of the fork verifies.
$fork = Join-Path $writer 'fork'
Copy-Item -Recurse $ledger $fork
Set-LedgerLines $fork ([int]($Records / 2))
Remove-Item (Join-Path $fork 'merkle.tree')
Add-Records ([int]($Records / 2) + 1) $Records halluccheck.score.v1 checkout { @{ score = 0; run = "forged$_" } } -Into $fork
"forkChainValid=$((Test-AuditChain -Ledger $fork -KeyPath $hmac).Valid)"
$forged = Export-AuditCheckpoint (Join-Path $auditor 'forged.note') -Ledger $fork -KeyPath $hmac -SigningKeyPath $sign
"forgedHead=$($forged.TreeSize)"
$forkCopy = Copy-Ledger $fork 'forked'
Invoke-Auditor forked "-Checkpoint ./old.note, ./forged.note -Ledger '$forkCopy'"

# 5. One project's records, from the export alone.
Invoke-Auditor export "-Path ./payments.jsonl"
"totalSeconds=$([Math]::Round($clock.Elapsed.TotalSeconds, 1))"
