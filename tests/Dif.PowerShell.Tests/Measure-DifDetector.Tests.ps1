# Measure-DifDetector -Folds: stratified K-fold cross-validation of Dif and the residual-averaging baseline on a
# folder pair. The "model" is the project's periodic trace (a known checkerboard added to real crops; see
# Fingerprint.Tests.ps1), at 64x64 crops and a 2-epoch fit: this spec checks the cmdlet's plumbing (parameter set,
# output objects, progress, errors, format view); the C# tests (CrossValidationTests) check the statistics.
param([string] $ModulePath)

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-DifUnderTest $ModulePath
    $Crop = 64

    $data = Join-Path $TestDrive 'data'
    $dif = Join-Path $RepoRoot 'src/Dif.Cli/bin/Release/net10.0/dif.dll'
    $null = & dotnet $dif make-dataset --out $data --size $Crop --train 9 --test 0 --conditions png --only periodic 2>&1
    if ($LASTEXITCODE -ne 0) { throw "make-dataset failed ($LASTEXITCODE)" }
    $Real = Join-Path $data 'png/train/real'
    # The parent of fake/periodic, so that the folder is read recursively; with a file in it that is no image.
    $Fake = Join-Path $data 'png/train/fake'
    $Bad = Join-Path $Fake 'periodic/notes.txt'
    Set-Content -LiteralPath $Bad -Value 'not an image'

    # Progress records are only visible to a host: run the cmdlet in a runspace of its own and read its streams.
    $ps = [powershell]::Create()
    try {
        $null = $ps.AddScript('param($m, $r, $f, $c) Import-Module $m; Measure-DifDetector -RealPath $r -FakePath $f -Folds 3 -Seed 2 -CropSize $c -Epochs 2 -MinSteps 0 -BatchSize 8').
            AddArgument((Get-Module Dif).Path).AddArgument($Real).AddArgument($Fake).AddArgument($Crop)
        $Results = @($ps.Invoke())
        $Errors = @($ps.Streams.Error)
        $Progress = @($ps.Streams.Progress)
    }
    finally { $ps.Dispose() }
}

Describe 'Measure-DifDetector -Folds' {
    It 'emits one cross-validation object per detector, over identical folds' {
        $Results | Should -HaveCount 2
        $Results | ForEach-Object { $_ | Should -BeOfType Dif.PowerShell.DifCrossValidation }
        $Results.Detector | Should -Be @('Dif fingerprint', 'residual averaging')
        foreach ($r in $Results) {
            $r.Folds | Should -Be 3
            $r.Seed | Should -Be 2
            $r.Real | Should -Be 9
            $r.Fake | Should -Be 9
            $r.Skipped | Should -Be 1
            $r.FoldBalancedAccuracy | Should -HaveCount 3
            $r.FoldAuc | Should -HaveCount 3
            ($r.FoldTestReal | Measure-Object -Sum).Sum | Should -Be 9
            ($r.FoldTestFake | Measure-Object -Sum).Sum | Should -Be 9
            $r.MeanBalancedAccuracy | Should -BeGreaterOrEqual 0
            $r.MeanBalancedAccuracy | Should -BeLessOrEqual 1
            $r.PooledAuc | Should -BeGreaterOrEqual 0
            $r.PooledAuc | Should -BeLessOrEqual 1
            $mean = ($r.FoldBalancedAccuracy | Measure-Object -Average).Average
            $r.MeanBalancedAccuracy | Should -BeGreaterThan ($mean - 1e-12)
            $r.MeanBalancedAccuracy | Should -BeLessThan ($mean + 1e-12)
            $sd = [Math]::Sqrt((($r.FoldAuc | ForEach-Object { ($_ - $r.MeanAuc) * ($_ - $r.MeanAuc) }) | Measure-Object -Sum).Sum / 2)
            $r.SdAuc | Should -BeGreaterThan ($sd - 1e-12)
            $r.SdAuc | Should -BeLessThan ($sd + 1e-12)
        }
        # Both detectors were tested on the same folds.
        $Results[0].FoldTestReal | Should -Be $Results[1].FoldTestReal
        $Results[0].FoldTestFake | Should -Be $Results[1].FoldTestFake
        # The trace is blatant: the baseline (a mean residual) finds it from 6 images per class.
        $Results[1].PooledAuc | Should -BeGreaterOrEqual 0.9
    }

    It 'reports a bad image as a non-terminating DifImageUnreadable error and goes on' {
        $Errors | Should -HaveCount 1
        $Errors[0].FullyQualifiedErrorId | Should -Be 'DifImageUnreadable,Dif.PowerShell.Commands.MeasureDifDetectorCommand'
        $Errors[0].TargetObject | Should -Be $Bad
        $Errors[0].Exception.Message | Should -BeLike "*notes.txt*"
    }

    It 'shows progress per fold and detector, and per epoch of the fingerprint fit' {
        $status = @($Progress | Where-Object ActivityId -eq 1 | ForEach-Object StatusDescription)
        foreach ($fold in 1..3) {
            $status | Should -Contain "fold $fold of 3: Dif fingerprint"
            $status | Should -Contain "fold $fold of 3: residual averaging"
        }
        $status | Should -Contain 'residuals: 19 of 19 images'
        @($Progress | Where-Object { $_.ActivityId -eq 2 -and $_.StatusDescription -eq 'epoch 2 of 2' }).Count | Should -Be 3
        ($Progress | Where-Object ActivityId -eq 1)[-1].RecordType | Should -Be 'Completed'
    }

    It 'has a table view with the mean, sd and pooled numbers that fits 80 columns' {
        $text = $Results | Out-String -Width 80
        $text | Should -Match 'Bal\. acc\. ± sd +AUC ± sd +Pooled acc\. +Pooled AUC'
        $text | Should -Match ('residual averaging +3 +[0-9.,]+ ?% ± [0-9.,]+ ?% +{0} ± ' -f [regex]::Escape(('{0:F3}' -f $Results[1].MeanAuc)))
    }

    It 'refuses a class with fewer images than folds, naming it' {
        $few = Join-Path $TestDrive 'few'
        $null = New-Item -ItemType Directory $few
        Get-ChildItem (Join-Path $Fake 'periodic') -Filter *.png | Select-Object -First 2 | Copy-Item -Destination $few
        $e = { Measure-DifDetector -RealPath $Real -FakePath $few -Folds 3 -CropSize $Crop -ErrorAction Stop } |
            Should -Throw -ErrorId 'DifNotEnoughImages,Dif.PowerShell.Commands.MeasureDifDetectorCommand' -PassThru
        $e.Exception.Message | Should -BeLike '*3-fold*2 generated image(s) found*'
    }

    It 'refuses fewer than 2 folds by parameter validation' {
        { Measure-DifDetector -RealPath $Real -FakePath $Fake -Folds 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,Dif.PowerShell.Commands.MeasureDifDetectorCommand'
    }
}
