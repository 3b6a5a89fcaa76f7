# The repository's YAML - the shipped Azure Pipelines template, the GitHub composite action, their
# example pipelines and every ```yaml block of the docs - names only EvalSig cmdlets and parameters
# that exist (Get-Command in this real pwsh, against the built module); the shipped gate steps run as
# the agents run them; and scripted examples fail closed. The evalsig command lines in the same YAML
# are checked with the CLI's own parser by tests/EvalSig.Cli.Tests/RepositoryYamlTests.cs.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Documents = @(Get-RepositoryYaml | ForEach-Object { @{ Where = $_.Where; Text = $_.Text } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    function Ref([string] $Name, [string] $File) { Join-Path $ReferenceRoot "$Name/$File" }
    $script:Exported = @((Get-Command -Module EvalSig).Name)
}

Describe 'Repository YAML' {
    It '<Where> parses and names only EvalSig cmdlets and parameters that exist' -ForEach $Documents {
        $yaml = @(ConvertFrom-YamlText $Text)
        foreach ($script in $yaml | ForEach-Object { Get-YamlScalar $_ }) {
            foreach ($use in Get-EvalSigCommandUse $script) {
                $use.Name | Should -BeIn $Exported -Because "$Where calls '$($use.Text)'"
                $command = Get-Command -Module EvalSig -Name $use.Name
                foreach ($p in $use.Parameters) {
                    { $command.ResolveParameter($p) } | Should -Not -Throw -Because "$Where passes -$p to $($use.Name): '$($use.Text)'"
                }
            }
        }
    }

    It 'finds the commands of <File>' -ForEach @(
        @{ File = 'integrations/azure-pipelines/evalsig-gate.yml'; Expected = 'Invoke-EvalGate', 'New-AuditEnvelope', 'Add-AuditRecord', 'Export-AuditCheckpoint', 'Export-EvalReport' }
        @{ File = 'integrations/github-action/action.yml'; Expected = 'Invoke-EvalGate', 'Export-EvalReport' }
    ) {
        $yaml = ConvertFrom-YamlText (Get-Content -LiteralPath (Join-Path $RepoRoot $File) -Raw)
        $names = @(Get-YamlScalar $yaml | ForEach-Object { Get-EvalSigCommandUse $_ } | ForEach-Object Name | Sort-Object -Unique)
        foreach ($e in $Expected) { $names | Should -Contain $e }
    }

    It 'recognises a wrong cmdlet or parameter (the check can fail)' {
        $uses = @(Get-EvalSigCommandUse "Invoke-EvalGates -Baseline a`nInvoke-EvalGate -Baseline a -MinDelt 0.1 -Mindelta 0.2")
        $uses[0].Name | Should -Not -BeIn $Exported
        $gate = Get-Command -Module EvalSig -Name Invoke-EvalGate
        { $gate.ResolveParameter('MinDelt') } | Should -Not -Throw   # a unique prefix is what PowerShell accepts
        { $gate.ResolveParameter('MinDelat') } | Should -Throw
    }
}

