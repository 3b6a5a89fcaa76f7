BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    function New-TestEnv {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $key = Join-Path $dir 'audit.key'
        New-AuditKey -Path $key | Out-Null
        Copy-Item (Join-Path $ReferenceRoot 'binary-unclustered/baseline.json') (Join-Path $dir 'base.json')
        Copy-Item (Join-Path $ReferenceRoot 'binary-unclustered/candidate.json') (Join-Path $dir 'cand.json')
        $global:PSDefaultParameterValues['*:Ledger'] = Join-Path $dir 'ledger'
        $global:PSDefaultParameterValues['*-Audit*:KeyPath'] = $key
        $global:PSDefaultParameterValues['New-Article30Record:KeyPath'] = $key
        Set-Location -LiteralPath $dir
        $dir
    }
}

AfterAll {
    foreach ($k in '*:Ledger', '*-Audit*:KeyPath', 'New-Article30Record:KeyPath') { $global:PSDefaultParameterValues.Remove($k) }
}

Describe 'Get-TrustScorecard' {
    It 'scores from the ledger and says no data rather than inventing a score' {
        Push-Location
        try {
            New-TestEnv | Out-Null
            @{ score = 0.9 }, @{ score = 0.7 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
            @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | Out-Null
            Invoke-EvalGate ./base.json ./cand.json -MinDelta 0.005 | Add-AuditRecord | Out-Null
            $c = Get-TrustScorecard
            $c.Hallucination.Score | Should -Be 80
            $c.Hallucination.Band | Should -Be 'green'
            $c.Hallucination.Trend | Should -Be 'down'
            $c.PiiHygiene.Score | Should -Be 100
            $c.GatePassRate.Score | Should -Be 100
            $c.SecretsHygiene.Score | Should -BeNullOrEmpty
            $c.SecretsHygiene.Status | Should -Be 'no data'
            $c.RecordCount | Should -Be 4
            { Get-TrustScorecard -From 'whenever' -ErrorAction Stop } | Should -Throw -ErrorId 'AuditQueryInvalid,EvalSig.Commands.GetTrustScorecardCommand'
        }
        finally { Pop-Location }
    }

    It 'sees the ledger as it was with -AsOf' {
        Push-Location
        try {
            New-TestEnv | Out-Null
            @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | Out-Null
            $cut = [DateTimeOffset]::UtcNow
            Start-Sleep -Milliseconds 20
            @{ detected = $true } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | Out-Null
            (Get-TrustScorecard -AsOf $cut).PiiHygiene.Score | Should -Be 100
            (Get-TrustScorecard).PiiHygiene.Score | Should -Be 50
        }
        finally { Pop-Location }
    }
}

Describe 'New-Article30Record' {
    It 'returns the record, renders Markdown and appends it to the ledger' {
        Push-Location
        try {
            New-TestEnv | Out-Null
            @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | Out-Null
            $a = @{
                ControllerName = 'Acme Bank plc'; ControllerContact = 'privacy@acme.example'
                DpoName = 'J. Doe'; DpoContact = 'dpo@acme.example'
                Purpose = 'Release evaluation'; DataSubjectCategory = 'Customers'
                PersonalDataCategory = 'Chat transcripts'; RecipientCategory = 'ML platform team'
                ThirdCountryTransfer = @{ Destination = 'US'; Safeguards = 'SCCs 2021/914' }
                ErasureTimeLimit = '13 months'; SecurityMeasure = 'Encryption at rest'
            }
            $rec = New-Article30Record @a
            $rec.ControllerName | Should -Be 'Acme Bank plc'
            $rec.Evidence.RecordCount | Should -Be 1
            $rec.Evidence.ChainValid | Should -BeTrue
            (New-Article30Record @a -AsMarkdown -Append).Split("`n")[0] | Should -Be '# Record of Processing Activities (GDPR Article 30(1))'
            (Get-AuditRecord -SchemaKey evalsig.article30.v1).Payload['controller']['name'] | Should -Be 'Acme Bank plc'
            { New-Article30Record -ControllerName Acme -ControllerContact '' -ErrorAction Stop } |
                Should -Throw -ErrorId 'Article30Invalid,EvalSig.Commands.NewArticle30RecordCommand'
        }
        finally { Pop-Location }
    }
}

Describe 'New-AuditEnvelope and Test-AuditEnvelope' {
    It 'creates a verifiable envelope, never replaces it, and reports edits and swaps' {
        Push-Location
        try {
            $dir = New-TestEnv
            $r = Invoke-EvalGate ./base.json ./cand.json -MinDelta 0.005
            ($r | New-AuditEnvelope -BaselinePath ./base.json -CandidatePath ./cand.json -Path ./audit.json -Store ./store -Project proj).Verdict | Should -Be 'ALLOW'
            (Test-AuditEnvelope ./audit.json).Valid | Should -BeTrue
            @(Get-EvalHistory ./store proj).Count | Should -Be 2
            { $r | New-AuditEnvelope -BaselinePath ./base.json -CandidatePath ./cand.json -Path ./audit.json -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileAlreadyExists,EvalSig.Commands.NewAuditEnvelopeCommand'

            $original = Get-Content -LiteralPath ./audit.json -Raw
            Set-Content -LiteralPath ./audit.json -Value $original.Replace('"exit_code": 0', '"exit_code": 1') -NoNewline
            $edited = Test-AuditEnvelope ./audit.json
            $edited.Valid | Should -BeFalse
            $edited.Reason | Should -Match 'envelope was edited'
            Set-Content -LiteralPath ./audit.json -Value $original -NoNewline

            Rename-Item ./base.json tmp.json
            Rename-Item ./cand.json base.json
            Rename-Item ./tmp.json cand.json
            (Test-AuditEnvelope ./audit.json).Reason | Should -Match 'swapped'
        }
        finally { Pop-Location }
    }

    It 'refuses files that are not the report''s runs' {
        Push-Location
        try {
            New-TestEnv | Out-Null
            { Invoke-EvalGate ./base.json ./cand.json | New-AuditEnvelope -BaselinePath ./cand.json -CandidatePath ./base.json -Path ./x.json -ErrorAction Stop } |
                Should -Throw -ErrorId 'EnvelopeInputMismatch,EvalSig.Commands.NewAuditEnvelopeCommand'
            './x.json' | Should -Not -Exist
        }
        finally { Pop-Location }
    }
}
