# New-DifFingerprint, Test-DifImage, Measure-DifDetector, Export-DifFingerprintImage, New-DifDenoiser:
# a fit -> test round trip. The "model" is the project's synthetic periodic trace (a known ±5-level checkerboard
# added to real crops): at the small crops and short fits a spec can afford, the real generators' subtler traces
# would not separate reliably (the harness measures those; docs/accuracy.md, "The evaluation harness").
param([string] $ModulePath)

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-DifUnderTest $ModulePath
    $Crop = 64

    # Real crops of the bundled photos, the periodic-trace images and one shipped generator's, made by the project's CLI.
    $data = Join-Path $TestDrive 'data'
    $dif = Join-Path $RepoRoot 'src/Dif.Cli/bin/Release/net10.0/dif.dll'
    $null = & dotnet $dif make-dataset --out $data --size $Crop --train 24 --test 16 --conditions png --only 'periodic,tconv' 2>&1
    if ($LASTEXITCODE -ne 0) { throw "make-dataset failed ($LASTEXITCODE)" }
    $TrainReal = Join-Path $data 'png/train/real'
    $TrainFake = Join-Path $data 'png/train/fake/periodic'
    $TestReal = Join-Path $data 'png/test/real'
    $TestFake = Join-Path $data 'png/test/fake/periodic'

    $FingerprintFile = Join-Path $TestDrive 'periodic.dif.safetensors'
    $Fitted = New-DifFingerprint -RealPath $TrainReal -FakePath $TrainFake -CropSize $Crop -Epochs 40 -MinSteps 0 -BatchSize 8 -OutFile $FingerprintFile
}

