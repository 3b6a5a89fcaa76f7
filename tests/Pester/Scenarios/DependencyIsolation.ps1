#Requires -Version 7.4
<#
.SYNOPSIS
    The dependency-isolation scenario: in a fresh process, load OTHER copies and versions of
    MathNet.Numerics (4.15), Parquet.Net (a second copy of 6.1.0, the only version served),
    Microsoft.Data.Sqlite (8.0.30 over SQLitePCLRaw 2.1.11 and its own native SQLite), YamlDotNet
    (11.2.1, the version YAML modules such as powershell-yaml have shipped) and
    BouncyCastle.Cryptography (2.4.0) into the default load context and use them; then import EvalSig
    and gate, read a YAML release manifest, write and read Parquet, append to and query the audit
    ledger through its SQLite index, and sign and verify a tree head with Ed25519. Prints key=value
    lines for the caller to check.
    Run by tests/Pester/Module.Tests.ps1 (real pwsh) and the hosted-engine xunit suite.
#>
param(
    [Parameter(Mandatory)] [string] $NuGetPackages,
    [Parameter(Mandatory)] [string] $Manifest,
    [Parameter(Mandatory)] [string] $ReferenceDirectory,
    [Parameter(Mandatory)] [string] $Work
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Get-Package([string] $Id, [string] $Version, [string] $Path) {
    $file = Join-Path $NuGetPackages "$($Id.ToLowerInvariant())/$Version/$Path"
    if (-not (Test-Path -LiteralPath $file)) { throw "the test project downloads $Id ${Version}: $file is missing" }
    $file
}

# 1. Another MathNet.Numerics, used.
$mathNet = [System.Reflection.Assembly]::LoadFrom((Get-Package MathNet.Numerics 4.15.0 lib/netstandard2.0/MathNet.Numerics.dll))
"otherMathNet=$($mathNet.GetName().Version)"
"otherGammaLn5=$([MathNet.Numerics.SpecialFunctions]::GammaLn(5.0))"

# 2. Another copy of Parquet.Net, from its own path.
$parquetCopy = Join-Path $Work 'parquet-other'
New-Item -ItemType Directory -Path $parquetCopy -Force | Out-Null
Copy-Item (Get-Package Parquet.Net 6.1.0 lib/net8.0/Parquet.dll) $parquetCopy
$otherParquet = [System.Reflection.Assembly]::LoadFrom((Join-Path $parquetCopy 'Parquet.dll'))
"otherParquetField=$(([Parquet.Schema.DataField[string]]::new('x')).Name)"

# 3. Another Microsoft.Data.Sqlite with another SQLitePCLRaw and its own native library, used.
$sqliteDir = Join-Path $Work 'sqlite-other'
New-Item -ItemType Directory -Path $sqliteDir -Force | Out-Null
$rid = if ($IsWindows) { 'win-x64' } elseif ($IsMacOS) { if ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -eq 'Arm64') { 'osx-arm64' } else { 'osx-x64' } } else { if ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -eq 'Arm64') { 'linux-arm64' } else { 'linux-x64' } }
$native = if ($IsWindows) { 'e_sqlite3.dll' } elseif ($IsMacOS) { 'libe_sqlite3.dylib' } else { 'libe_sqlite3.so' }
Copy-Item (Get-Package SQLitePCLRaw.lib.e_sqlite3 2.1.11 "runtimes/$rid/native/$native") $sqliteDir
foreach ($dll in @(
        (Get-Package SQLitePCLRaw.core 2.1.11 lib/netstandard2.0/SQLitePCLRaw.core.dll),
        (Get-Package SQLitePCLRaw.provider.e_sqlite3 2.1.11 lib/net6.0/SQLitePCLRaw.provider.e_sqlite3.dll),
        (Get-Package SQLitePCLRaw.bundle_e_sqlite3 2.1.11 lib/netstandard2.0/SQLitePCLRaw.batteries_v2.dll),
        (Get-Package Microsoft.Data.Sqlite.Core 8.0.30 lib/net8.0/Microsoft.Data.Sqlite.dll))) {
    Copy-Item $dll $sqliteDir
}
foreach ($name in 'SQLitePCLRaw.core', 'SQLitePCLRaw.provider.e_sqlite3', 'SQLitePCLRaw.batteries_v2', 'Microsoft.Data.Sqlite') {
    [System.Reflection.Assembly]::LoadFrom((Join-Path $sqliteDir "$name.dll")) | Out-Null
}
[SQLitePCL.Batteries_V2]::Init()
$connection = [Microsoft.Data.Sqlite.SqliteConnection]::new('Data Source=:memory:')
$connection.Open()
$command = $connection.CreateCommand()
$command.CommandText = 'SELECT sqlite_version()'
"otherSqliteVersion=$($command.ExecuteScalar())"
"otherSqliteAssembly=$([Microsoft.Data.Sqlite.SqliteConnection].Assembly.GetName().Version)"

