#!/usr/bin/env bash
# One command: set this machine up and run every test (xunit for the library and CLI).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
echo "[dif] running tests ..." >&2
set +e
dotnet test Dif.sln -c Release --no-build -nologo -v quiet --logger "console;verbosity=normal" 2>&1 \
  | grep -v "NNPACK.cpp" | tee /tmp/dif-test-$$.log
status=${PIPESTATUS[0]}
set -e
# A plain closing line for CI: "N passed, N failed".
passed=$( (grep -Eo '^ +Passed: +[0-9]+' /tmp/dif-test-$$.log || true) | awk '{s+=$2} END {print s+0}')
failed=$( (grep -Eo '^ +Failed: +[0-9]+' /tmp/dif-test-$$.log || true) | awk '{s+=$2} END {print s+0}')
rm -f /tmp/dif-test-$$.log
echo "$passed passed, $failed failed"
exit "$status"
