# Issue 16, "the details users hit": date bounds, GateReport serialization, -PassThru/-Verbose/-Warning,
# SpanForge payloads, key variables, one interval format and the GateReport table view.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    function New-DetailsEnv {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        New-AuditKey -Path (Join-Path $dir 'audit.key') | Out-Null
        $dir
    }

    $script:Article30 = @{
        ControllerName = 'Acme Bank plc'; ControllerContact = 'privacy@acme.example'
        Purpose = 'Release evaluation'; DataSubjectCategory = 'Customers'
        PersonalDataCategory = 'Chat transcripts'; RecipientCategory = 'none'
    }
}

Describe 'A plain date as an upper bound' {
    It 'includes that whole UTC day in history, audit queries, scorecards and Article 30 windows' {
        $dir = New-DetailsEnv
        $ledger = Join-Path $dir 'ledger'; $key = Join-Path $dir 'audit.key'
        # A run stamped late on 30 June (UTC): -Until 2026-06-30 must include it, -Until 2026-06-29 must not.
        $run = Get-Content -Raw (Join-Path $ReferenceRoot 'tiny/baseline.json') | ConvertFrom-Json
        $run | Add-Member -NotePropertyName timestamp -NotePropertyValue '2026-06-30T18:00:00Z'
        $runPath = Join-Path $dir 'late.json'
        $run | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $runPath
        Save-EvalRun -Root (Join-Path $dir 'store') -Project p -InputObject $runPath | Out-Null
        @(Get-EvalHistory -Root (Join-Path $dir 'store') -Project p -Until 2026-06-30).Count | Should -Be 1
        @(Get-EvalHistory -Root (Join-Path $dir 'store') -Project p -Since 2026-06-30 -Until 2026-06-30).Count | Should -Be 1
        @(Get-EvalHistory -Root (Join-Path $dir 'store') -Project p -Until 2026-06-29).Count | Should -Be 0

        # Ledger records are stamped now: the record's own UTC day as -To includes it.
        @{ detected = $false } | Add-AuditRecord -Ledger $ledger -KeyPath $key -SchemaKey halluccheck.pii.v1 | Out-Null
        $stamp = (Get-AuditRecord -Ledger $ledger).Timestamp.UtcDateTime
        $day = $stamp.ToString('yyyy-MM-dd'); $before = $stamp.AddDays(-1).ToString('yyyy-MM-dd')
        @(Get-AuditRecord -Ledger $ledger -From $day -To $day).Count | Should -Be 1
        @(Get-AuditRecord -Ledger $ledger -To $before).Count | Should -Be 0
        $card = Get-TrustScorecard -Ledger $ledger -To $day
        $card.PiiHygiene.Score | Should -Be 100
        $card.To | Should -Be ([DateTimeOffset]::new($stamp.Date.AddDays(1), [TimeSpan]::Zero).AddTicks(-1))
        (Get-TrustScorecard -Ledger $ledger -To $before).PiiHygiene.RecordCount | Should -Be 0
        (New-Article30Record @Article30 -Ledger $ledger -KeyPath $key -To $day).Evidence.RecordCount | Should -Be 1
        (New-Article30Record @Article30 -Ledger $ledger -KeyPath $key -To $before).Evidence.RecordCount | Should -Be 0
        Export-AuditLog -Ledger $ledger -Path (Join-Path $dir 'day.jsonl') -To $day -PassThru | Get-Content | Should -HaveCount 1
    }
}

Describe 'GateReport serialization' {
    It 'leaves the two runs out of ConvertTo-Json and Export-Clixml and keeps them behind methods' {
        $dir = New-DetailsEnv
        $r = Invoke-EvalGate (Join-Path $RepoRoot 'examples/baseline.json') (Join-Path $RepoRoot 'examples/candidate.json') -MinDelta 0.005
        $r.GetBaseline() | Should -BeOfType ([EvalSig.Core.RunFrames.RunFrame])
        $r.GetCandidate().Count | Should -Be 600
        $r.PSObject.Properties.Name | Should -Not -Contain 'Baseline'
        $json = $r | ConvertTo-Json -Depth 10
        $json.Length | Should -BeLessThan 20000   # 379 KB when the runs were properties
        $json | Should -Not -Match 'rc-000-0'     # no item id of the runs
        $xml = Join-Path $dir 'r.xml'
        $r | Export-Clixml -LiteralPath $xml -Depth 10
        (Get-Item -LiteralPath $xml).Length | Should -BeLessThan 50000
        (Import-Clixml -LiteralPath $xml).CandidateRunId | Should -Be 'rc-2026-11-20-rc2'
        Write-Information ("json {0} bytes, clixml {1} bytes" -f $json.Length, (Get-Item -LiteralPath $xml).Length)
    }
}

