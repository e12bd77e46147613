<#
.SYNOPSIS
    Runs the module's Pester 5 specs in this (fresh) pwsh process and prints "Pester: N passed, N failed, N skipped".
.DESCRIPTION
    test.sh calls it as: dotnet pwsh -NoProfile -NonInteractive -File tests/Dif.PowerShell.Tests/run-pester.ps1
    Pester comes from NuGet (PesterRestore.csproj, restored by scripts/setup.sh into out/packages); the module
    from the build's module folder (out/module/Dif). Exit code 0 only when every spec and block passed.
#>
param(
    # The module folder to test (holds Dif.psd1).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/module/Dif'),
    # Which spec files (default: every *.Tests.ps1 here).
    [string[]] $Path = @($PSScriptRoot),
    # Writes NUnit XML results here when given.
    [string] $ResultFile
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

# The Pester version pinned in Directory.Packages.props.
[xml] $props = Get-Content (Join-Path $root 'Directory.Packages.props') -Raw
$version = ($props.Project.ItemGroup.PackageVersion | Where-Object Include -eq 'Pester').Version
$pester = Join-Path $root "out/packages/pester/$version/tools/Pester.psd1"
if (-not (Test-Path -LiteralPath $pester)) {
    throw "Pester $version is not restored at $pester; run scripts/setup.sh (or: dotnet restore tests/Dif.PowerShell.Tests/PesterRestore.csproj)."
}
Import-Module $pester -Force

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
$config = New-PesterConfiguration
$config.Run.Container = @(Get-ChildItem -Path $Path -Filter '*.Tests.ps1' -File | Sort-Object Name |
    ForEach-Object { New-PesterContainer -Path $_.FullName -Data @{ ModulePath = $ModulePath } })
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($ResultFile) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $ResultFile
}
$clock = [Diagnostics.Stopwatch]::StartNew()
$result = Invoke-Pester -Configuration $config
$clock.Stop()

# Failed blocks or containers (a BeforeAll that threw, a file that did not parse) fail the run too;
# they count once each only when no test was counted failed already (their tests are marked failed).
$failed = $result.FailedCount
if ($failed -eq 0) { $failed = $result.FailedBlocksCount + $result.FailedContainersCount }
'Pester ran {0} spec file(s) in {1:F1} s.' -f $result.Containers.Count, $clock.Elapsed.TotalSeconds
'Pester: {0} passed, {1} failed, {2} skipped' -f $result.PassedCount, $failed, ($result.SkippedCount + $result.NotRunCount)
exit ([int]($failed -gt 0 -or $result.Result -ne 'Passed' -or $result.PassedCount -eq 0))
