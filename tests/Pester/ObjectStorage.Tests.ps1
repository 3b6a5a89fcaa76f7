# The audit cmdlets and the run store on object storage, against Azurite and s3rver started here.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'Emulators.ps1')
    $script:Azurite = Start-TestEmulator azurite
    $script:S3rver = Start-TestEmulator s3rver
    $script:SavedCache = $env:EVALSIG_CACHE_DIR
    $env:EVALSIG_CACHE_DIR = Join-Path $TestDrive 'cache'
    $script:SavedKey = $env:EVALSIG_AUDIT_KEY
    $env:EVALSIG_AUDIT_KEY = New-AuditKey -AsBase64
}

AfterAll {
    Stop-TestEmulator $script:Azurite
    Stop-TestEmulator $script:S3rver
    $env:EVALSIG_CACHE_DIR = $script:SavedCache
    $env:EVALSIG_AUDIT_KEY = $script:SavedKey
}

Describe 'Add-AuditRecord, Get-AuditRecord and Test-AuditChain with -Ledger az://' {
    BeforeEach { Use-TestEmulatorCredential $script:Azurite }

    It 'appends a batch and single records as one contiguous chain that verifies, anchored by a checkpoint' {
        $ledger = New-TestLocation $script:Azurite 'pester'
        $batch = 1..3 | ForEach-Object { @{ score = $_ / 10 } } | Add-AuditRecord -Ledger $ledger -SchemaKey halluccheck.score.v1 -ProjectId p
        $one = Add-AuditRecord -Ledger $ledger -Payload @{ detected = $false } -SchemaKey halluccheck.pii.v1
        @($batch + $one).ChainPosition | Should -Be @(0, 1, 2, 3)
        $one | Should -BeOfType ([EvalSig.Core.Audit.AuditRecord])
        $one.Backend | Should -Be 'azure-blob'
        @(Get-AuditRecord -Ledger $ledger -ProjectId p).ChainPosition | Should -Be @(0, 1, 2)
        $cp = Join-Path $TestDrive 'cp.json'
        Export-AuditCheckpoint -Ledger $ledger -Path $cp | Out-Null
        $v = Test-AuditChain -Ledger $ledger -Checkpoint $cp
        $v | Should -BeOfType ([EvalSig.Core.Audit.ChainVerification])
        $v.Valid | Should -BeTrue
        $v.Anchored | Should -BeTrue
        $v.VerifiedCount | Should -Be 4
    }

    It 'registers schemas in the container and rebuilds the query cache' {
        $ledger = New-TestLocation $script:Azurite 'pester'
        Register-AuditSchema -Ledger $ledger acme.review.v1 reviewer:string | Should -BeOfType ([EvalSig.Core.Audit.AuditSchema])
        (Get-AuditSchema -Ledger $ledger acme.*).SchemaKey | Should -Be 'acme.review.v1'
        { Add-AuditRecord -Ledger $ledger -Payload @{ x = 1 } -SchemaKey acme.review.v1 -ErrorAction Stop } | Should -Throw -ErrorId 'AuditPayloadInvalid,EvalSig.Commands.AddAuditRecordCommand'
        (Add-AuditRecord -Ledger $ledger -Payload @{ reviewer = 'kim' } -SchemaKey acme.review.v1).ChainPosition | Should -Be 0
        $r = Repair-AuditLedger -Ledger $ledger -RebuildIndex -Confirm:$false
        $r.Repaired | Should -BeFalse
        $r.Reason | Should -Match 'rebuilt'
        @(Get-AuditRecord -Ledger $ledger).Count | Should -Be 1
    }
}

Describe 'Get-AuditStatus on object storage' {
    It 'reports the backend, container, conditional writes and retention (Azurite)' {
        Use-TestEmulatorCredential $script:Azurite
        $ledger = New-TestLocation $script:Azurite 'pester'
        Add-AuditRecord -Ledger $ledger -Payload @{ score = 1 } -SchemaKey halluccheck.score.v1 | Out-Null
        $s = Get-AuditStatus -Ledger $ledger
        $s | Should -BeOfType ([EvalSig.Core.Audit.AuditStatus])
        $s.Status | Should -Be 'ok'
        $s.Backend | Should -Be 'azure-blob'
        $s.Container | Should -Be 'pester'
        $s.ConditionalWrites | Should -BeTrue
        $s.ChainLength | Should -Be 1
        $s.RetentionEnforced | Should -BeFalse
        ($s | Out-String) | Should -Match 'ConditionalWrites'
    }

    It 'is degraded, with the reason and no secret, when the service does not answer' {
        Use-TestEmulatorCredential $script:Azurite
        $s = Get-AuditStatus -Ledger 'az://nowhere/p?account=devstoreaccount1&endpoint=http%3A%2F%2F127.0.0.1%3A9%2Fdevstoreaccount1'
        $s.Status | Should -Be 'degraded'
        ($s.Problems -join ' ') | Should -Match 'no answer'
        ($s.Problems -join ' ') | Should -Not -Match ([regex]::Escape($script:AzuriteKey.Substring(0, 12)))
    }
}

