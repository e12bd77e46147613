#!/usr/bin/env bash
# One command: set this machine up and run every test: xunit for the library and CLI, then the
# PowerShell module's Pester specs in a fresh pwsh (an imported module DLL stays locked in its process).
set -euo pipefail
cd "$(dirname "$0")"
# pwsh: no telemetry or update check (no network beyond package registries here, and none is needed).
export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
bash scripts/setup.sh
echo "[dif] running tests ..." >&2
set +e
dotnet test Dif.sln -c Release --no-build -nologo -v quiet --logger "console;verbosity=normal" 2>&1 \
  | tee /tmp/dif-test-$$.log
status=${PIPESTATUS[0]}
echo "[dif] running PowerShell module specs (Pester, pwsh 7.6 from .config/dotnet-tools.json) ..." >&2
mkdir -p out/test-results
dotnet pwsh -NoProfile -NonInteractive -File tests/Dif.PowerShell.Tests/run-pester.ps1 \
  -ResultFile out/test-results/pester.xml 2>&1 | tee /tmp/dif-pester-$$.log
pester_status=${PIPESTATUS[0]}
set -e
# A plain closing line for CI: "N passed, N failed" (xunit and Pester together).
passed=$( (grep -Eo '^ +Passed: +[0-9]+' /tmp/dif-test-$$.log || true) | awk '{s+=$2} END {print s+0}')
failed=$( (grep -Eo '^ +Failed: +[0-9]+' /tmp/dif-test-$$.log || true) | awk '{s+=$2} END {print s+0}')
pester_line=$(grep -Eo '^Pester: [0-9]+ passed, [0-9]+ failed' /tmp/dif-pester-$$.log | tail -1 || true)
if [ -n "$pester_line" ]; then
  passed=$((passed + $(echo "$pester_line" | awk '{print $2}')))
  failed=$((failed + $(echo "$pester_line" | awk '{print $4}')))
elif [ "$pester_status" -ne 0 ]; then
  failed=$((failed + 1))   # the Pester run itself broke before counting
fi
rm -f /tmp/dif-test-$$.log /tmp/dif-pester-$$.log
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$pester_status"
