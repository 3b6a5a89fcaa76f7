BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # A ledger and a key per test: every audit cmdlet gets them through default parameter values.
    function New-TestLedger {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $key = Join-Path $dir 'audit.key'
        $info = New-AuditKey -Path $key
        $global:PSDefaultParameterValues['*-Audit*:Ledger'] = Join-Path $dir 'ledger'
        $global:PSDefaultParameterValues['*-Audit*:KeyPath'] = $key
        [pscustomobject]@{ Dir = $dir; Ledger = Join-Path $dir 'ledger'; Key = $key; KeyId = $info.KeyId }
    }
}

AfterAll {
    $global:PSDefaultParameterValues.Remove('*-Audit*:Ledger')
    $global:PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
}

Describe 'New-AuditKey' {
    It 'creates an owner-only key file and never overwrites it without -Force' {
        $t = New-TestLedger
        $t.KeyId | Should -Match '^[0-9a-f]{16}$'
        if (-not $IsWindows) {
            # 0600: read and write for the owner, nothing for group or others.
            (Get-Item $t.Key).UnixFileMode | Should -Be ([System.IO.UnixFileMode]::UserRead -bor [System.IO.UnixFileMode]::UserWrite)
        }
        { New-AuditKey -Path $t.Key -ErrorAction Stop } | Should -Throw -ErrorId 'FileAlreadyExists,EvalSig.Commands.NewAuditKeyCommand'
        [Convert]::FromBase64String((New-AuditKey -AsBase64)).Length | Should -Be 32
    }
}