Describe 'Multi-writer mode on a service without conditional writes (s3rver)' {
    BeforeEach { Use-TestEmulatorCredential $script:S3rver }

    It 'refuses appends in multi-writer mode and writes nothing' {
        $ledger = New-TestLocation $script:S3rver 'pester'
        { Add-AuditRecord -Ledger $ledger -Payload @{ score = 1 } -SchemaKey halluccheck.score.v1 -ErrorAction Stop } | Should -Throw -ErrorId 'StorageUnsafe,EvalSig.Commands.AddAuditRecordCommand'
        $s = Get-AuditStatus -Ledger $ledger
        $s.ConditionalWrites | Should -BeFalse
        $s.ChainLength | Should -Be 0
    }

    It 'appends in declared single-writer mode, and refuses -Immutable where the bucket cannot hold it' {
        $ledger = New-TestLocation $script:S3rver 'pester' 'writers=single'
        (Add-AuditRecord -Ledger $ledger -Payload @{ score = 1 } -SchemaKey halluccheck.score.v1).ChainPosition | Should -Be 0
        (Test-AuditChain -Ledger $ledger).Valid | Should -BeTrue
        { Add-AuditRecord -Ledger $ledger -Payload @{ score = 1 } -SchemaKey halluccheck.score.v1 -Immutable -RetentionDays 7 -RetentionMode Compliance -ErrorAction Stop } |
            Should -Throw -ErrorId 'StorageRetentionUnsupported,EvalSig.Commands.AddAuditRecordCommand'
    }
}

Describe 'Save-EvalRun, Get-EvalHistory and Import-EvalRun with -Root az://' {
    It 'saves, lists and reads back a run; history objects pipe into Import-EvalRun' {
        Use-TestEmulatorCredential $script:Azurite
        $root = New-TestLocation $script:Azurite 'pester-runs'
        $frame = Import-RunFrame (Join-Path $script:ReferenceRoot 'tiny/candidate.json')
        $saved = $frame | Save-EvalRun -Root $root -Project chat -PassThru
        $saved | Should -BeOfType ([EvalSig.Core.RunStore.StoredRun])
        $saved.Path | Should -Match '^az://pester-runs/.+/chat/year=\d{4}/month=\d\d/run_id=.+\.parquet\?'
        $history = @(Get-EvalHistory -Root $root -Project chat)
        $history.Count | Should -Be 1
        $back = $history | Import-EvalRun
        $back | Should -BeOfType ([EvalSig.Core.RunFrames.RunFrame])
        $back.Count | Should -Be $frame.Count
        (Import-EvalRun -Root $root -Project chat -RunId $frame.RunId).Count | Should -Be $frame.Count
    }
}

Describe 'Save-EvalRun on object storage: conflicts, versions and services without conditional writes' {
    It 'refuses other content under a stored run id, keeps the old version with -Force (Azurite)' {
        Use-TestEmulatorCredential $script:Azurite
        $root = New-TestLocation $script:Azurite 'pester-runs'
        $frame = Import-RunFrame (Join-Path $script:ReferenceRoot 'tiny/baseline.json')
        $frame | Save-EvalRun -Root $root -Project p
        $other = Import-RunFrame (Join-Path $script:ReferenceRoot 'tiny/candidate.json') -RunId $frame.RunId
        { $other | Save-EvalRun -Root $root -Project p -ErrorAction Stop } | Should -Throw -ErrorId 'RunAlreadyExists,EvalSig.Commands.SaveEvalRunCommand'
        ($other | Save-EvalRun -Root $root -Project p -Force -PassThru).Version | Should -Be 2
        $all = @(Get-EvalHistory -Root $root -Project p -IncludeSuperseded)
        $all.Count | Should -Be 2
        @($all | Where-Object Superseded).Path | Should -Match '\.parquet\.v1\.superseded\?'
        (Import-EvalRun -Root $root -Project p -RunId $frame.RunId).Count | Should -Be $other.Count
    }

    It 'refuses to save on s3rver in multi-writer mode and saves in declared single-writer mode' {
        Use-TestEmulatorCredential $script:S3rver
        $frame = Import-RunFrame (Join-Path $script:ReferenceRoot 'tiny/baseline.json')
        $multi = New-TestLocation $script:S3rver 'pester-runs'
        { $frame | Save-EvalRun -Root $multi -Project p -ErrorAction Stop } | Should -Throw -ErrorId 'StorageUnsafe,EvalSig.Commands.SaveEvalRunCommand'
        $single = New-TestLocation $script:S3rver 'pester-runs' 'writers=single'
        ($frame | Save-EvalRun -Root $single -Project p -PassThru).Path | Should -Match '^s3://pester-runs/'
        @(Get-EvalHistory -Root $single -Project p).Count | Should -Be 1
    }
}

Describe 'evalsig audit with --ledger s3:// and az://' {
    It 'appends and reports status from the command line' {
        Use-TestEmulatorCredential $script:Azurite
        $ledger = New-TestLocation $script:Azurite 'pester-cli'
        $out = '{"score":0.5}', '{"score":0.6}' | & dotnet $script:CliDll audit append --ledger $ledger --schema-key halluccheck.score.v1 --batch-size 1
        $LASTEXITCODE | Should -Be 0
        @($out).Count | Should -Be 2
        $status = & dotnet $script:CliDll audit status --ledger $ledger
        ($status -join "`n") | Should -Match 'Conditional\s+yes'
        & dotnet $script:CliDll audit verify --ledger $ledger | Out-Null
        $LASTEXITCODE | Should -Be 0
    }
}
