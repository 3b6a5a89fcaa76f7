# Storage emulators for the object-storage suites: Azurite (Azure Blob) and s3rver (S3) from the npm
# packages pinned in tests/emulators (installed there with `npm ci` when missing), each on a free
# loopback port with its data in a temporary folder. run.js stops an emulator when this pwsh exits;
# Stop-TestEmulator stops it at once.
$script:EmulatorDir = Join-Path $script:RepoRoot 'tests/emulators'
$script:AzuriteAccount = 'devstoreaccount1'
# Azurite's published development key and s3rver's fixed credentials: not secrets.
$script:AzuriteKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
$script:S3rverKey = 'S3RVER'

# `npm ci` once, under the same lock file as the xunit fixtures (tests/Shared/StorageEmulators.cs):
# `dotnet test EvalSig.sln` runs the test projects at once, and npm ci empties node_modules first.
function Install-TestEmulator {
    $installed = { (Test-Path (Join-Path $script:EmulatorDir 'node_modules/azurite/package.json')) -and (Test-Path (Join-Path $script:EmulatorDir 'node_modules/s3rver/package.json')) }
    if (& $installed) { return }
    $lockPath = Join-Path ([IO.Path]::GetTempPath()) 'evalsig-emulators-npm.lock'
    $deadline = [DateTime]::UtcNow.AddMinutes(12)
    $lock = $null
    while (-not $lock) {
        try { $lock = [IO.FileStream]::new($lockPath, 'OpenOrCreate', 'ReadWrite', 'None') }
        catch [IO.IOException] { if ([DateTime]::UtcNow -gt $deadline) { throw }; Start-Sleep -Milliseconds 200 }
    }
    try {
        if (& $installed) { return }
        Push-Location $script:EmulatorDir
        try {
            $out = & npm ci --no-audit --no-fund 2>&1
            if ($LASTEXITCODE -ne 0) { throw "npm ci in $script:EmulatorDir failed: $($out -join "`n")" }
        } finally { Pop-Location }
    } finally { $lock.Dispose() }
}

function Start-TestEmulator([ValidateSet('azurite', 's3rver')] [string] $Kind) {
    Install-TestEmulator
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    # The emulator's data in data/, its output next to it (s3rver takes every entry of its folder for a bucket).
    $root = Join-Path ([IO.Path]::GetTempPath()) ("evalsig-pester-$Kind-" + [guid]::NewGuid().ToString('n'))
    $data = Join-Path $root 'data'
    New-Item -ItemType Directory -Path $data | Out-Null
    $emulatorArgs = if ($Kind -eq 'azurite') {
        @('--blobHost', '127.0.0.1', '--blobPort', $port, '--location', $data, '--skipApiVersionCheck', '--disableTelemetry', '--silent')
    } else {
        @('--address', '127.0.0.1', '--port', $port, '--directory', $data, '--silent')
    }
    $env:EVALSIG_EMULATOR_DATA = $root
    $process = Start-Process -FilePath node -ArgumentList (@((Join-Path $script:EmulatorDir 'run.js'), $PID, $Kind) + $emulatorArgs) -PassThru -RedirectStandardOutput (Join-Path $root "$Kind.out") -RedirectStandardError (Join-Path $root "$Kind.err")
    $env:EVALSIG_EMULATOR_DATA = $null
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ($true) {
        try { $c = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port); $c.Dispose(); break }
        catch { if ([DateTime]::UtcNow -gt $deadline -or $process.HasExited) { throw "$Kind did not start on port $port" }; Start-Sleep -Milliseconds 100 }
    }
    [pscustomobject]@{ Kind = $Kind; Port = $port; Process = $process; Data = $root }
}

# One SIGKILL to the one node process: Kill($true) SIGSTOPs it first and could leave it stopped.
function Stop-TestEmulator($Emulator) {
    if ($Emulator -and -not $Emulator.Process.HasExited) { $Emulator.Process.Kill(); $Emulator.Process.WaitForExit(10000) | Out-Null }
    if ($Emulator) { Remove-Item -LiteralPath $Emulator.Data -Recurse -Force -ErrorAction SilentlyContinue }
}

# The emulator's credentials, the standard way (environment), for this session.
function Use-TestEmulatorCredential($Emulator) {
    if ($Emulator.Kind -eq 'azurite') { $env:AZURE_STORAGE_ACCOUNT = $script:AzuriteAccount; $env:AZURE_STORAGE_KEY = $script:AzuriteKey }
    else { $env:AWS_ACCESS_KEY_ID = $script:S3rverKey; $env:AWS_SECRET_ACCESS_KEY = $script:S3rverKey }
}

# A fresh location (unique prefix) in a container or bucket that exists; settings in the query.
function New-TestLocation($Emulator, [string] $Container, [string] $Extra) {
    $date = [DateTime]::UtcNow.ToString('R', [Globalization.CultureInfo]::InvariantCulture)
    if ($Emulator.Kind -eq 'azurite') {
        $endpoint = "http://127.0.0.1:$($Emulator.Port)/$script:AzuriteAccount"
        # Shared Key signature of "create container" (the 11 standard headers are empty).
        $toSign = "PUT`n`n`n`n`n`n`n`n`n`n`n`nx-ms-date:$date`nx-ms-version:2021-08-06`n/$script:AzuriteAccount/$script:AzuriteAccount/$Container`nrestype:container"
        $hmac = [System.Security.Cryptography.HMACSHA256]::new([Convert]::FromBase64String($script:AzuriteKey))
        $sig = [Convert]::ToBase64String($hmac.ComputeHash([Text.Encoding]::UTF8.GetBytes($toSign)))
        $headers = @{ 'x-ms-date' = $date; 'x-ms-version' = '2021-08-06'; Authorization = "SharedKey $($script:AzuriteAccount):$sig" }
        $r = Invoke-WebRequest -Method Put -Uri "$endpoint/$($Container)?restype=container" -Headers $headers -SkipHttpErrorCheck
        $location = "az://$Container/p$([guid]::NewGuid().ToString('n').Substring(0, 12))?account=$script:AzuriteAccount&endpoint=$([uri]::EscapeDataString($endpoint))"
    } else {
        $endpoint = "http://127.0.0.1:$($Emulator.Port)"
        # Signature version 2 (HMAC-SHA1, as s3rver checks it) with the date in x-amz-date.
        $toSign = "PUT`n`n`n`nx-amz-date:$date`n/$Container"
        $hmac = [System.Security.Cryptography.HMACSHA1]::new([Text.Encoding]::UTF8.GetBytes($script:S3rverKey))
        $sig = [Convert]::ToBase64String($hmac.ComputeHash([Text.Encoding]::UTF8.GetBytes($toSign)))
        $headers = @{ 'x-amz-date' = $date; Authorization = "AWS $($script:S3rverKey):$sig" }
        $r = Invoke-WebRequest -Method Put -Uri "$endpoint/$Container" -Headers $headers -SkipHttpErrorCheck
        $location = "s3://$Container/p$([guid]::NewGuid().ToString('n').Substring(0, 12))?endpoint=$([uri]::EscapeDataString($endpoint))&region=us-east-1"
    }
    if ($r.StatusCode -notin 200, 201, 409) { throw "creating $Container answered $($r.StatusCode): $($r.Content)" }
    if ($Extra) { $location += "&$Extra" }
    $location
}
