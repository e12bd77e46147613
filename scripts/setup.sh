#!/usr/bin/env bash
# Prepares a machine that has only the .NET 10 SDK: native prerequisites, packages, build.
# Idempotent: a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prereqs.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "[dif] restoring tools (pwsh) and Pester ..." >&2
dotnet tool restore >/dev/null
dotnet restore tests/Dif.PowerShell.Tests/PesterRestore.csproj -nologo -v quiet
echo "[dif] restoring and building (Release; the PowerShell module folder is out/module/Dif) ..." >&2
# Warnings are shown (there should be none: CI builds with CI=true treat them as errors).
dotnet build Dif.sln -c Release -nologo -v quiet
