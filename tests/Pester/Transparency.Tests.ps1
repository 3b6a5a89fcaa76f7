BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # An HMAC key, an Ed25519 signing key and a ledger with two signed heads: 40 records, then 65.
    function New-SignedLog {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $log = [pscustomobject]@{
            Dir    = $dir
            Ledger = Join-Path $dir 'ledger'
            Hmac   = Join-Path $dir 'audit.key'
            Sign   = Join-Path $dir 'log.key'
            Pub    = Join-Path $dir 'log.key.pub'
            Old    = Join-Path $dir 'old.note'
            New    = Join-Path $dir 'new.note'
        }
        New-AuditKey -Path $log.Hmac | Out-Null
        New-AuditKey -Type Ed25519 -Path $log.Sign -Name example.com/audit | Out-Null
        $global:PSDefaultParameterValues['*-Audit*:Ledger'] = $log.Ledger
        $global:PSDefaultParameterValues['*-Audit*:KeyPath'] = $log.Hmac
        1..40 | ForEach-Object { @{ score = $_ / 100 } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId p1 | Out-Null
        Export-AuditCheckpoint $log.Old -SigningKeyPath $log.Sign | Out-Null
        1..25 | ForEach-Object { @{ detected = $false } } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 -ProjectId p2 | Out-Null
        Export-AuditCheckpoint $log.New -SigningKeyPath $log.Sign | Out-Null
        $log
    }

    function Set-LedgerLine([string] $Ledger, [int] $Keep, [int] $Rewrite = -1) {
        $path = Join-Path $Ledger 'ledger.jsonl'
        $lines = @(Get-Content -LiteralPath $path | Select-Object -First $Keep)
        if ($Rewrite -ge 0) { $lines[$Rewrite] = $lines[$Rewrite].Replace('"p1"', '"p9"') }
        [IO.File]::WriteAllText($path, ($lines -join "`n") + "`n")
    }
}

AfterAll {
    $global:PSDefaultParameterValues.Remove('*-Audit*:Ledger')
    $global:PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
}

Describe 'New-AuditKey -Type Ed25519' {
    It 'writes an owner-only signing key and its public key beside it' {
        $path = Join-Path $TestDrive 'k/log.key'
        $info = New-AuditKey -Type Ed25519 -Path $path -Name example.com/audit
        $info | Should -BeOfType ([EvalSig.Core.Audit.Transparency.AuditSigningKeyInfo])
        $info.VerifierKey | Should -Match '^example\.com/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$'
        (Get-Content -LiteralPath "$path.pub" -Raw).Trim() | Should -Be $info.VerifierKey
        if (-not $IsWindows) {
            (Get-Item $path).UnixFileMode | Should -Be ([System.IO.UnixFileMode]::UserRead -bor [System.IO.UnixFileMode]::UserWrite)
        }
        { New-AuditKey -Type Ed25519 -AsBase64 -ErrorAction Stop } | Should -Throw -ErrorId 'AuditSigningKeyInvalid,EvalSig.Commands.NewAuditKeyCommand'
        { New-AuditKey -Type Ed25519 -Path $path -ErrorAction Stop } | Should -Throw -ErrorId 'FileAlreadyExists,EvalSig.Commands.NewAuditKeyCommand'
    }
}