Describe 'Add-AuditRecord' {
    It 'fails without a key, saying how to make one, and writes nothing' {
        $ledger = Join-Path $TestDrive 'nokey'
        $saved = $env:EVALSIG_AUDIT_KEY
        $env:EVALSIG_AUDIT_KEY = $null
        $global:PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
        try {
            { Add-AuditRecord @{ score = 0.9 } -SchemaKey halluccheck.score.v1 -Ledger $ledger -ErrorAction Stop } |
                Should -Throw -ErrorId 'AuditKeyMissing,EvalSig.Commands.AddAuditRecordCommand'
        }
        finally {
            $env:EVALSIG_AUDIT_KEY = $saved
        }
        Join-Path $ledger 'ledger.jsonl' | Should -Not -Exist
    }

    It 'commits piped payloads as one batch with contiguous positions' {
        $t = New-TestLedger
        $records = 1..100 | ForEach-Object { @{ score = $_ / 100; run = "r$_" } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId p1
        $records.Count | Should -Be 100
        $records[0] | Should -BeOfType ([EvalSig.Core.Audit.AuditRecord])
        $records.ChainPosition | Should -Be (0..99)
        $records[0].KeyId | Should -Be $t.KeyId
        $records[0].Backend | Should -Be 'local'
        $records[0].Payload['run'] | Should -Be 'r1'
    }

    It 'records a piped GateReport as evalsig.gate.v1' {
        New-TestLedger | Out-Null
        $r = Invoke-EvalGate (Join-Path $ReferenceRoot 'tiny/baseline.json') (Join-Path $ReferenceRoot 'tiny/candidate.json') | Add-AuditRecord -ProjectId demo
        $r.SchemaKey | Should -Be 'evalsig.gate.v1'
        $r.Payload['verdict'] | Should -Be 'INCONCLUSIVE'
        $r.Payload['comparison']['method'] | Should -Be 'paired_permutation'
    }

    It 'fails with <Id> and writes nothing: <Script>' -ForEach @(
        @{ Script = { @{ score = 'high' } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop }; Id = 'AuditPayloadInvalid' }
        @{ Script = { @{ x = 1 } | Add-AuditRecord -SchemaKey acme.unknown.v1 -ErrorAction Stop }; Id = 'AuditSchemaUnknown' }
        @{ Script = { @{ x = 1 } | Add-AuditRecord -SchemaKey 'Bad Key' -ErrorAction Stop }; Id = 'AuditSchemaInvalid' }
        @{ Script = { @{ x = 1 } | Add-AuditRecord -ErrorAction Stop }; Id = 'AuditSchemaUnknown' }
        @{ Script = { @{ score = 1 }, @{ detected = 'maybe' } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop }; Id = 'AuditPayloadInvalid' }
    ) {
        $t = New-TestLedger
        $Script | Should -Throw -ErrorId "$Id,EvalSig.Commands.AddAuditRecordCommand"
        (Get-AuditStatus).RecordCount | Should -Be 0
    }

    It 'records unknown keys with -StrictSchema:$false and nothing with -WhatIf' {
        New-TestLedger | Out-Null
        (@{ x = 1 } | Add-AuditRecord -SchemaKey acme.unknown.v1 -StrictSchema:$false).SchemaKey | Should -Be 'acme.unknown.v1'
        @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -WhatIf
        (Get-AuditStatus).RecordCount | Should -Be 1
    }

    It 'refuses to append to a torn ledger' {
        $t = New-TestLedger
        @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
        Add-Content -LiteralPath (Join-Path $t.Ledger 'ledger.jsonl') -Value '{"torn' -NoNewline
        { @{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditLedgerTorn,EvalSig.Commands.AddAuditRecordCommand'
    }
}

Describe 'Get-AuditRecord' {
    It 'filters by schema, project, paging and time, and rejects bad dates' {
        New-TestLedger | Out-Null
        1..5 | ForEach-Object { @{ score = 0.5 } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId a | Out-Null
        @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 -ProjectId b | Out-Null
        @(Get-AuditRecord).Count | Should -Be 6
        @(Get-AuditRecord halluccheck.pii.v1).Count | Should -Be 1
        (Get-AuditRecord -ProjectId a -Skip 1 -First 2).ChainPosition | Should -Be @(1, 2)
        @(Get-AuditRecord -From ([datetime]::UtcNow.AddMinutes(5))).Count | Should -Be 0
        @(Get-AuditRecord -Since '2020-01-01' -Until ([DateTimeOffset]::UtcNow.AddMinutes(1))).Count | Should -Be 6
        { Get-AuditRecord -From 'not a date' -ErrorAction Stop } | Should -Throw -ErrorId 'AuditQueryInvalid,EvalSig.Commands.GetAuditRecordCommand'
        { Get-AuditRecord -From 2026-02-01 -To 2026-01-01 -ErrorAction Stop } | Should -Throw -ErrorId 'AuditQueryInvalid,EvalSig.Commands.GetAuditRecordCommand'
    }
}

Describe 'Test-AuditChain' {
    It 'verifies a ledger and piped records, finds a tampered record, and reports a wrong key' {
        $t = New-TestLedger
        1..10 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
        $v = Test-AuditChain
        $v.Valid | Should -BeTrue
        $v.VerifiedCount | Should -Be 10
        $v.Anchored | Should -BeFalse
        (Get-AuditRecord | Test-AuditChain).Valid | Should -BeTrue
        (Get-AuditRecord -Skip 3 | Test-AuditChain -Range).Valid | Should -BeTrue
        (Get-AuditRecord -Skip 3 | Test-AuditChain).Valid | Should -BeFalse -Because 'records 0..2 are missing from a whole chain'

        $path = Join-Path $t.Ledger 'ledger.jsonl'
        $lines = Get-Content -LiteralPath $path
        $lines[4] = $lines[4].Replace('"score":5', '"score":6')
        Set-Content -LiteralPath $path -Value $lines
        $bad = Test-AuditChain
        $bad.Valid | Should -BeFalse
        $bad.FirstTampered.Position | Should -Be 4
        $bad.TamperedCount | Should -Be 1

        $other = Join-Path $t.Dir 'other.key'
        New-AuditKey -Path $other | Out-Null
        $wrong = Test-AuditChain -KeyPath $other
        $wrong.Valid | Should -BeFalse
        $wrong.Reason | Should -Match 'not in the keyring'
    }
}

Describe 'Export-AuditCheckpoint' {
    It 'anchors the chain, and truncation is found against it' {
        $t = New-TestLedger
        $cp = Join-Path $t.Dir 'checkpoint.json'
        1..5 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
        (Export-AuditCheckpoint $cp).Position | Should -Be 4
        (Test-AuditChain -Checkpoint $cp).Anchored | Should -BeTrue
        $path = Join-Path $t.Ledger 'ledger.jsonl'
        Set-Content -LiteralPath $path -Value (Get-Content -LiteralPath $path | Select-Object -First 3)
        $after = Test-AuditChain -Checkpoint $cp
        $after.Valid | Should -BeFalse
        $after.Anchored | Should -BeFalse
        (Test-AuditChain).Valid | Should -BeTrue -Because 'without a checkpoint a truncated chain looks valid'
        { Export-AuditCheckpoint $cp -NoClobber -ErrorAction Stop } | Should -Throw -ErrorId 'FileAlreadyExists,EvalSig.Commands.ExportAuditCheckpointCommand'
    }
}

Describe 'Export-AuditLog' {
    It 'exports <Format> (compressed: <Compress>) that re-verifies, and respects -NoClobber' -ForEach @(
        @{ Format = 'Jsonl'; Compress = $false; File = 'audit.jsonl' }
        @{ Format = 'Csv'; Compress = $true; File = 'audit.csv.gz' }
    ) {
        $t = New-TestLedger
        $target = Join-Path $t.Dir $File
        1..7 | ForEach-Object { @{ score = $_; note = 'a,b "c"' } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
        (Export-AuditLog -Path $target -Format $Format -Compress:$Compress -PassThru).Name | Should -Be $File
        (Test-AuditChain -Path $target).Valid | Should -BeTrue
        { Get-AuditRecord -First 3 | Export-AuditLog -Path $target -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileAlreadyExists,EvalSig.Commands.ExportAuditLogCommand'
    }
}

Describe 'New-AuditSignature' {
    It 'signs canonical JSON without appending' {
        $t = New-TestLedger
        $s = [ordered]@{ b = 2; a = 1.50 } | New-AuditSignature
        $s.CanonicalJson | Should -Be '{"a":1.5,"b":2}'
        $s.KeyId | Should -Be $t.KeyId
        $s.Hmac | Should -BeLike 'hmac-sha256:*'
        Join-Path $t.Ledger 'ledger.jsonl' | Should -Not -Exist
    }
}

Describe 'Get-AuditStatus and Repair-AuditLedger' {
    It 'reports a torn tail and repairs only the torn bytes' {
        $t = New-TestLedger
        @{ score = 1 }, @{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
        $path = Join-Path $t.Ledger 'ledger.jsonl'
        $good = [IO.File]::ReadAllBytes($path)
        [IO.File]::AppendAllText($path, '{"chain_pos')
        $s = Get-AuditStatus
        $s.Status | Should -Be 'degraded'
        $s.TornTail | Should -BeTrue
        $s.RecordCount | Should -Be 2
        (Test-AuditChain).TornTail | Should -BeTrue
        Repair-AuditLedger -WhatIf
        (Get-AuditStatus).TornTail | Should -BeTrue
        (Repair-AuditLedger -Confirm:$false).Bytes | Should -Be 11
        (Get-AuditStatus).Status | Should -Be 'ok'
        [IO.File]::ReadAllBytes($path) | Should -Be $good
        @(Get-ChildItem (Join-Path $t.Ledger 'quarantine')).Count | Should -Be 1
    }
}

Describe 'Register-AuditSchema and Get-AuditSchema' {
    It 'registers, lists and completes schema keys' {
        New-TestLedger | Out-Null
        (Register-AuditSchema acme.release.v1 approver:string, ticket -Description 'Release approvals').SchemaKey | Should -Be 'acme.release.v1'
        @(Get-AuditSchema).Count | Should -Be 19
        @(Get-AuditSchema halluccheck.*).Count | Should -Be 11
        { @{ ticket = 'T-1' } | Add-AuditRecord -SchemaKey acme.release.v1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditPayloadInvalid,EvalSig.Commands.AddAuditRecordCommand'
        $line = 'Add-AuditRecord -SchemaKey halluccheck.s'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
            Should -Be @('halluccheck.score.v1', 'halluccheck.secrets.v1')
        { Register-AuditSchema halluccheck.score.v1 x -ErrorAction Stop } | Should -Throw -ErrorId 'AuditSchemaInvalid,EvalSig.Commands.RegisterAuditSchemaCommand'
        { Register-AuditSchema acme.x.v1 'a:decimal' -ErrorAction Stop } | Should -Throw -ErrorId 'AuditSchemaInvalid,EvalSig.Commands.RegisterAuditSchemaCommand'
    }
}

Describe 'Audit keys' {
    It 'never appear in output or errors' {
        $t = New-TestLedger
        $secret = (Get-Content -LiteralPath $t.Key -Raw).Trim()
        $text = @(
            @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Format-List * | Out-String
            Get-AuditStatus | Format-List * | Out-String
            Test-AuditChain | Format-List * | Out-String
            Get-AuditRecord | Format-List * | Out-String
            try { @{ score = 'x' } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop } catch { $_ | Out-String }
        ) -join "`n"
        $text | Should -Not -BeNullOrEmpty
        $text.Contains($secret) | Should -BeFalse
    }
}