Describe 'Scripted examples fail closed' {
    BeforeAll {
        # pwsh scripts: fenced ```powershell blocks that end a step (exit) and pwsh scripts in YAML that gate.
        $markdown = @(Get-ChildItem -LiteralPath (Join-Path $RepoRoot 'docs/scenarios'), (Join-Path $RepoRoot 'docs/concepts') -Filter '*.md' | ForEach-Object FullName) + (Join-Path $RepoRoot 'README.md')
        $script:PwshScripts = @(
            foreach ($md in $markdown) {
                $text = Get-Content -LiteralPath $md -Raw
                foreach ($m in [regex]::Matches($text, '(?ms)^```powershell[ \t]*\r?\n(.*?)^```')) {
                    if ($m.Groups[1].Value -match '(?m)^\s*exit\b') { @{ Where = $md; Text = $m.Groups[1].Value } }
                }
            }
            foreach ($doc in Get-RepositoryYaml) {
                foreach ($s in @(ConvertFrom-YamlText $doc.Text) | ForEach-Object { Get-YamlScalar $_ }) {
                    if (@(Get-EvalSigCommandUse $s).Count -gt 0 -and $s -match "`n") { @{ Where = $doc.Where; Text = $s } }
                }
            }
        )
        # bash scripts that run a gate or a verification: fenced ```bash blocks and YAML scalars.
        $script:BashScripts = @(
            foreach ($md in Get-ChildItem -LiteralPath $RepoRoot -Recurse -Filter '*.md' | Where-Object FullName -NotMatch '[/\\](out|bin|obj)[/\\]') {
                $text = Get-Content -LiteralPath $md.FullName -Raw
                foreach ($m in [regex]::Matches($text, '(?ms)^```(bash|sh)[ \t]*\r?\n(.*?)^```')) { @{ Where = $md.FullName; Text = $m.Groups[2].Value } }
            }
            foreach ($doc in Get-RepositoryYaml) {
                foreach ($s in @(ConvertFrom-YamlText $doc.Text) | ForEach-Object { Get-YamlScalar $_ }) {
                    if ($s -match 'evalsig"?\s+(gate|audit\s+verify|envelope\s+verify)\b' -and $s -match "`n") { @{ Where = $doc.Where; Text = $s } }
                }
            }
        )
    }

    It 'every pwsh script that gates or exits sets $ErrorActionPreference = ''Stop''' {
        $PwshScripts.Count | Should -BeGreaterThan 3
        foreach ($s in $PwshScripts) {
            $s.Text | Should -Match '(?m)^\s*\$ErrorActionPreference\s*=\s*''Stop''' -Because "$($s.Where):`n$($s.Text)"
        }
    }

    It 'every bash script survives bash -e: it captures the exit code of a gate or verification, then decides' {
        $checked = 0
        foreach ($s in $BashScripts) {
            # evalsig as the line's command (after variable assignments, or in an if / ! condition).
            foreach ($line in ($s.Text -replace '\\\r?\n', ' ') -split "`n" | Where-Object { $_ -match '^\s*((if|!)\s+)?([A-Za-z_]\w*=\S*\s+)*"?[^"\s]*evalsig"?\s+(gate|audit\s+verify|envelope\s+verify)\b' }) {
                $checked++
                $line | Should -Match '\|\|\s*[A-Za-z_][A-Za-z0-9_]*=\$\?|^\s*(if|!)\s' -Because "$($s.Where): '$line' stops a bash -e step before its results are kept"
            }
        }
        $checked | Should -BeGreaterThan 2
    }
}