Describe 'Export-AuditCheckpoint -SigningKeyPath' {
    It 'writes a signed tree head of the verified ledger, in the c2sp.org checkpoint form' {
        $log = New-SignedLog
        $head = Export-AuditCheckpoint (Join-Path $log.Dir 'h.note') -SigningKeyPath $log.Sign
        $head | Should -BeOfType ([EvalSig.Core.Audit.Transparency.SignedTreeHead])
        $head.TreeSize | Should -Be 65
        $lines = (Get-Content -LiteralPath (Join-Path $log.Dir 'h.note') -Raw) -split "`n"
        $lines[0..1] | Should -Be @('example.com/audit', '65')
        $lines[4] | Should -BeLike ([char]0x2014 + ' example.com/audit *')
        { Export-AuditCheckpoint (Join-Path $log.Dir 'x.note') -Sign -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditSigningKeyMissing,EvalSig.Commands.ExportAuditCheckpointCommand'
    }
}

Describe 'Get-AuditProof' {
    It 'proves piped records included in a head, and the newer head consistent with the older' {
        $log = New-SignedLog
        $proofs = Get-AuditRecord -ProjectId p2 -First 2 | Get-AuditProof -Inclusion -Checkpoint $log.New
        $proofs[0] | Should -BeOfType ([EvalSig.Core.Audit.Transparency.AuditInclusionProof])
        $proofs.Position | Should -Be @(40, 41)
        $proofs | ForEach-Object { $_.Verify() | Should -BeTrue }
        $proofs[0].ToTlogProof() | Should -BeLike "c2sp.org/tlog-proof@v1`nindex 40`n*"
        $c = Get-AuditProof -Consistency -Checkpoint $log.Old, $log.New
        $c | Should -BeOfType ([EvalSig.Core.Audit.Transparency.AuditConsistencyProof])
        $c.Verify() | Should -BeTrue
        { Get-AuditProof -Inclusion -Position 65 -ErrorAction Stop } | Should -Throw -ErrorId 'AuditProofUnavailable,EvalSig.Commands.GetAuditProofCommand'
    }
}

Describe 'Test-AuditChain -PublicKey' {
    It 'verifies two heads and the ledger with no HMAC key' {
        $log = New-SignedLog
        $global:PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
        $saved = $env:EVALSIG_AUDIT_KEY
        $env:EVALSIG_AUDIT_KEY = $null
        try {
            $v = Test-AuditChain -PublicKey $log.Pub -Checkpoint $log.Old, $log.New
        }
        finally {
            $env:EVALSIG_AUDIT_KEY = $saved
        }
        $v | Should -BeOfType ([EvalSig.Core.Audit.Transparency.LogVerification])
        $v.Valid | Should -BeTrue -Because $v.Reason
        $v.Consistent | Should -BeTrue
        $v.LedgerRecordCount | Should -Be 65
    }

    It 'finds <Finding> after <Attack>' -ForEach @(
        # Names, not enum literals: -ForEach data is built at discovery, before the module is imported.
        @{ Attack = 'truncation'; Finding = 'Truncated' }
        @{ Attack = 'a rewritten record'; Finding = 'Rewritten' }
        @{ Attack = 'a re-signed history'; Finding = 'Forked' }
    ) {
        $log = New-SignedLog
        $newer = $log.New
        switch ($Attack) {
            'truncation' { Set-LedgerLine $log.Ledger 60 }
            'a rewritten record' { Set-LedgerLine $log.Ledger 65 -Rewrite 12 }
            default {
                Set-LedgerLine $log.Ledger 12
                Remove-Item (Join-Path $log.Ledger 'merkle.tree')
                1..53 | ForEach-Object { @{ score = 0 } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId p1 | Out-Null
                $newer = Join-Path $log.Dir 'forged.note'
                Export-AuditCheckpoint $newer -SigningKeyPath $log.Sign | Out-Null
            }
        }
        $v = Test-AuditChain -PublicKey $log.Pub -Checkpoint $log.Old, $newer
        $v.Valid | Should -BeFalse
        $v.Findings | Should -Contain ([EvalSig.Core.Audit.Transparency.LogFinding]$Finding)
    }

    It 'fails a head that the key did not sign' {
        $log = New-SignedLog
        $altered = Join-Path $log.Dir 'altered.note'
        [IO.File]::WriteAllText($altered, [IO.File]::ReadAllText($log.New).Replace("`n65`n", "`n66`n"))
        (Test-AuditChain -PublicKey $log.Pub -Checkpoint $log.Old, $altered).Findings |
            Should -Be @([EvalSig.Core.Audit.Transparency.LogFinding]::SignatureInvalid)
    }
}

Describe 'Export-AuditLog -WithProofs' {
    It 'writes one project that verifies alone, and an edited record fails' {
        $log = New-SignedLog
        $file = Join-Path $log.Dir 'p2.jsonl'
        Export-AuditLog $file -ProjectId p2 -WithProofs -Checkpoint $log.New
        Remove-Item -Recurse $log.Ledger
        $v = Test-AuditChain -PublicKey $log.Pub -Path $file
        $v.Valid | Should -BeTrue -Because $v.Reason
        $v.IncludedCount | Should -Be 25
        [IO.File]::WriteAllText($file, [IO.File]::ReadAllText($file).Replace('"detected":false', '"detected":true'))
        (Test-AuditChain -PublicKey $log.Pub -Path $file).NotIncludedCount | Should -Be 25
    }
}

Describe 'Repair-AuditLedger and the Merkle tree' {
    It 'rebuilds a damaged tree, and -WhatIf leaves it as it is' {
        $log = New-SignedLog
        $tree = Join-Path $log.Ledger 'merkle.tree'
        $bytes = [IO.File]::ReadAllBytes($tree)
        $bytes[64] = $bytes[64] -bxor 1
        [IO.File]::WriteAllBytes($tree, $bytes)
        (Repair-AuditLedger -WhatIf).Tree.Matched | Should -BeFalse
        [IO.File]::ReadAllBytes($tree) | Should -Be $bytes
        { Get-AuditProof -Inclusion -Position 0 -Checkpoint $log.New -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditProofUnavailable,EvalSig.Commands.GetAuditProofCommand'
        (Repair-AuditLedger -Confirm:$false).Tree.Rebuilt | Should -BeTrue
        (Get-AuditProof -Inclusion -Position 0 -Checkpoint $log.New).Verify() | Should -BeTrue
    }
}

Describe 'An outside auditor' {
    It 'with only the public key and two signed heads finds truncation, rewrite and fork, and verifies a filtered export alone' {
        # Real pwsh processes: the writer, then an auditor process without any HMAC or signing key.
        # EVALSIG_AUDITOR_RECORDS=1000000 runs the same scenario at a million records.
        $records = if ($env:EVALSIG_AUDITOR_RECORDS) { [int]$env:EVALSIG_AUDITOR_RECORDS } else { 3000 }
        $work = Join-Path $TestDrive 'auditor-scenario'
        $run = Invoke-ChildPwsh -Arguments @('-File', (Join-Path $PSScriptRoot 'Scenarios/TransparencyAuditor.ps1'), '-Manifest', $ModuleManifest, '-Work', $work, '-Records', $records)
        $run.ExitCode | Should -Be 0 -Because $run.Text
        $r = ConvertFrom-KeyValueLines $run.Output
        $r['newHead'] | Should -Be "$records"
        $r['intact.valid'] | Should -Be 'True' -Because $r['intact.reason']
        $r['intact.ledgerRecords'] | Should -Be "$records"
        $r['truncated.valid'] | Should -Be 'False'
        $r['truncated.findings'] | Should -Match '\bTruncated\b'
        $r['rewritten.valid'] | Should -Be 'False'
        $r['rewritten.findings'] | Should -Match '\bRewritten\b'
        $r['forkChainValid'] | Should -Be 'True' -Because 'the key holders re-MACed the forked history: the HMAC chain cannot see the fork'
        $r['forgedHead'] | Should -Be "$records"
        $r['forked.valid'] | Should -Be 'False'
        $r['forked.findings'] | Should -Match '\bForked\b'
        $r['export.valid'] | Should -Be 'True' -Because $r['export.reason']
        $r['export.included'] | Should -Be ($records - [int][Math]::Floor($records * 0.8))
    }
}