Describe 'New-DifFingerprint' {
    It 'returns a fingerprint object and writes it to -OutFile' {
        $Fitted | Should -BeOfType Dif.PowerShell.DifFingerprint
        $Fitted.Name | Should -Be 'periodic'
        $Fitted.CropSize | Should -Be $Crop
        $Fitted.Path | Should -Be $FingerprintFile
        $Fitted.DenoiserIdentity | Should -Match '^[0-9a-f]{64}$'
        $Fitted.CalibrationSource | Should -Be 'held-out'
        Test-Path -LiteralPath $FingerprintFile | Should -BeTrue
        Test-Path -LiteralPath "$FingerprintFile.checkpoint.safetensors" | Should -BeFalse
    }

    It 'writes nothing and fits nothing under -WhatIf' {
        $target = Join-Path $TestDrive 'whatif.dif.safetensors'
        $r = New-DifFingerprint -RealPath $TrainReal -FakePath $TrainFake -CropSize $Crop -Epochs 30 -MinSteps 0 -OutFile $target -WhatIf
        $r | Should -BeNullOrEmpty
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'refuses to overwrite an existing file without -Force' {
        { New-DifFingerprint -RealPath $TrainReal -FakePath $TrainFake -CropSize $Crop -Epochs 1 -MinSteps 0 -OutFile $FingerprintFile -ErrorAction Stop } |
            Should -Throw -ErrorId 'DifOutputExists,Dif.PowerShell.Commands.NewDifFingerprintCommand'
    }

    It 'runs at least -MinSteps steps when -Epochs would give fewer (a small set is one batch per epoch)' {
        $fp = New-DifFingerprint -RealPath $TrainReal -FakePath $TrainFake -CropSize $Crop -Epochs 1 -MinSteps 6
        $fp.Epochs | Should -Be 6
    }

    It 'refuses a class with no usable image' {
        $empty = Join-Path $TestDrive 'no-images'
        $null = New-Item -ItemType Directory $empty
        { New-DifFingerprint -RealPath $TrainReal -FakePath $empty -CropSize $Crop -Epochs 1 -MinSteps 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'DifNotEnoughImages,Dif.PowerShell.Commands.NewDifFingerprintCommand'
    }
}

Describe 'Test-DifImage' {
    It 'separates the model''s test images from real ones' {
        $real = Get-ChildItem $TestReal -File | Test-DifImage -Fingerprint $Fitted
        $fake = Get-ChildItem $TestFake -File | Test-DifImage -Fingerprint $Fitted
        $real.Count | Should -Be 16
        $fake.Count | Should -Be 16
        $real[0] | Should -BeOfType Dif.PowerShell.DifDetection
        $realAccuracy = @($real | Where-Object Score -lt 0).Count / 16
        $fakeAccuracy = @($fake | Where-Object Score -gt 0).Count / 16
        ($realAccuracy + $fakeAccuracy) / 2 | Should -BeGreaterOrEqual 0.75
        ($fake | Measure-Object Probability -Average).Average | Should -BeGreaterThan ($real | Measure-Object Probability -Average).Average
    }

    It 'takes the fingerprint as a file as well as an object, with the same results' {
        $file = Get-ChildItem $TestFake -File | Select-Object -First 3 | Test-DifImage -Fingerprint $FingerprintFile
        $object = Get-ChildItem $TestFake -File | Select-Object -First 3 | Test-DifImage -Fingerprint $Fitted
        $file.Score | Should -Be $object.Score
        $file.Verdict | Should -Be $object.Verdict
    }

    It 'writes one Boolean per image with -Quiet, True exactly for Generated verdicts' {
        $files = Get-ChildItem $TestFake -File | Select-Object -First 4
        $quiet = $files | Test-DifImage -Fingerprint $Fitted -Quiet
        $full = $files | Test-DifImage -Fingerprint $Fitted
        $quiet | ForEach-Object { $_ | Should -BeOfType [bool] }
        $quiet | Should -Be ($full | ForEach-Object { $_.Verdict -eq 'Generated' })
    }

    It 'scores in BFloat16 on request without changing later Float32 scores' {
        $files = Get-ChildItem $TestFake -File | Select-Object -First 4
        $before = $files | Test-DifImage -Fingerprint $Fitted
        $bf16 = $files | Test-DifImage -Fingerprint $Fitted -Precision BFloat16
        $after = $files | Test-DifImage -Fingerprint $Fitted
        $bf16.Count | Should -Be 4
        $bf16.Score | Should -Not -Be $before.Score
        foreach ($i in 0..3) { [math]::Abs($bf16[$i].Correlation - $before[$i].Correlation) | Should -BeLessThan 0.01 }
        $after.Score | Should -Be $before.Score
    }

    It 'reports a corrupt file mid-batch as a non-terminating error and scores the rest' {
        $batch = Join-Path $TestDrive 'mixed'
        $null = New-Item -ItemType Directory $batch
        Get-ChildItem $TestFake -File | Select-Object -First 2 | ForEach-Object { Copy-Item $_.FullName (Join-Path $batch ('a' + $_.Name)) }
        [IO.File]::WriteAllBytes((Join-Path $batch 'b-corrupt.png'), [byte[]](1..100))
        Get-ChildItem $TestFake -File | Select-Object -Last 1 | ForEach-Object { Copy-Item $_.FullName (Join-Path $batch ('c' + $_.Name)) }
        $r = Get-ChildItem $batch -File | Test-DifImage -Fingerprint $Fitted -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Count | Should -Be 3
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'DifImageUnreadable,Dif.PowerShell.Commands.TestDifImageCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errs[0].TargetObject | Should -Be (Join-Path $batch 'b-corrupt.png')
    }

    It 'refuses a damaged fingerprint file with a message naming it' {
        $bad = Join-Path $TestDrive 'damaged.dif.safetensors'
        [IO.File]::WriteAllBytes($bad, [IO.File]::ReadAllBytes($FingerprintFile)[0..99])
        { Test-DifImage -Path $TestFake -Fingerprint $bad -ErrorAction Stop } | Should -Throw "*damaged.dif.safetensors*"
    }
}

Describe 'Measure-DifDetector' {
    It 'measures a fingerprint on labelled folders' {
        $m = Measure-DifDetector -Fingerprint $Fitted -RealPath $TestReal -FakePath $TestFake
        $m | Should -BeOfType Dif.PowerShell.DifMeasurement
        $m.Detector | Should -Be 'periodic'
        $m.TestReal | Should -Be 16
        $m.TestFake | Should -Be 16
        $m.TruePositives + $m.FalseNegatives | Should -Be 16
        $m.BalancedAccuracy | Should -BeGreaterOrEqual 0.75
        $m.Auc | Should -BeGreaterOrEqual 0.75
    }
}

Describe 'Export-DifFingerprintImage' {
    It 'writes the fingerprint and spectrum pictures at the crop size' {
        $out = Join-Path $TestDrive 'pictures'
        $files = $Fitted | Export-DifFingerprintImage -OutDirectory $out
        $files.Name | Should -Be @('periodic-fingerprint.png', 'periodic-spectrum.png')
        foreach ($f in $files) { (Get-PngSize $f.FullName).Width | Should -Be $Crop }
    }

    It 'writes nothing under -WhatIf' {
        $out = Join-Path $TestDrive 'pictures-whatif'
        Export-DifFingerprintImage -Fingerprint $FingerprintFile -OutDirectory $out -WhatIf
        Test-Path $out | Should -BeFalse
    }
}

Describe 'New-DifDenoiser' {
    It 'writes nothing under -WhatIf' {
        $target = Join-Path $TestDrive 'dncnn.safetensors'
        New-DifDenoiser -Path $Photos -OutFile $target -Steps 5 -WhatIf
        Test-Path $target | Should -BeFalse
    }
}

Describe 'Get-DifLineage and Find-DifSource' {
    BeforeAll {
        $library = Join-Path $TestDrive 'library'
        $null = New-Item -ItemType Directory $library
        Copy-Item $FingerprintFile (Join-Path $library 'periodic.dif.safetensors')
        $null = New-DifFingerprint -RealPath $TrainReal -FakePath (Join-Path $data 'png/train/fake/tconv') -CropSize $Crop -Epochs 10 -MinSteps 0 -BatchSize 8 `
            -OutFile (Join-Path $library 'tconv.dif.safetensors')
    }

    It 'reports one pair with both cross-detection numbers and writes the report and heatmaps' {
        $out = Join-Path $TestDrive 'lineage'
        $pairs = Get-DifLineage -Fingerprint (Get-ChildItem $library -Filter *.safetensors) -RealPath $TestReal `
            -FakeRoot (Join-Path $data 'png/test/fake') -OutDirectory $out
        $pairs | Should -HaveCount 1
        $pairs[0] | Should -BeOfType Dif.PowerShell.DifLineagePair
        @($pairs[0].A, $pairs[0].B) | Sort-Object | Should -Be @('periodic', 'tconv')
        $pairs[0].AOnB | Should -BeGreaterOrEqual 0
        $pairs[0].Relation | Should -BeIn @('Related', 'OneWay', 'Unrelated', 'Inconclusive')
        $pairs[0].Reason | Should -Match ('{0:F3}' -f $pairs[0].AOnB)
        foreach ($name in 'lineage.md', 'lineage.json', 'lineage.csv', 'cross-detection.png', 'fingerprint-correlation.png') {
            Test-Path (Join-Path $out $name) | Should -BeTrue
        }
    }

    It 'attributes images among a folder of fingerprints, with none as an outcome' {
        $r = Get-ChildItem $TestFake -File | Find-DifSource -Library $library
        $r.Count | Should -Be 16
        $r[0] | Should -BeOfType Dif.PowerShell.DifAttribution
        $r.BestCandidate | ForEach-Object { $_ | Should -BeIn @('periodic', 'tconv') }
        $r | Where-Object Source | ForEach-Object { $_.Source | Should -BeIn @('periodic', 'tconv') }
        @($r | Where-Object Source -eq 'periodic').Count | Should -BeGreaterThan @($r | Where-Object Source -eq 'tconv').Count
    }

    It 'shows progress per image, as a percentage of the files given as arguments' {
        # Progress records are only visible to a host: run the cmdlet in a runspace of its own and read its stream.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript('param($m, $p, $l) Import-Module $m; Find-DifSource -Path $p -Library $l').
                AddArgument((Get-Module Dif).Path).AddArgument($TestFake).AddArgument($library)
            $results = $ps.Invoke()
            $results.Count | Should -Be 16
            $records = @($ps.Streams.Progress)
            $records.Count | Should -BeGreaterThan 1
            $records[0].Activity | Should -Match 'Find-DifSource'
            $records[0].StatusDescription | Should -Match '^0 of 16 done'
            $records[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Import-DifCheckpoint' {
    BeforeAll { $fixtures = Join-Path $RepoRoot 'tests/Dif.MLNet.Tests/Interop/Fixtures' }

    It 'converts a published-style fingerprint checkpoint written by real PyTorch' {
        $out = Join-Path $TestDrive 'imported.dif.safetensors'
        $f = Import-DifCheckpoint -LiteralPath (Join-Path $fixtures 'torch113-fingerprint.pt') -OutFile $out -Kind Fingerprint
        $f.FullName | Should -Be $out
        $loaded = Export-DifFingerprintImage -Fingerprint $out -OutDirectory (Join-Path $TestDrive 'imported-pictures')
        $loaded.Count | Should -Be 2
    }

    It 'warns once per run, when scoring, that an imported fingerprint records no denoiser' {
        $out = Join-Path $TestDrive 'imported-nodenoiser.dif.safetensors'
        $null = Import-DifCheckpoint -LiteralPath (Join-Path $fixtures 'torch113-fingerprint.pt') -OutFile $out -Kind Fingerprint
        $results = Get-ChildItem -LiteralPath $Photos -File | Select-Object -First 2 | Test-DifImage -Fingerprint $out -WarningVariable warned -WarningAction SilentlyContinue
        @($results).Count | Should -Be 2
        @($warned).Count | Should -Be 1
        "$($warned[0])" | Should -Match 'records no denoiser'
    }

    It 'refuses a checkpoint whose pickle would run os.system, and writes nothing' {
        $out = Join-Path $TestDrive 'hostile.dif.safetensors'
        Import-DifCheckpoint -LiteralPath (Join-Path $fixtures 'torch113-hostile.pt') -OutFile $out -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be 'DifCheckpointRefused,Dif.PowerShell.Commands.ImportDifCheckpointCommand'
        $errs[0].Exception.Message | Should -Match 'system'
        Test-Path $out | Should -BeFalse
    }
}
