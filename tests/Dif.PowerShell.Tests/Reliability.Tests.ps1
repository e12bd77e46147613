# Issue 8 through the cmdlets: the bad-input matrix (the same files as the xunit side, written by
# tests/Dif.MLNet.Tests/Reliability/BadImages.cs), batches that go on past bad files, permissions,
# Ctrl+C during a fit, and writes that fail. xunit covers the C# API and ML.NET (tests/.../Reliability).
param([string] $ModulePath)

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    if (-not $ModulePath) { $ModulePath = Join-Path $RepoRoot 'out/module/Dif' }
    # The matrix is written by a child pwsh that compiles BadImages.cs against the module's own ImageSharp,
    # so this process's default load context stays free of Dif's dependencies (Module.Tests.ps1 checks that).
    $script:MatrixRoot = Join-Path ([IO.Path]::GetTempPath()) ('dif-reliability-' + [guid]::NewGuid().ToString('N'))
    $imageSharp = Join-Path $ModulePath 'Dependencies/SixLabors.ImageSharp.dll'
    $source = Join-Path $RepoRoot 'tests/Dif.MLNet.Tests/Reliability/BadImages.cs'
    $child = Invoke-ChildPwsh @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$imageSharp'
Add-Type -Path '$source' -ReferencedAssemblies '$imageSharp', System.Collections, System.Memory, System.Runtime, System.Linq, netstandard -IgnoreWarnings -WarningAction SilentlyContinue
[Dif.Tests.Reliability.BadImages]::Write('$(Join-Path $MatrixRoot 'matrix')') | Select-Object Name, Path, SameAs, Refusal | ConvertTo-Json -Compress
"@
    if ($child.ExitCode -ne 0) { throw "writing the matrix failed: $($child.Output -join "`n")" }
    # Discovery's variables do not reach the run phase: the run finds the folder through the environment.
    $env:DIF_RELIABILITY_MATRIX = $MatrixRoot
    Set-Content -LiteralPath (Join-Path $MatrixRoot 'cases.json') -Value $child.Output[-1]
    $cases = @($child.Output[-1] | ConvertFrom-Json | ForEach-Object { @{ Case = $_; Name = $_.Name } })
    $script:Decodable = @($cases | Where-Object { -not $_.Case.Refusal })
    # A folder, for a cmdlet, stands for the images in it, and a missing path is DifPathNotFound: tested apart.
    $script:RefusedFiles = @($cases | Where-Object { $_.Case.Refusal -and $_.Name -notin 'directory', 'missing-path' })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-DifUnderTest $ModulePath
    $Crop = 32
    $MatrixRoot = $env:DIF_RELIABILITY_MATRIX
    $Matrix = Join-Path $MatrixRoot 'matrix'
    $all = @(Get-Content -LiteralPath (Join-Path $MatrixRoot 'cases.json') -Raw | ConvertFrom-Json)
    $DecodableCount = @($all | Where-Object { -not $_.Refusal }).Count
    $RefusedFilePaths = @($all | Where-Object { $_.Refusal -and $_.Name -notin 'directory', 'missing-path' } | ForEach-Object Path)
    $AsRoot = $IsLinux -and (& id -u) -eq '0'

    # Runs pwsh code in a child process without the capabilities that let root ignore file permissions
    # (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH); as another user, permissions apply anyway.
    function Invoke-WithoutPermissionOverride([string] $Command) {
        $exe = [Environment]::ProcessPath
        $arguments = @()
        if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $arguments += (Join-Path $PSHOME 'pwsh.dll') }
        $arguments += '-NoProfile', '-NonInteractive', '-Command', $Command
        if ($AsRoot) {
            $output = & setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search -- $exe @arguments 2>&1
        } else {
            $output = & $exe @arguments 2>&1
        }
        @($output | ForEach-Object { "$_" })
    }
}

AfterAll {
    if ($MatrixRoot -and (Test-Path -LiteralPath $MatrixRoot)) { Remove-Item -LiteralPath $MatrixRoot -Recurse -Force }
}

Describe 'Get-DifResidual on the bad-input matrix' {
    It 'decodes <Name> to the reference residual' -ForEach $Decodable {
        $r = Get-DifResidual -LiteralPath $Case.Path -CropSize $Crop -ErrorAction Stop
        $r.Residual.Length | Should -Be (3 * $Crop * $Crop)
        if ($Case.SameAs) {
            $expected = Get-DifResidual -LiteralPath $Case.SameAs -CropSize $Crop -ErrorAction Stop
            $r.Residual | Should -Be $expected.Residual
        }
    }

    It 'refuses <Name> with DifImageUnreadable naming the file and the reason' -ForEach $RefusedFiles {
        $r = Get-DifResidual -LiteralPath $Case.Path -CropSize $Crop -ErrorVariable errs -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'DifImageUnreadable,Dif.PowerShell.Commands.GetDifResidualCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errs[0].TargetObject | Should -Be $Case.Path
        $errs[0].Exception.Message | Should -BeLike "$([WildcardPattern]::Escape($Case.Path))*$($Case.Refusal)*"
    }

    It 'reports a missing path as DifPathNotFound' {
        $null = Get-DifResidual -LiteralPath (Join-Path $Matrix 'missing.png') -CropSize $Crop -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DifPathNotFound,*'
    }

    It 'reads a folder given as a path as the images in it (none here), with no error' {
        $r = Get-DifResidual -LiteralPath (Join-Path $Matrix 'a-folder.png') -CropSize $Crop -ErrorVariable errs -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $errs | Should -BeNullOrEmpty
    }

    It 'goes on past every bad file in a batch: one residual per good file, one error per bad one' {
        $files = Get-ChildItem -LiteralPath $Matrix -File
        $r = $files | Get-DifResidual -CropSize $Crop -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Count | Should -Be $DecodableCount
        $errs.Count | Should -Be $RefusedFilePaths.Count
        @($errs | ForEach-Object TargetObject | Sort-Object) | Should -Be @($RefusedFilePaths | Sort-Object)
    }
}

Describe 'Test-DifImage and New-DifFingerprint on bad input' {
    BeforeAll {
        # A quick fingerprint at the matrix's crop size from its reference pictures (only the file handling is under test).
        $ref = Join-Path $Matrix 'reference'
        $Fp = New-DifFingerprint -RealPath (Join-Path $ref 'photo.png'), (Join-Path $ref 'upright.png') -FakePath (Join-Path $ref 'palette-as-rgb.png'), (Join-Path $ref 'first-frame.png') -CropSize $Crop -Epochs 1 -MinSteps 0 -BatchSize 4
    }

    It 'scores every good file of the matrix and reports each bad one, going on' {
        $r = Get-ChildItem -LiteralPath $Matrix -File | Test-DifImage -Fingerprint $Fp -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Count | Should -Be $DecodableCount
        $errs.Count | Should -Be $RefusedFilePaths.Count
        $errs | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'DifImageUnreadable,Dif.PowerShell.Commands.TestDifImageCommand' }
    }

    It 'refuses to fit on one real image and no usable generated image, naming each bad file first' {
        $bad = @($RefusedFilePaths | Select-Object -First 3)
        $terminating = $null
        try { $null = New-DifFingerprint -RealPath (Join-Path $Matrix 'reference/photo.png') -FakePath $bad -CropSize $Crop -Epochs 1 -MinSteps 0 -ErrorVariable errs -ErrorAction SilentlyContinue }
        catch { $terminating = $_ }
        $terminating.FullyQualifiedErrorId | Should -Be 'DifNotEnoughImages,Dif.PowerShell.Commands.NewDifFingerprintCommand'
        $terminating.Exception.Message | Should -BeLike '*usable: 1 real, 0 generated*'
        $errs | Where-Object { $_.FullyQualifiedErrorId -like 'DifImageUnreadable,*' } | ForEach-Object TargetObject | Should -Be $bad
    }
}

Describe 'Permissions and failing writes' {
    It 'reports an unreadable file as DifImageUnreadable, permission denied (as root: without the permission override)' -Skip:(-not $IsLinux) {
        $file = Join-Path $TestDrive 'no-permission.png'
        Copy-Item (Join-Path $Matrix 'reference/photo.png') $file
        chmod 000 $file
        $out = Invoke-WithoutPermissionOverride @"
Import-Module '$((Get-Module Dif).ModuleBase)'
`$null = Get-DifResidual -LiteralPath '$file' -CropSize $Crop -ErrorVariable e -ErrorAction SilentlyContinue
`$e[0].FullyQualifiedErrorId; `$e[0].Exception.Message
"@
        $out[0] | Should -Be 'DifImageUnreadable,Dif.PowerShell.Commands.GetDifResidualCommand'
        $out[1] | Should -BeLike "$file*permission denied*"
    }

    It 'reports a read-only output folder as DifOutputWriteFailed and keeps the previous file (as root: without the permission override)' -Skip:(-not $IsLinux) {
        $folder = Join-Path $TestDrive 'read-only'
        $null = New-Item -ItemType Directory $folder
        $target = Join-Path $folder 'photo.residual.png'
        Set-Content -LiteralPath $target -Value 'previous'
        chmod 555 $folder
        try {
            $out = Invoke-WithoutPermissionOverride @"
Import-Module '$((Get-Module Dif).ModuleBase)'
`$null = Get-DifResidual -LiteralPath '$(Join-Path $Matrix 'reference/photo.png')' -CropSize $Crop -OutFile '$target' -Force -ErrorVariable e -ErrorAction SilentlyContinue
`$e[0].FullyQualifiedErrorId; `$e[0].TargetObject
"@
        } finally { chmod 755 $folder }
        $out[0] | Should -Be 'DifOutputWriteFailed,Dif.PowerShell.Commands.GetDifResidualCommand'
        $out[1] | Should -Be $target
        Get-Content -LiteralPath $target | Should -Be 'previous'
        @(Get-ChildItem -LiteralPath $folder -Force).Name | Should -Be 'photo.residual.png'
    }

    It 'stops a fit on Ctrl+C leaving the previous fingerprint file intact and no temporary file' {
        $ref = Join-Path $Matrix 'reference'
        $target = Join-Path $TestDrive 'stopped.dif.safetensors'
        $null = New-DifFingerprint -RealPath (Join-Path $ref 'photo.png'), (Join-Path $ref 'upright.png') -FakePath (Join-Path $ref 'palette-as-rgb.png'), (Join-Path $ref 'first-frame.png') -CropSize $Crop -Epochs 1 -MinSteps 0 -BatchSize 4 -OutFile $target
        $before = [IO.File]::ReadAllBytes($target)
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$((Get-Module Dif).ModuleBase)'; New-DifFingerprint -RealPath '$(Join-Path $ref 'photo.png')', '$(Join-Path $ref 'upright.png')' -FakePath '$(Join-Path $ref 'palette-as-rgb.png')', '$(Join-Path $ref 'first-frame.png')' -CropSize $Crop -Epochs 100000 -MinSteps 0 -BatchSize 4 -OutFile '$target' -Force")
        $handle = $ps.BeginInvoke()
        # Its first checkpoint (epoch 10) shows the fit is under way.
        while (-not (Test-Path -LiteralPath "$target.checkpoint.safetensors") -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 20 }
        $ps.Stop()   # what Ctrl+C does to a pipeline
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        [IO.File]::ReadAllBytes($target) | Should -Be $before
        @(Get-ChildItem -LiteralPath $TestDrive -Filter '*.tmp' -Force) | Should -BeNullOrEmpty
        $ps.Dispose()
    }
}