Describe '-PassThru, -Verbose and warnings' {
    It 'returns the provider''s file item, rendered like Get-Item''s' {
        $dir = New-DetailsEnv
        $out = Join-Path $dir 'run.jsonl'
        $f = Import-RunFrame (Join-Path $ReferenceRoot 'tiny/baseline.json') | Export-RunFrame -Path $out -PassThru
        $f | Should -BeOfType ([System.IO.FileInfo])
        $f.PSParentPath | Should -Not -BeNullOrEmpty
        ($f | Format-Table | Out-String) | Should -Be (Get-Item -LiteralPath $out | Format-Table | Out-String)
        $r = Invoke-EvalGate (Join-Path $RepoRoot 'examples/baseline.json') (Join-Path $RepoRoot 'examples/candidate.json') -MinDelta 0.005
        ($r | Export-EvalReport -Path (Join-Path $dir 'r.md') -PassThru).PSChildName | Should -Be 'r.md'
    }

    It 'writes verbose lines for every file read or written' {
        $dir = New-DetailsEnv
        $ledger = Join-Path $dir 'ledger'; $key = Join-Path $dir 'audit.key'
        $base = Join-Path $ReferenceRoot 'tiny/baseline.json'
        $checks = @(
            { Import-RunFrame $base -Verbose }
            { Test-RunFrame $base -Verbose }
            { Import-RunFrame $base | Export-RunFrame -Path (Join-Path $dir 'x.json') -Verbose }
            { Invoke-EvalGate $base (Join-Path $ReferenceRoot 'tiny/candidate.json') -Verbose }
            { @{ score = 0.9 } | Add-AuditRecord -Ledger $ledger -KeyPath $key -SchemaKey halluccheck.score.v1 -Verbose }
            { Get-AuditRecord -Ledger $ledger -Verbose }
            { Export-AuditLog -Ledger $ledger -Path (Join-Path $dir 'a.jsonl') -Verbose }
            { Export-AuditCheckpoint -Ledger $ledger -KeyPath $key -Path (Join-Path $dir 'cp.json') -Verbose }
            { Save-EvalRun -Root (Join-Path $dir 'store') -Project p -InputObject $base -Verbose }
            { Get-EvalHistory -Root (Join-Path $dir 'store') -Project p -Verbose }
            { New-AuditKey -Path (Join-Path $dir 'k2.key') -Verbose }
        )
        foreach ($c in $checks) {
            $verbose = & $c 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            $verbose | Should -Not -BeNullOrEmpty -Because "$c should say which files it touches"
        }
    }

    It 'warns when coverage is low or clusters are few' {
        $dir = New-DetailsEnv
        $b = Import-RunFrame (Join-Path $ReferenceRoot 'partial-overlap/baseline.json')
        $c = Import-RunFrame (Join-Path $ReferenceRoot 'partial-overlap/candidate.json')
        $null = Invoke-EvalGate $b $c -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -Match 'Low coverage'
        $null = Invoke-EvalGate -Pair @{ Name = 'po'; Baseline = $b; Candidate = $c } -WarningVariable rw -WarningAction SilentlyContinue
        ($rw -join "`n") | Should -Match '^po: Low coverage'
        $null = Invoke-EvalGate (Join-Path $ReferenceRoot 'binary-unclustered/baseline.json') (Join-Path $ReferenceRoot 'binary-unclustered/candidate.json') -WarningVariable quiet -WarningAction SilentlyContinue
        $quiet | Should -BeNullOrEmpty
    }
}

Describe 'Audit keys and payloads' {
    It 'counts SpanForge gate payloads ({"decision": "allow"}) in the gate pass rate' {
        $dir = New-DetailsEnv
        $ledger = Join-Path $dir 'ledger'; $key = Join-Path $dir 'audit.key'
        @{ decision = 'allow'; policy = 'data-access' }, @{ decision = 'deny'; policy = 'data-access' } |
            Add-AuditRecord -Ledger $ledger -KeyPath $key -SchemaKey halluccheck.gate.v1 | Out-Null
        $card = Get-TrustScorecard -Ledger $ledger
        $card.GatePassRate.RecordCount | Should -Be 2
        $card.GatePassRate.Score | Should -Be 50
    }

    It 'takes the key text from EVALSIG_AUDIT_KEY and a key file from EVALSIG_AUDIT_KEY_FILE' {
        $dir = New-DetailsEnv
        $ledger = Join-Path $dir 'ledger'; $key = Join-Path $dir 'audit.key'
        $saved = $env:EVALSIG_AUDIT_KEY, $env:EVALSIG_AUDIT_KEY_FILE
        try {
            $env:EVALSIG_AUDIT_KEY = $null; $env:EVALSIG_AUDIT_KEY_FILE = $key
            (@{ score = 1 } | Add-AuditRecord -Ledger $ledger -SchemaKey halluccheck.score.v1).ChainPosition | Should -Be 0
            $env:EVALSIG_AUDIT_KEY_FILE = $null; $env:EVALSIG_AUDIT_KEY = (Get-Content -Raw -LiteralPath $key).Trim()
            (Test-AuditChain -Ledger $ledger).Valid | Should -BeTrue
            $env:EVALSIG_AUDIT_KEY = $key
            { Test-AuditChain -Ledger $ledger -ErrorAction Stop } | Should -Throw -ErrorId 'AuditKeyInvalid,EvalSig.Commands.TestAuditChainCommand'
        }
        finally { $env:EVALSIG_AUDIT_KEY, $env:EVALSIG_AUDIT_KEY_FILE = $saved }
    }
}

Describe 'Confidence intervals and the table view' {
    It 'writes the interval one way in the list view, the table view, text and Markdown' {
        $r = Invoke-EvalGate (Join-Path $RepoRoot 'examples/baseline.json') (Join-Path $RepoRoot 'examples/candidate.json') -MinDelta 0.005
        $ci = [EvalSig.Core.Gating.IntervalText]::Of($r.Comparison)
        $ci | Should -Match '^95% \[\+0\.\d{6}, \+inf\)$'
        ($r | Format-List | Out-String) | Should -Match ([regex]::Escape("CI         : $ci"))
        ($r | Export-EvalReport -Format Text) | Should -Match ([regex]::Escape($ci.Substring(4)))
        ($r | Export-EvalReport -Format Markdown) | Should -Match ([regex]::Escape($ci.Substring(4)))
        $table = $r, $r | Format-Table | Out-String -Width 200
        $table | Should -Match 'Task/Candidate\s+Verdict\s+Reason\s+Delta\s+CI\s+p'
        $table | Should -Match ([regex]::Escape($ci))
        @($table -split "`n" | Where-Object { $_ -match '^rc-2026-11-20-rc2\s+ALLOW\s+Improved' }).Count | Should -Be 2
    }
}
