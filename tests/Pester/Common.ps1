# Shared setup for the Pester suites: import the BUILT module folder (as a user would) and locate
# the reference cases. build.ps1 -Test sets $env:EVALSIG_MODULE; otherwise the newest out/EvalSig/<version>.
$repoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
$script:ModuleDirectory = if ($env:EVALSIG_MODULE) {
    $env:EVALSIG_MODULE
}
else {
    Get-ChildItem -LiteralPath (Join-Path $repoRoot 'out/EvalSig') -Directory |
        Sort-Object { [version]$_.Name } -Descending |
        Select-Object -First 1 -ExpandProperty FullName
}
$script:ModuleManifest = Join-Path $script:ModuleDirectory 'EvalSig.psd1'
$script:ReferenceRoot = (Resolve-Path -LiteralPath (Join-Path $repoRoot 'tests/data/reference')).Path
$script:RepoRoot = $repoRoot
# The suites behave the same on a laptop and inside a CI job: never inherit the job's provider
# variables (a test that wants a provider sets them for its child process).
foreach ($name in 'TF_BUILD', 'GITHUB_ACTIONS', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'AGENT_TEMPDIRECTORY', 'EVALSIG_CI_STATUS_SECONDS') {
    [Environment]::SetEnvironmentVariable($name, $null)
}
Import-Module $script:ModuleManifest -Force -ErrorAction Stop
# The NuGet package folder (Pester's test project downloads other versions of the module's
# dependencies there for the isolation scenario) and the built CLI, as the xunit runner passes them.
$script:NuGetPackages = if ($env:EVALSIG_NUGET_PACKAGES) { $env:EVALSIG_NUGET_PACKAGES } elseif ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
$script:Configuration = if ($env:EVALSIG_CONFIGURATION) { $env:EVALSIG_CONFIGURATION } else { 'Release' }
$script:CliDll = if ($env:EVALSIG_CLI) { $env:EVALSIG_CLI } else { Join-Path $repoRoot "src/EvalSig.Cli/bin/$script:Configuration/net8.0/evalsig.dll" }
# Real pwsh for child processes: the one running these tests.
$script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')

# Parses the key=value lines a scenario script prints.
function ConvertFrom-KeyValueLines([string[]] $Lines) {
    $h = @{}
    foreach ($line in $Lines) {
        $i = $line.IndexOf('=')
        if ($i -gt 0) { $h[$line.Substring(0, $i)] = $line.Substring($i + 1) }
    }
    $h
}

# Runs real pwsh in a child process with these environment variables (restored afterwards) and this
# working directory; returns its output lines and exit code.
function Invoke-ChildPwsh([hashtable] $Environment = @{}, [string] $WorkingDirectory = $PWD, [string[]] $Arguments) {
    $saved = @{}
    foreach ($key in $Environment.Keys) {
        $saved[$key] = [Environment]::GetEnvironmentVariable($key)
        [Environment]::SetEnvironmentVariable($key, $Environment[$key])
    }
    Push-Location -LiteralPath $WorkingDirectory
    try {
        $output = @(& $script:Pwsh -NoProfile -NonInteractive @Arguments 2>&1 | ForEach-Object { "$_" })
        [pscustomobject]@{ Output = $output; ExitCode = $LASTEXITCODE; Text = $output -join "`n" }
    }
    finally {
        Pop-Location
        foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
    }
}

# Builds an Inspect .eval log (zip) from the real Inspect .json log of the same run, in inspect_ai's
# EvalRecorder layout; the layout lives once, in tests/Shared/Harness/InspectEvalLog.cs (also compiled
# into the xunit projects). -Unfinished leaves out header.json, summaries.json and reductions.json, as
# on disk while the evaluation is still running. Returns the path written.
function New-InspectEvalLog {
    param(
        [Parameter(Mandatory)] [string] $JsonLog,
        [Parameter(Mandatory)] [string] $Destination,
        [switch] $Unfinished
    )
    if (-not ('EvalSig.Testing.InspectEvalLog' -as [type])) {
        Add-Type -Path (Join-Path $script:RepoRoot 'tests/Shared/Harness/InspectEvalLog.cs')
    }
    [EvalSig.Testing.InspectEvalLog]::WriteFromJson($JsonLog, $Destination, -not $Unfinished)
}

