# Full help for every exported cmdlet: written generically, so cmdlets added later are covered too.
param([string] $ModulePath)

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-DifUnderTest $ModulePath
    $commands = @(Get-Command -Module Dif -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-DifUnderTest $ModulePath
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
}

Describe 'Help for <Name>' -ForEach $commands {
    BeforeAll {
        $help = Get-Help $Name -Full
        $command = Get-Command $Name
    }

    It 'comes from the module''s MAML file' {
        $help.PSObject.TypeNames | Should -Contain 'MamlCommandHelpInfo#FullView'
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "*$Name *[<CommonParameters>]*" -Because 'PowerShell shows the syntax as synopsis when no help is found'
    }

    It 'has a description' {
        ($help.Description.Text -join '').Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code and an explanation' {
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 1
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
            ($example.Remarks.Text -join '').Trim() | Should -Not -BeNullOrEmpty
            $example.Code | Should -BeLike "*$Name*" -Because 'an example shows the cmdlet it documents'
        }
    }

    It 'describes every parameter' {
        $own = $command.Parameters.Keys | Where-Object { $_ -notin $common }
        foreach ($parameter in $own) {
            $p = $help.Parameters.Parameter | Where-Object Name -eq $parameter
            $p | Should -Not -BeNullOrEmpty -Because "-$parameter is in the help"
            ($p.Description.Text -join '').Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter is described"
        }
    }

    It 'documents no parameter the cmdlet does not have' {
        foreach ($p in $help.Parameters.Parameter) { $command.Parameters.Keys | Should -Contain $p.Name }
    }

    It 'names its output type' {
        ($help.ReturnValues.ReturnValue.Type.Name -join '') | Should -Not -BeNullOrEmpty
    }
}
