# Dot-sourced by the spec files (in BeforeAll / BeforeDiscovery).

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:Photos = Join-Path $RepoRoot 'data/photos/evaluation'

function Import-DifUnderTest([string] $ModulePath) {
    if (-not $ModulePath) { $ModulePath = Join-Path $RepoRoot 'out/module/Dif' }
    Import-Module (Join-Path $ModulePath 'Dif.psd1') -Force -ErrorAction Stop
}

# Starts another pwsh (the same one that runs the specs) and returns its output lines.
function Invoke-ChildPwsh([string] $Command) {
    $exe = [Environment]::ProcessPath
    $arguments = @()
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $arguments += (Join-Path $PSHOME 'pwsh.dll') }
    $arguments += '-NoProfile', '-NonInteractive', '-Command', $Command
    $output = & $exe @arguments 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | ForEach-Object { "$_" }) }
}

# Mirrors a folder: directories are created, files hard-linked (copied where links are not possible).
function Copy-FolderLinked([string] $From, [string] $To) {
    $From = (Resolve-Path -LiteralPath $From).Path
    foreach ($item in Get-ChildItem -LiteralPath $From -Recurse -Force) {
        $target = Join-Path $To ([IO.Path]::GetRelativePath($From, $item.FullName))
        if ($item.PSIsContainer) { $null = New-Item -ItemType Directory -Path $target -Force; continue }
        $null = New-Item -ItemType Directory -Path (Split-Path $target) -Force
        try { $null = New-Item -ItemType HardLink -Path $target -Value $item.FullName -ErrorAction Stop }
        catch { Copy-Item -LiteralPath $item.FullName -Destination $target }
    }
}

# True when the file starts with PNG's signature; returns width and height from its IHDR.
function Get-PngSize([string] $Path) {
    $bytes = [IO.File]::ReadAllBytes($Path)
    $signature = 137, 80, 78, 71, 13, 10, 26, 10
    for ($i = 0; $i -lt 8; $i++) { if ($bytes[$i] -ne $signature[$i]) { return $null } }
    $w = ([int]$bytes[16] -shl 24) -bor ([int]$bytes[17] -shl 16) -bor ([int]$bytes[18] -shl 8) -bor $bytes[19]
    $h = ([int]$bytes[20] -shl 24) -bor ([int]$bytes[21] -shl 16) -bor ([int]$bytes[22] -shl 8) -bor $bytes[23]
    [pscustomobject]@{ Width = $w; Height = $h }
}
