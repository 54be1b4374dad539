#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing (scripts/install-deps.sh --tests), builds the solution
# (warnings are errors), runs every test project, and ends with one line "N passed, N failed[, N skipped]".
# The tests start the AppHost themselves (local Postgres and Redis processes, throwaway data).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests || exit 1
dotnet tool restore >/dev/null
if ! dotnet build ChatAspire.sln -c Release -nologo -v q -clp:NoSummary; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
results=$(mktemp -d)
dotnet test ChatAspire.sln -c Release --no-build --logger "trx;LogFilePrefix=results" --results-directory "$results" "$@"
status=$?
python3 - "$results" "$status" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    if c is None:
        continue
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
if int(sys.argv[2]) != 0 and failed == 0:
    failed = 1  # the test host crashed or a project did not report: never call that green
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
rm -rf "$results"
exit $status