# 3b. Another AWS SDK core (3.7, where EvalSig.Bridge.Cloud uses 4.x), used.
$awsCore = [System.Reflection.Assembly]::LoadFrom((Get-Package AWSSDK.Core 3.7.402 lib/netcoreapp3.1/AWSSDK.Core.dll))
"otherAwsCore=$($awsCore.GetName().Version)"
"otherAwsRegion=$([Amazon.RegionEndpoint]::USEast1.SystemName)"


# 4. Another YamlDotNet, used.
$yaml = [System.Reflection.Assembly]::LoadFrom((Get-Package YamlDotNet 11.2.1 lib/netstandard2.1/YamlDotNet.dll))
$yamlStream = [YamlDotNet.RepresentationModel.YamlStream]::new()
$yamlStream.Load([System.IO.StringReader]::new('answer: 42'))
"otherYamlDotNet=$($yaml.GetName().Version)"
"otherYamlValue=$($yamlStream.Documents[0].RootNode.Children[[YamlDotNet.RepresentationModel.YamlScalarNode]::new('answer')].Value)"

# 4b. Another BouncyCastle.Cryptography (2.4.0; the same assembly version 2.0.0.0 as EvalSig's 2.7.0), used.
$bc = [System.Reflection.Assembly]::LoadFrom((Get-Package BouncyCastle.Cryptography 2.4.0 lib/net6.0/BouncyCastle.Cryptography.dll))
"otherBouncyCastle=$([System.Diagnostics.FileVersionInfo]::GetVersionInfo($bc.Location).ProductVersion.Split('+')[0])"
"otherSha256Size=$([Org.BouncyCastle.Crypto.Digests.Sha256Digest]::new().GetDigestSize())"

# 5. EvalSig, after all of them.
Import-Module $Manifest -ErrorAction Stop
$baseline = Join-Path $ReferenceDirectory 'tiny/baseline.json'
$report = Invoke-EvalGate -Baseline $baseline -Candidate (Join-Path $ReferenceDirectory 'tiny/candidate.json') -Method PairedT
"gateIsTyped=$($report -is [EvalSig.Core.Gating.GateReport])"
"gateVerdict=$($report.Verdict)"
$manifest = Join-Path $Work 'gates.yml'
Set-Content -LiteralPath $manifest -Value "tasks:`n  - name: tiny`n    baseline: '$baseline'`n    candidate: '$(Join-Path $ReferenceDirectory 'tiny/candidate.json')'`n    method: paired_t"
"yamlRelease=$((Invoke-EvalGate -Manifest $manifest).Tasks[0].Task)"
$parquet = Join-Path $Work 'run.parquet'
Import-RunFrame $baseline | Export-RunFrame $parquet
"parquetCount=$((Import-RunFrame $parquet).Count)"
$env:EVALSIG_AUDIT_KEY = New-AuditKey -AsBase64
$ledger = Join-Path $Work 'ledger'
1..3 | ForEach-Object { $report | Add-AuditRecord -Ledger $ledger -ProjectId "p$_" } | Out-Null
"indexedQuery=$(@(Get-AuditRecord -Ledger $ledger -ProjectId p2).Count)"
"chainValid=$((Test-AuditChain -Ledger $ledger).Valid)"
$signing = Join-Path $Work 'log.key'
New-AuditKey -Type Ed25519 -Path $signing -Name example.com/isolation | Out-Null
Export-AuditCheckpoint (Join-Path $Work 'head.note') -Ledger $ledger -SigningKeyPath $signing | Out-Null
"signedHeadValid=$((Test-AuditChain -Ledger $ledger -PublicKey "$signing.pub" -Checkpoint (Join-Path $Work 'head.note')).Valid)"

# Object storage through EvalSig.Bridge.Cloud and both SDKs, at an address where nothing listens: the
# SDKs load and run in the module's context and the status is degraded ("no answer"), not an error.
$env:AZURE_STORAGE_ACCOUNT = 'devstoreaccount1'; $env:AZURE_STORAGE_KEY = [Convert]::ToBase64String([byte[]]::new(64))
$env:AWS_ACCESS_KEY_ID = 'isolation'; $env:AWS_SECRET_ACCESS_KEY = 'isolation'
"azureStatus=$((Get-AuditStatus -Ledger 'az://nowhere/p?account=devstoreaccount1&endpoint=http%3A%2F%2F127.0.0.1%3A9%2Fdevstoreaccount1').Status)"
"s3Status=$((Get-AuditStatus -Ledger 's3://nowhere/p?endpoint=http%3A%2F%2F127.0.0.1%3A9&region=us-east-1').Status)"

# 6. Where everything was loaded.
$contexts = [System.AppDomain]::CurrentDomain.GetAssemblies() |
    Where-Object { $_.GetName().Name -in 'EvalSig.Core', 'EvalSig.PowerShell', 'EvalSig.Bridge', 'MathNet.Numerics', 'Parquet', 'Microsoft.Data.Sqlite', 'SQLitePCLRaw.core', 'YamlDotNet', 'BouncyCastle.Cryptography', 'EvalSig.Bridge.Cloud', 'AWSSDK.Core', 'Azure.Storage.Blobs' } |
    ForEach-Object { '{0}@{1}:{2}' -f $_.GetName().Name, $_.GetName().Version, [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } |
    Sort-Object
"contexts=$($contexts -join ',')"
