#!/usr/bin/env bash
# `make test-report` (not in CI): renders a softq report in headless Chromium and checks what a
# reader sees. Installs Debian's chromium + chromium-driver and selenium (pinned) if missing.
#   1. Scripts/report_screenshot.sh: no console message, no network request from the page,
#      every navigation link has its section, no <script>;
#   2. Scripts/report_layout.py: no horizontal overflow at 1280 and 800 px, the headline
#      first; writes docs/report-1280.png and docs/report-800.png (the top of the page).
# Usage: Scripts/test_report.sh SOFTQ [REPORT.html]
# Without REPORT, demo-out/report.html (`make demo`) is used when present, else the committed
# example runs (notebooks-data/example-runs) are rendered into .build/report-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
SOFTQ="${1:?usage: Scripts/test_report.sh SOFTQ [REPORT.html]}"
REPORT="${2:-}"

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
for p in chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "test-report: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check "selenium==4.27.1"

if [ -z "$REPORT" ]; then
    if [ -f demo-out/report.html ]; then
        REPORT=demo-out/report.html
    else
        mkdir -p .build/report-check
        "$SOFTQ" report notebooks-data/example-runs/mle-seed1 notebooks-data/example-runs/iqlearn-seed1 \
            --out .build/report-check/report.html
        REPORT=.build/report-check/report.html
    fi
fi
echo "test-report: checking $REPORT"
shot="$(mktemp -d)"
trap 'rm -rf "$shot"' EXIT
bash Scripts/report_screenshot.sh "$REPORT" "$shot/full.png"
python3 Scripts/report_layout.py "$REPORT" docs --widths 1280 800 --height 2600
