#!/usr/bin/env bash
# One command: set this machine up and run Dif's main job on the bundled data.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec dotnet src/Dif.Cli/bin/Release/net10.0/dif.dll demo "$@"
