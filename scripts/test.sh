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
# The fast tier first (seconds: a broken rule shows at once), then the service tier (the AppHost, Chromium, the drill).
status=0
for project in tests/ChatAspire.UnitTests tests/ChatAspire.Tests; do
  dotnet test "$project" -c Release --no-build --logger "trx;LogFilePrefix=results" --results-directory "$results" "$@" || status=1
done
python3 - "$results" "$status" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
durations = []
for f in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    root = ET.parse(f).getroot()
    for r in root.iter("{%s}UnitTestResult" % ns["t"]):
        h, m, sec = r.get("duration", "0:0:0").split(":")
        durations.append((int(h) * 3600 + int(m) * 60 + float(sec), r.get("testName", "?")))
    c = root.find("t:ResultSummary/t:Counters", ns)
    if c is None:
        continue
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
# Where the time goes (a test's own time; parallel classes overlap): the slowest ten.
for seconds, name in sorted(durations, reverse=True)[:10]:
    print(f"slow: {seconds:6.1f} s  {name[:150]}")
if int(sys.argv[2]) != 0 and failed == 0:
    failed = 1  # the test host crashed or a project did not report: never call that green
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
rm -rf "$results"
exit $status