Describe 'Shipped gate steps run as the agents run them' {
    BeforeAll {
        $script:ModuleParent = Split-Path (Split-Path $ModuleDirectory -Parent) -Parent
        $script:PSModulePathForChild = $ModuleParent + [IO.Path]::PathSeparator + $env:PSModulePath

        # Replaces ${{ inputs.x }} / ${{ parameters.x }} and $(Macro.Name) as the runner/agent would.
        function Expand-Template([string] $Text, [hashtable] $Values, [hashtable] $Macros = @{}) {
            $Text = [regex]::Replace($Text, '\$\{\{\s*(inputs|parameters)\.([A-Za-z0-9_-]+)\s*\}\}', { param($m) [string]$Values[$m.Groups[2].Value] })
            [regex]::Replace($Text, '\$\(([A-Za-z0-9_.]+)\)', { param($m) if ($Macros.ContainsKey($m.Groups[1].Value)) { [string]$Macros[$m.Groups[1].Value] } else { $m.Value } })
        }

        # Runs a step's script in pwsh -File with its env block (expanded) plus the agent's variables.
        function Invoke-Step($Step, [hashtable] $Values, [hashtable] $Macros, [hashtable] $AgentEnvironment, [string] $Work) {
            $env = @{ TF_BUILD = $null; GITHUB_ACTIONS = $null; GITHUB_OUTPUT = $null; GITHUB_STEP_SUMMARY = $null; GITHUB_ENV = $null; AGENT_TEMPDIRECTORY = $null; EVALSIG_AUDIT_KEY = $null; EVALSIG_AUDIT_ROOT = $null; PSModulePath = $PSModulePathForChild }
            foreach ($k in $AgentEnvironment.Keys) { $env[$k] = $AgentEnvironment[$k] }
            foreach ($k in $Step.env.Keys) { $env[$k] = Expand-Template $Step.env[$k] $Values $Macros }
            $body = if ($Step.Contains('run')) { $Step.run } else { $Step.inputs.script }
            $file = Join-Path $Work "step-$([guid]::NewGuid().ToString('N')).ps1"
            Set-Content -LiteralPath $file -Value $body
            Invoke-ChildPwsh -Environment $env -WorkingDirectory $Work -Arguments '-File', $file
        }
    }

    It 'the GitHub action''s gate step: <Case>' -ForEach @(
        @{ Case = 'REJECT fails the step with exit 1'; Name = 'binary-clustered'; MinDelta = '0.02'; InconclusiveAs = 'Failed'; Exit = 1; Verdict = 'REJECT' }
        @{ Case = 'ALLOW passes'; Name = 'binary-unclustered'; MinDelta = '0.02'; InconclusiveAs = 'Failed'; Exit = 0; Verdict = 'ALLOW' }
        @{ Case = 'INCONCLUSIVE as SucceededWithIssues passes with a warning'; Name = 'tiny'; MinDelta = '0.005'; InconclusiveAs = 'SucceededWithIssues'; Exit = 0; Verdict = 'INCONCLUSIVE' }
    ) {
        $action = ConvertFrom-YamlText (Get-Content -LiteralPath (Join-Path $RepoRoot 'integrations/github-action/action.yml') -Raw)
        $action.runs.using | Should -Be 'composite'
        $step = $action.runs.steps | Where-Object { $_.id -eq 'gate' }
        $step.shell | Should -Be 'pwsh'
        $work = Join-Path $TestDrive "gh-$Name"
        New-Item -ItemType Directory -Path $work -Force | Out-Null
        $inputs = @{}
        foreach ($k in $action.inputs.Keys) { $inputs[$k] = $action.inputs[$k].default }
        $inputs.baseline = Ref $Name 'baseline.json'
        $inputs.candidate = Ref $Name 'candidate.json'
        $inputs.'min-delta' = $MinDelta
        $inputs.'inconclusive-as' = $InconclusiveAs
        $agent = @{ GITHUB_ACTIONS = 'true'; GITHUB_OUTPUT = (Join-Path $work 'output'); GITHUB_STEP_SUMMARY = (Join-Path $work 'summary.md') }
        $run = Invoke-Step $step $inputs @{} $agent $work
        $run.ExitCode | Should -Be $Exit -Because $run.Text
        $run.Output[0] | Should -BeLikeExactly "EvalSig gate: $Verdict *"
        if ($Verdict -eq 'REJECT') { $run.Output[1] | Should -BeLikeExactly '::error title=EvalSig gate REJECT::*' }
        if ($Verdict -eq 'INCONCLUSIVE') { $run.Output[1] | Should -BeLikeExactly '::warning title=EvalSig gate INCONCLUSIVE::*' }
        $outputs = ConvertFrom-KeyValueLines (Get-Content -LiteralPath $agent.GITHUB_OUTPUT)
        $outputs.verdict | Should -Be $Verdict
        # Every output the action declares reads a key the gate wrote.
        foreach ($o in $action.outputs.Keys) {
            $key = [regex]::Match($action.outputs[$o].value, 'steps\.gate\.outputs\.([A-Za-z0-9_-]+)').Groups[1].Value
            $outputs.Keys | Should -Contain $key -Because "output $o reads steps.gate.outputs.$key"
        }
        (Get-Content -LiteralPath (Join-Path $work 'evalsig-gate.json') -Raw | ConvertFrom-Json).verdict | Should -Be $Verdict
        Test-JUnitXml (Get-Content -LiteralPath (Join-Path $work 'evalsig-junit.xml') -Raw) | Should -BeNullOrEmpty
        Get-Content -LiteralPath $agent.GITHUB_STEP_SUMMARY -Raw | Should -BeLike "## EvalSig gate: **$Verdict**`*"
    }

    It 'the GitHub action''s install step takes a built module folder' {
        $action = ConvertFrom-YamlText (Get-Content -LiteralPath (Join-Path $RepoRoot 'integrations/github-action/action.yml') -Raw)
        $step = $action.runs.steps | Where-Object { $_.name -eq 'Install EvalSig' }
        $work = Join-Path $TestDrive 'gh-install'
        New-Item -ItemType Directory -Path $work -Force | Out-Null
        $inputs = @{ 'module-path' = $ModuleDirectory; 'repository-uri' = ''; 'repository-token' = ''; 'module-version' = '' }
        $githubEnv = Join-Path $work 'github_env'
        $run = Invoke-Step $step $inputs @{} @{ GITHUB_ENV = $githubEnv } $work
        $run.ExitCode | Should -Be 0 -Because $run.Text
        (Get-Content -LiteralPath $githubEnv -Raw) | Should -BeLikeExactly "PSModulePath=$ModuleParent$([IO.Path]::PathSeparator)*"

        $none = Invoke-Step $step @{ 'module-path' = ''; 'repository-uri' = ''; 'repository-token' = ''; 'module-version' = '' } @{} @{ GITHUB_ENV = $githubEnv } $work
        $none.ExitCode | Should -Not -Be 0
        $none.Text | Should -Match 'give module-path'
    }

    It 'the Azure Pipelines template''s gate step: <Case>' -ForEach @(
        @{ Case = 'REJECT: ledger, envelope, checkpoint, reports, JUnit, exit 1'; Name = 'binary-clustered'; MinDelta = '0.02'; Manifest = $false; Exit = 1; Verdict = 'REJECT' }
        @{ Case = 'ALLOW: exit 0'; Name = 'binary-unclustered'; MinDelta = '0.02'; Manifest = $false; Exit = 0; Verdict = 'ALLOW' }
        @{ Case = 'a manifest: one record per task, exit 1 when a task REJECTs'; Name = 'binary-clustered'; MinDelta = '0.02'; Manifest = $true; Exit = 1; Verdict = 'REJECT' }
    ) {
        $template = ConvertFrom-YamlText (Get-Content -LiteralPath (Join-Path $RepoRoot 'integrations/azure-pipelines/evalsig-gate.yml') -Raw)
        $step = $template.steps | Where-Object { $_.name -eq '${{ parameters.stepName }}' }
        $step.task | Should -Be 'PowerShell@2'
        $step.inputs.pwsh | Should -Be 'true'
        $work = Join-Path $TestDrive "azure-$Name-$Manifest"
        New-Item -ItemType Directory -Path (Join-Path $work 'staging'), (Join-Path $work 'results'), (Join-Path $work 'agent') -Force | Out-Null
        $parameters = @{}
        foreach ($p in $template.parameters) { $parameters[$p.name] = $p.default }
        if ($Manifest) {
            $m = Join-Path $work 'gates.json'
            Set-Content -LiteralPath $m -Value (@{ tasks = @(
                        @{ name = 'mmlu'; baseline = (Ref 'binary-unclustered' 'baseline.json'); candidate = (Ref 'binary-unclustered' 'candidate.json') }
                        @{ name = 'gsm8k'; baseline = (Ref $Name 'baseline.json'); candidate = (Ref $Name 'candidate.json') }) } | ConvertTo-Json -Depth 4)
            $parameters.manifest = $m
        }
        else {
            $parameters.baseline = Ref $Name 'baseline.json'
            $parameters.candidate = Ref $Name 'candidate.json'
        }
        $parameters.minDelta = $MinDelta
        $macros = @{ 'Pipeline.Workspace' = $work; EVALSIG_AUDIT_KEY = (New-AuditKey -AsBase64) }
        $agent = @{ TF_BUILD = 'True'; AGENT_TEMPDIRECTORY = (Join-Path $work 'agent'); BUILD_ARTIFACTSTAGINGDIRECTORY = (Join-Path $work 'staging'); COMMON_TESTRESULTSDIRECTORY = (Join-Path $work 'results') }
        $run = Invoke-Step $step $parameters $macros $agent $work
        $run.ExitCode | Should -Be $Exit -Because $run.Text
        $run.Output | Should -Contain "##vso[task.setvariable variable=verdict;isOutput=true]$Verdict"
        $run.Output | Where-Object { $_.StartsWith('##vso[task.uploadsummary]') } | Should -Not -BeNullOrEmpty
        $out = Join-Path $work 'staging/evalsig'
        Join-Path $out 'gate.json' | Should -Exist
        Join-Path $out 'gate.md' | Should -Exist
        Join-Path $out 'ledger-checkpoint.json' | Should -Exist
        Test-JUnitXml (Get-Content -LiteralPath (Join-Path $work 'results/evalsig-gate.xml') -Raw) | Should -BeNullOrEmpty
        $ledger = Join-Path $work 'evalsig-audit'
        $env:EVALSIG_AUDIT_KEY = $macros.EVALSIG_AUDIT_KEY
        try {
            $records = @(Get-AuditRecord -Ledger $ledger)
            (Test-AuditChain -Ledger $ledger -Checkpoint (Join-Path $out 'ledger-checkpoint.json')).Valid | Should -BeTrue
            if ($Manifest) {
                $records.Count | Should -Be 2
                Join-Path $out 'audit.json' | Should -Not -Exist
            }
            else {
                $records.Count | Should -Be 1
                (Test-AuditEnvelope (Join-Path $out 'audit.json')).Valid | Should -BeTrue
            }
        }
        finally { $env:EVALSIG_AUDIT_KEY = $null }
    }
}
