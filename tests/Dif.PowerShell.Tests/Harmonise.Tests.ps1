# The training-data format check and -Harmonise in the cmdlets: real crops stored as JPEG (quality 90) against
# "generated" crops stored as PNG, both made from the bundled photos by the project's CLI (make-dataset).
param([string] $ModulePath)

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-DifUnderTest $ModulePath
    $Crop = 64

    $data = Join-Path $TestDrive 'data'
    $dif = Join-Path $RepoRoot 'src/Dif.Cli/bin/Release/net10.0/dif.dll'
    $null = & dotnet $dif make-dataset --out $data --size $Crop --train 8 --test 2 --conditions 'png,jpeg90' --only periodic 2>&1
    if ($LASTEXITCODE -ne 0) { throw "make-dataset failed ($LASTEXITCODE)" }
    $JpegReal = Join-Path $data 'jpeg90/train/real'
    $PngFake = Join-Path $data 'png/train/fake/periodic'
    $Expected = 'container: real: 100% JPEG (quality ≈ 90); generated: 100% PNG'

    $FingerprintFile = Join-Path $TestDrive 'harmonised.dif.safetensors'
    $Fitted = New-DifFingerprint -RealPath $JpegReal -FakePath $PngFake -CropSize $Crop -Epochs 2 -MinSteps 0 -BatchSize 8 -Harmonise 'jpeg:90' `
        -OutFile $FingerprintFile -WarningVariable FitWarnings -WarningAction SilentlyContinue

    # The safetensors header's metadata, read as JSON (8-byte little-endian length, then the header).
    function Get-FingerprintMetadata([string] $Path) {
        $bytes = [IO.File]::ReadAllBytes($Path)
        $length = [BitConverter]::ToInt64($bytes, 0)
        ([Text.Encoding]::UTF8.GetString($bytes, 8, $length) | ConvertFrom-Json).'__metadata__'
    }
}

Describe 'New-DifFingerprint format check and -Harmonise' {
    It 'writes each difference of format between the classes to the warning stream, then what to do' {
        $FitWarnings.Count | Should -Be 2
        $FitWarnings[0].Message | Should -Be $Expected
        $FitWarnings[1].Message | Should -BeLike '*harmonised as jpeg:90*'
        $Fitted.FormatWarnings | Should -Be @($Expected)
    }

    It 'records -Harmonise and the warnings in the object and the fingerprint file' {
        $Fitted.Harmonise | Should -Be 'jpeg:90'
        $meta = Get-FingerprintMetadata $FingerprintFile
        $meta.harmonise | Should -Be 'jpeg:90'
        ($meta.format_warnings | ConvertFrom-Json) | Should -Be @($Expected)
    }

    It 'refuses a -Harmonise that is not jpeg:Q before doing any work' {
        { New-DifFingerprint -RealPath $JpegReal -FakePath $PngFake -CropSize $Crop -Epochs 1 -MinSteps 0 -Harmonise 'png' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,Dif.PowerShell.Commands.NewDifFingerprintCommand'
    }
}

Describe 'Test-DifImage and Measure-DifDetector with a harmonised fingerprint' {
    It 'applies the fingerprint''s harmonisation without being asked' {
        $png = Get-ChildItem $PngFake -File | Select-Object -First 2
        $auto = $png | Test-DifImage -Fingerprint $FingerprintFile
        $asked = $png | Test-DifImage -Fingerprint $FingerprintFile -Harmonise 'jpeg:90'
        $plain = [Dif.PowerShell.DifFingerprint]::new($Fitted.Fingerprint.WithHarmonisation($null), $null)
        $unharmonised = $png | Test-DifImage -Fingerprint $plain
        $asked.Correlation | Should -Be $auto.Correlation
        $unharmonised[0].Correlation | Should -Not -Be $auto[0].Correlation
    }

    It 'refuses another harmonisation than the fingerprint records' {
        { Test-DifImage -Path $PngFake -Fingerprint $Fitted -Harmonise 'jpeg:80' -ErrorAction Stop } |
            Should -Throw -ErrorId 'DifHarmonisationMismatch,Dif.PowerShell.Commands.TestDifImageCommand'
        { Measure-DifDetector -Fingerprint $Fitted -RealPath $JpegReal -FakePath $PngFake -Harmonise 'jpeg:80' -ErrorAction Stop } |
            Should -Throw -ErrorId 'DifHarmonisationMismatch,Dif.PowerShell.Commands.MeasureDifDetectorCommand'
    }
}
