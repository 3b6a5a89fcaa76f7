# Issues 15 and 17 as a pwsh user meets them: verification that fails closed, keys (explicit, rotated,
# weak, exposed), the record-format migration, strict records, uncommitted batches, the authenticated
# index (keyless warning, tampering, catch-up progress, -UpdateIndex) and storage faults by name.
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
        [pscustomobject]@{ Dir = $dir; Ledger = Join-Path $dir 'ledger'; File = Join-Path $dir 'ledger/ledger.jsonl'; Key = $key; KeyId = $info.KeyId }
    }

    function Add-Scores([int] $Count, [switch] $UpdateIndex) {
        1..$Count | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -UpdateIndex:$UpdateIndex | Out-Null
    }

    # Runs a script in a fresh runspace of this pwsh (the module imported, the test's defaults set) and
    # returns its output, warnings and progress records, which Pester cannot capture from the session.
    function Invoke-Streams([string] $Script, [hashtable] $Defaults = $global:PSDefaultParameterValues) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$ModuleManifest'; `$PSDefaultParameterValues = `$args[0]; `$ProgressPreference = 'Continue'`n$Script").AddArgument($Defaults.Clone())
            $out = $ps.Invoke()
            [pscustomobject]@{
                Output   = @($out)
                Warnings = @($ps.Streams.Warning | ForEach-Object Message)
                Progress = @($ps.Streams.Progress)
                Errors   = @($ps.Streams.Error)
            }
        }
        finally {
            $ps.Dispose()
        }
    }

    # A format-1 ledger as EvalSig 0.1.0 wrote it: records MAC'd with the undivided key, no version member.
    function Write-FormatOneLedger([string] $Directory, [byte[]] $Key, [int] $Count) {
        New-Item -ItemType Directory -Path $Directory -Force | Out-Null
        $keyId = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($Key)).ToLowerInvariant().Substring(0, 16)
        $prev = $null
        $lines = for ($i = 0; $i -lt $Count; $i++) {
            $prevJson = if ($null -eq $prev) { 'null' } else { "`"$prev`"" }
            $body = "{`"chain_position`":$i,`"key_id`":`"$keyId`",`"payload`":{`"score`":$i},`"prev_hmac`":$prevJson,`"project_id`":null,`"record_id`":`"0190f3a0-0000-7000-8000-00000000000$i`",`"schema_key`":`"halluccheck.score.v1`",`"timestamp`":`"2025-06-01T00:00:0$i.000000Z`"}"
            $hmac = 'hmac-sha256:' + [Convert]::ToHexString([Security.Cryptography.HMACSHA256]::HashData($Key, [Text.Encoding]::UTF8.GetBytes($body))).ToLowerInvariant()
            $body.Replace("{`"chain_position`":$i,", "{`"chain_position`":$i,`"hmac`":`"$hmac`",")
            $prev = $hmac
        }
        [IO.File]::WriteAllText((Join-Path $Directory 'ledger.jsonl'), ($lines -join "`n") + "`n")
    }
}

AfterAll {
    $global:PSDefaultParameterValues.Remove('*-Audit*:Ledger')
    $global:PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
}

Describe 'Verification fails closed' {
    It 'is <Id> when there is nothing to verify: <Name>' -ForEach @(
        @{ Name = 'a mistyped ledger path'; Script = { Test-AuditChain -Ledger (Join-Path $t.Dir 'typo') -ErrorAction Stop }; Id = 'AuditLedgerNotFound,EvalSig.Commands.TestAuditChainCommand' }
        @{ Name = 'a ledger path that is a file'; Script = { Test-AuditChain -Ledger $t.File -ErrorAction Stop }; Id = 'AuditLedgerNotFound,EvalSig.Commands.TestAuditChainCommand' }
        @{ Name = 'a ledger.jsonl that is a directory'; Script = { New-Item -ItemType Directory (Join-Path $t.Dir 'odd/ledger.jsonl') -Force | Out-Null; Test-AuditChain -Ledger (Join-Path $t.Dir 'odd') -ErrorAction Stop }; Id = 'AuditLedgerNotFound,EvalSig.Commands.TestAuditChainCommand' }
        @{ Name = 'a query of a missing ledger'; Script = { Get-AuditRecord -Ledger (Join-Path $t.Dir 'typo') -ErrorAction Stop }; Id = 'AuditLedgerNotFound,EvalSig.Commands.GetAuditRecordCommand' }
        @{ Name = 'an export of a missing ledger'; Script = { Export-AuditLog -Ledger (Join-Path $t.Dir 'typo') -Path (Join-Path $t.Dir 'x.jsonl') -ErrorAction Stop }; Id = 'AuditLedgerNotFound,EvalSig.Commands.ExportAuditLogCommand' }
        @{ Name = 'a missing export file'; Script = { Test-AuditChain -Path (Join-Path $t.Dir 'none.jsonl') -ErrorAction Stop }; Id = 'AuditExportInvalid,EvalSig.Commands.TestAuditChainCommand' }
    ) {
        $t = New-TestLedger
        Add-Scores 1
        $Script | Should -Throw -ErrorId $Id
        (Get-AuditStatus -Ledger (Join-Path $t.Dir 'typo')).Status | Should -Be 'missing'
    }

    It 'finds an export whose first positions were removed, unless -Range says so, and checks a checkpoint for piped records' {
        $t = New-TestLedger
        $x = Join-Path $t.Dir 'x.jsonl'
        $cp = Join-Path $t.Dir 'cp.json'
        Add-Scores 6
        Export-AuditCheckpoint $cp | Out-Null
        Get-AuditRecord -Skip 2 | Export-AuditLog -Path $x
        $gapped = Test-AuditChain -Path $x
        $gapped.Valid | Should -BeFalse
        $gapped.Gaps | Should -Be @(0, 1)
        (Test-AuditChain -Path $x -Range).Valid | Should -BeTrue
        $piped = Get-AuditRecord -First 4 | Test-AuditChain -Checkpoint $cp
        $piped.Valid | Should -BeFalse
        $piped.Reason | Should -Match 'the records given do not contain position 5'
        (Get-AuditRecord | Test-AuditChain -Checkpoint $cp).Anchored | Should -BeTrue
    }
}

Describe 'Domain separation' {
    It 'does not let New-AuditSignature forge a checkpoint of a truncated ledger' {
        $t = New-TestLedger
        $cp = Join-Path $t.Dir 'forged.json'
        Add-Scores 4
        $head = Get-AuditRecord -Skip 1 -First 1
        $body = [ordered]@{ created_at = '2026-01-01T00:00:00.000000Z'; head_hmac = $head.Hmac; key_id = $head.KeyId; position = 1; record_count = 2; schema_key = 'evalsig.checkpoint.v1'; version = 2 }
        $body['hmac'] = ($body | New-AuditSignature).Hmac
        $body | ConvertTo-Json -Compress | Set-Content -LiteralPath $cp
        $v = Test-AuditChain -Checkpoint $cp
        $v.Valid | Should -BeFalse
        $v.Reason | Should -Match "checkpoint's HMAC does not verify"
    }

    It 'refuses the reserved schema keys in Add-AuditRecord' {
        New-TestLedger | Out-Null
        { @{ from_version = 1; legacy_records = 0; legacy_head_hmac = 'x' } | Add-AuditRecord -SchemaKey evalsig.migration.v1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditSchemaInvalid,EvalSig.Commands.AddAuditRecordCommand'
    }
}

Describe 'Update-AuditLedger' {
    It 'migrates a format-1 ledger explicitly and once, and appends wait for it' {
        $t = New-TestLedger
        Write-FormatOneLedger $t.Ledger ([Convert]::FromBase64String((Get-Content -LiteralPath $t.Key -Raw).Trim())) 3
        $before = Test-AuditChain
        $before.Valid | Should -BeFalse
        $before.LegacyCount | Should -Be 3
        (Get-AuditStatus).RecordFormat | Should -Be 1
        { @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditLedgerMigrationRequired,EvalSig.Commands.AddAuditRecordCommand'
        Update-AuditLedger -WhatIf
        @(Get-Content -LiteralPath $t.File).Count | Should -Be 3
        $m = Update-AuditLedger -Confirm:$false
        $m | Should -BeOfType ([EvalSig.Core.Audit.MigrationResult])
        $m.Migrated | Should -BeTrue
        $m.MigrationPosition | Should -Be 3
        (Update-AuditLedger -Confirm:$false).Migrated | Should -BeFalse
        (Test-AuditChain).Valid | Should -BeTrue
        (@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1).ChainPosition | Should -Be 4
    }
}

Describe 'Audit keys: explicit, rotated, weak and exposed' {
    It 'lets an explicit -KeyPath replace $env:EVALSIG_AUDIT_KEY instead of joining it' {
        $t = New-TestLedger
        Add-Scores 2
        $other = Join-Path $t.Dir 'other.key'
        New-AuditKey -Path $other | Out-Null
        $saved = $env:EVALSIG_AUDIT_KEY
        $env:EVALSIG_AUDIT_KEY = (Get-Content -LiteralPath $t.Key -Raw).Trim()
        try {
            (Test-AuditChain -KeyPath $other).Valid | Should -BeFalse -Because 'the environment key must not rescue a ledger the given key does not sign'
            $global:PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
            (Test-AuditChain).Valid | Should -BeTrue -Because 'without an explicit key the environment key is used'
        }
        finally {
            $env:EVALSIG_AUDIT_KEY = $saved
        }
    }

    It 'rotates with New-AuditKey -Rotate: the old key becomes verify-only, and the old key signing later is caught' {
        $t = New-TestLedger
        $old = Join-Path $t.Dir 'old-copy.key'
        Copy-Item -LiteralPath $t.Key -Destination $old
        Add-Scores 1
        $k = New-AuditKey -Path $t.Key -Rotate -RecordRotationIn $t.Ledger
        $k | Should -BeOfType ([EvalSig.Core.Audit.AuditKeyInfo])
        $k.RetiredKeyId | Should -Be $t.KeyId
        $k.KeyId | Should -Not -Be $t.KeyId
        (Get-Content -LiteralPath $t.Key -Raw) | Should -Match 'verify-only'
        (Test-AuditChain).Valid | Should -BeTrue
        @{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -KeyPath $old | Out-Null
        $v = Test-AuditChain
        $v.Valid | Should -BeFalse
        $v.FirstTampered.Position | Should -Be 2
        $v.FirstTampered.Reason | Should -Match 'rotated out'
    }

    It 'refuses to sign with a verify-only key (AuditKeyRetired)' {
        $t = New-TestLedger
        $secret = (Get-Content -LiteralPath $t.Key -Raw).Trim()
        $retired = Join-Path $t.Dir 'retired.key'
        Set-Content -LiteralPath $retired -Value "{`"format`":`"evalsig.keyring.v1`",`"keys`":[{`"status`":`"verify-only`",`"key`":`"$secret`",`"retired_at`":`"2026-01-01T00:00:00.000000Z`"}]}"
        if (-not $IsWindows) { [IO.File]::SetUnixFileMode($retired, [IO.UnixFileMode]'UserRead, UserWrite') }
        { @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -KeyPath $retired -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditKeyRetired,EvalSig.Commands.AddAuditRecordCommand'
        $t.File | Should -Not -Exist
    }

    It 'refuses a weak key by name: <Name>' -ForEach @(
        @{ Name = 'all zero bytes'; Bytes = [byte[]]::new(32) }
        @{ Name = 'all the same byte'; Bytes = [byte[]](, 7 * 32) }
        @{ Name = '128 bits'; Bytes = [byte[]](1..16) }
    ) {
        New-TestLedger | Out-Null
        $weak = ConvertTo-SecureString ([Convert]::ToBase64String($Bytes)) -AsPlainText -Force
        $global:PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
        { @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -Key $weak -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuditKeyInvalid,EvalSig.Commands.AddAuditRecordCommand'
    }

    It 'refuses a key file others can read for signing, and warns when verifying with it' -Skip:$IsWindows {
        $t = New-TestLedger
        Add-Scores 1
        [IO.File]::SetUnixFileMode($t.Key, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $err = $null
        try { @{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'AuditKeyInsecure,EvalSig.Commands.AddAuditRecordCommand'
        "$err" | Should -Match 'mode 0644'
        $v = Test-AuditChain -WarningVariable warnings -WarningAction SilentlyContinue
        $v.Valid | Should -BeTrue
        ($warnings -join ' ') | Should -Match 'chmod 600'
    }
}

Describe 'Strict records' {
    It 'finds <Name> as tampered at its position' -ForEach @(
        @{ Name = 'an extra top-level member'; Edit = { param($l) $l.Replace('"payload":', '"approved_by":"CFO","payload":') } }
        @{ Name = 'a space after a colon'; Edit = { param($l) $l.Replace('"score":2', '"score": 2') } }
        @{ Name = '2E0 for 2'; Edit = { param($l) $l.Replace('"score":2', '"score":2E0') } }
        @{ Name = 'a \u escape'; Edit = { param($l) $l.Replace('halluccheck', 'hallu\u0063check') } }
    ) {
        $t = New-TestLedger
        Add-Scores 3
        $lines = Get-Content -LiteralPath $t.File
        $edited = & $Edit $lines[1]
        $edited | Should -Not -Be $lines[1]
        $lines[1] = $edited
        [IO.File]::WriteAllText($t.File, ($lines -join "`n") + "`n")
        $v = Test-AuditChain
        $v.Valid | Should -BeFalse
        $v.FirstTampered.Position | Should -Be 1
    }

    It 'refuses a payload JSON cannot carry exactly: <Name>' -ForEach @(
        @{ Name = 'duplicate member'; Payload = '{"score":1,"score":2}' }
        @{ Name = 'outside the range'; Payload = '{"score":1e999}' }
        @{ Name = 'significant digits'; Payload = '{"score":1234567890123456789}' }
        @{ Name = 'would become 0'; Payload = '{"score":1e-400}' }
        @{ Name = 'lone UTF-16 surrogate'; Payload = '{"score":1,"x":"\ud800"}' }
    ) {
        New-TestLedger | Out-Null
        $err = $null
        try { $Payload | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'AuditPayloadInvalid,EvalSig.Commands.AddAuditRecordCommand'
        "$err" | Should -Match $Name
        (Get-AuditStatus).RecordCount | Should -Be 0
    }
}

Describe 'Uncommitted batches' {
    It 'hides the records of a batch cut by a crash from queries, status, exports and checkpoints' {
        $t = New-TestLedger
        Add-Scores 6
        # The first four lines committed; a batch of three started at their end and was cut after two lines.
        $bytes = [IO.File]::ReadAllBytes($t.File)
        $committed = 0; $lines = 0
        while ($lines -lt 4) { if ($bytes[$committed] -eq 10) { $lines++ }; $committed++ }
        Set-Content -LiteralPath (Join-Path $t.Ledger 'ledger.batch') -Value "{`"start`":$committed,`"count`":3}" -NoNewline
        (Get-AuditRecord).ChainPosition | Should -Be @(0, 1, 2, 3)
        $s = Get-AuditStatus
        $s.RecordCount | Should -Be 4
        $s.UncommittedBytes | Should -BeGreaterThan 0
        $s.Status | Should -Be 'degraded'
        $cp = Join-Path $t.Dir 'cp.json'
        (Export-AuditCheckpoint $cp).Position | Should -Be 3
        Get-AuditRecord | Export-AuditLog -Path (Join-Path $t.Dir 'x.jsonl')
        @(Get-Content (Join-Path $t.Dir 'x.jsonl')).Count | Should -Be 4
        Repair-AuditLedger -Confirm:$false | Out-Null
        (Get-Item $t.File).Length | Should -Be $committed
        $v = Test-AuditChain -Checkpoint $cp
        $v.Valid | Should -BeTrue
        $v.Anchored | Should -BeTrue -Because 'the checkpoint anchored only committed records, so the repair cannot break it'
    }
}

Describe 'The authenticated index' {
    It 'tells a reader without a key that the index is unauthenticated, and a reader with one nothing' {
        $t = New-TestLedger
        Add-Scores 3
        $keyless = $global:PSDefaultParameterValues.Clone()
        $keyless.Remove('*-Audit*:KeyPath')
        $saved = $env:EVALSIG_AUDIT_KEY
        $env:EVALSIG_AUDIT_KEY = $null
        try {
            $r = Invoke-Streams '@(Get-AuditRecord).Count; (Get-AuditStatus).IndexAuthenticated' $keyless
        }
        finally {
            $env:EVALSIG_AUDIT_KEY = $saved
        }
        $r.Output | Should -Be @(3, $false)
        ($r.Warnings -join ' ') | Should -Match 'unauthenticated'
        $keyed = Invoke-Streams '@(Get-AuditRecord).Count; (Get-AuditStatus).IndexAuthenticated'
        $keyed.Output | Should -Be @(3, $true)
        $keyed.Warnings | Should -BeNullOrEmpty
    }

    It 'shows catch-up progress, and Add-AuditRecord -UpdateIndex leaves nothing to catch up' {
        New-TestLedger | Out-Null
        Add-Scores 50
        $first = Invoke-Streams '@(Get-AuditRecord).Count'
        $first.Output | Should -Be 50
        $first.Progress.Activity | Should -Contain 'Indexing ledger.jsonl'
        Add-Scores 20 -UpdateIndex
        $after = Invoke-Streams '@(Get-AuditRecord).Count'
        $after.Output | Should -Be 70
        $after.Progress.Activity | Should -Not -Contain 'Indexing ledger.jsonl'
    }

    It 'reports another ledger''s index put in place as degraded, answers truly and rebuilds it' {
        $t = New-TestLedger
        $other = Join-Path $t.Dir 'other'
        Add-Scores 30
        Get-AuditRecord | Out-Null
        1..31 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -Ledger $other | Out-Null
        Get-AuditRecord -Ledger $other | Out-Null
        Get-ChildItem -LiteralPath $t.Ledger -Filter 'index.sqlite*' | Remove-Item
        Get-ChildItem -LiteralPath $other -Filter 'index.sqlite*' | Copy-Item -Destination $t.Ledger
        $r = Invoke-Streams '$s = Get-AuditStatus; $s.Status; $s.RecordCount; $s.Problems -join " "; @(Get-AuditRecord).Count; (Get-AuditStatus).Status'
        $r.Output[0] | Should -Be 'degraded'
        $r.Output[1] | Should -Be 30
        $r.Output[2] | Should -Match 'did not match'
        $r.Output[3] | Should -Be 30
        $r.Output[4] | Should -Be 'ok'
        ($r.Warnings -join ' ') | Should -Match 'did not match'
    }
}

Describe 'Storage faults by name' {
    # It used to wait 60 s for the lock and then say AuditLedgerBusy; now the fault has its own id.
    It 'refuses an append to a read-only ledger by name, and still reads and verifies it' -Skip:$IsWindows {
        $t = New-TestLedger
        Add-Scores 1
        # Root ignores mode bits: bind-mount the directory read-only where the machine allows.
        $mounted = $false
        if ($IsLinux -and (id -u) -eq '0') {
            & mount --bind $t.Ledger $t.Ledger 2>$null
            if ($LASTEXITCODE -eq 0) {
                & mount -o 'remount,bind,ro' $t.Ledger 2>$null
                $mounted = $LASTEXITCODE -eq 0
                if (-not $mounted) { & umount $t.Ledger }
            }
        }
        if (-not $mounted) { [IO.File]::SetUnixFileMode($t.Ledger, [IO.UnixFileMode]'UserRead, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute') }
        try {
            $expected = if ($mounted) { 'StorageReadOnly' } else { 'StorageAccessDenied' }
            { @{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ErrorAction Stop } |
                Should -Throw -ErrorId "$expected,EvalSig.Commands.AddAuditRecordCommand"
            @(Get-AuditRecord).Count | Should -Be 1
            (Test-AuditChain).Valid | Should -BeTrue
        }
        finally {
            if ($mounted) { & umount $t.Ledger } else { [IO.File]::SetUnixFileMode($t.Ledger, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
        }
    }
}