# Validates JUnit XML against both committed schemas (tests/data/junit); returns every error (warnings
# are not errors: the Ant schema declares <skipped/> without attributes).
function Test-JUnitXml([string] $Xml) {
    foreach ($xsd in 'windyroad-JUnit.xsd', 'jenkins-junit-10.xsd') {
        $set = [System.Xml.Schema.XmlSchemaSet]::new()
        $null = $set.Add($null, (Join-Path $script:RepoRoot "tests/data/junit/$xsd"))
        $settings = [System.Xml.XmlReaderSettings]::new()
        $settings.ValidationType = 'Schema'
        $settings.Schemas = $set
        $errors = [System.Collections.Generic.List[string]]::new()
        $settings.add_ValidationEventHandler({ param($s, $e) if ($e.Severity -eq 'Error') { $errors.Add("${xsd}: $($e.Message)") } }.GetNewClosure())
        $reader = [System.Xml.XmlReader]::Create([System.IO.StringReader]::new($Xml), $settings)
        try { while ($reader.Read()) { } } finally { $reader.Dispose() }
        $errors
    }
}

# The repository's YAML: every .yml/.yaml file, and every ```yaml block of its Markdown (except the
# platyPS parameter metadata in docs/cmdlets), as @{ Where; Text }.
function Get-RepositoryYaml {
    $skip = '.git', 'bin', 'obj', 'out', 'node_modules', 'TestResults'
    $files = Get-ChildItem -LiteralPath $script:RepoRoot -Recurse -File -Include '*.yml', '*.yaml', '*.md' |
        Where-Object { -not ($_.FullName.Substring($script:RepoRoot.Length).Split([char[]]'/\', [StringSplitOptions]::RemoveEmptyEntries) | Where-Object { $_ -in $skip }) } |
        Sort-Object FullName
    foreach ($f in $files) {
        $rel = [IO.Path]::GetRelativePath($script:RepoRoot, $f.FullName).Replace('\', '/')
        $text = Get-Content -LiteralPath $f.FullName -Raw
        if ($f.Extension -eq '.md') {
            if ($rel -like 'docs/cmdlets/*') { continue }
            foreach ($m in [regex]::Matches($text, '(?ms)^```ya?ml[ \t]*\r?\n(.*?)^```')) {
                @{ Where = "${rel}:$(($text.Substring(0, $m.Index) -split "`n").Count + 1)"; Text = $m.Groups[1].Value }
            }
        }
        else {
            @{ Where = $rel; Text = $text }
        }
    }
}

# YamlDotNet (the version the module's bridge uses) from the NuGet package folder, to read YAML here.
function Import-YamlDotNet {
    if (-not ('YamlDotNet.RepresentationModel.YamlStream' -as [type])) {
        Add-Type -LiteralPath (Join-Path $script:NuGetPackages 'yamldotnet/16.3.0/lib/net8.0/YamlDotNet.dll')
    }
}

function ConvertFrom-YamlText([string] $Text) {
    Import-YamlDotNet
    $stream = [YamlDotNet.RepresentationModel.YamlStream]::new()
    $stream.Load([IO.StringReader]::new($Text))
    $stream.Documents | ForEach-Object { ConvertFrom-YamlNode $_.RootNode }
}

# A YAML node as hashtables (ordered), arrays and strings.
function ConvertFrom-YamlNode($Node) {
    # (not a switch: a sequence node is enumerable, and switch would walk its children)
    if ($Node -is [YamlDotNet.RepresentationModel.YamlMappingNode]) {
        $h = [ordered]@{}
        foreach ($kv in $Node.Children) { $h[$kv.Key.Value] = ConvertFrom-YamlNode $kv.Value }
        return $h
    }
    if ($Node -is [YamlDotNet.RepresentationModel.YamlSequenceNode]) {
        return , @(foreach ($child in $Node.Children) { ConvertFrom-YamlNode $child })
    }
    return $Node.Value
}

# Every scalar (text) of a YAML value: scripts are scalars.
function Get-YamlScalar($Value) {
    if ($Value -is [System.Collections.IDictionary]) { foreach ($k in $Value.Keys) { $k; Get-YamlScalar $Value[$k] } }
    elseif ($Value -is [array]) { foreach ($v in $Value) { Get-YamlScalar $v } }
    elseif ($null -ne $Value) { [string]$Value }
}

# The EvalSig-looking commands a PowerShell script calls (Verb-Eval*, Verb-Audit*, Verb-RunFrame...),
# with the parameters it names; splatted parameters are not seen.
function Get-EvalSigCommandUse([string] $Script) {
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($Script, [ref]$null, [ref]$null)
    foreach ($c in $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true)) {
        $name = $c.GetCommandName()
        if ($name -cmatch '^[A-Z][a-z]+-(Eval|Audit|RunFrame|TrustScorecard|Article30)') {
            [pscustomobject]@{
                Name       = $name
                Parameters = @($c.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object ParameterName)
                Text       = $c.Extent.Text
            }
        }
    }
}
