#!/usr/bin/env bash
# Opens a softq report in headless Chromium, takes a screenshot, and checks that the page
# is self-contained. Usage:
#
#   Scripts/report_screenshot.sh REPORT.html OUT.png
#
# Needs Debian's `chromium` (apt-get install -y chromium; or name another binary in $CHROMIUM)
# and python3 (standard library only). Exits 0 only if all of these hold:
#   1. the page logs nothing to the console (no errors, no warnings, no CSP violations:
#      Chromium's --enable-logging=stderr prints every console message as a CONSOLE line);
#   2. the page makes no network request: Chromium's NetLog (--log-net-log) records every
#      URL request; requests started by the page carry the page's origin as initiator,
#      while the browser's own background traffic (component updates, sign-in checks, which
#      this script also tries to switch off) says "not an origin" and is ignored;
#   3. the rendered DOM (--dump-dom) has a <section> for every #link in the navigation and
#      no <script> element;
#   4. the screenshot (--window-size=1280,2000) was written and is not empty.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 REPORT.html OUT.png" >&2
    exit 2
fi
report="$1"
out="$2"
[[ -f "$report" ]] || { echo "no such report: $report" >&2; exit 2; }
chrome="${CHROMIUM:-chromium}"
command -v "$chrome" >/dev/null || { echo "$chrome not found: apt-get install -y chromium (or set CHROMIUM)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 2; }

report_abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

flags=(--headless --disable-gpu --hide-scrollbars --user-data-dir="$work/profile"
       --no-first-run --disable-background-networking --disable-component-update --disable-sync
       --disable-default-apps --disable-extensions --disable-domain-reliability --no-pings
       --enable-logging=stderr --v=0)
# Chromium refuses to run its sandbox as root (containers, CI); the page is our own file.
if [[ "$(id -u)" == 0 ]]; then flags+=(--no-sandbox); fi

rm -f "$out_abs"
timeout 120 "$chrome" "${flags[@]}" --log-net-log="$work/netlog.json" \
    --window-size=1280,2000 --screenshot="$out_abs" "file://$report_abs" \
    >"$work/shot.out" 2>"$work/shot.err" || { cat "$work/shot.err" >&2; echo "chromium failed" >&2; exit 1; }
timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$report_abs" \
    >"$work/dom.html" 2>"$work/dom.err" || { cat "$work/dom.err" >&2; echo "chromium --dump-dom failed" >&2; exit 1; }

python3 - "$work" "$out_abs" <<'EOF'
import json, os, re, sys
work, png = sys.argv[1], sys.argv[2]
problems = []

console = [l.strip() for f in ("shot.err", "dom.err") for l in open(os.path.join(work, f), errors="replace")
           if ":CONSOLE" in l]
problems += ["console: " + l for l in console]

log = json.load(open(os.path.join(work, "netlog.json")))
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
page_requests = [e["params"]["url"] for e in log["events"]
                 if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in e.get("params", {})
                 and e["params"].get("initiator") != "not an origin"]
problems += ["network request from the page: " + u for u in page_requests]

dom = open(os.path.join(work, "dom.html"), errors="replace").read()
links = re.findall(r'<a href="#([^"]+)"', dom)
sections = set(re.findall(r'<section id="([^"]+)"', dom))
problems += ["navigation link #%s has no section" % l for l in links if l not in sections]
if not sections:
    problems.append("no <section> rendered")
if re.search(r"<script\b", dom, re.I):
    problems.append("the rendered page contains a <script> element")

size = os.path.getsize(png) if os.path.exists(png) else 0
if size == 0:
    problems.append("no screenshot written")

if problems:
    print("FAILED:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print("OK: %s (%d bytes); %d sections (%s); 0 console messages; 0 network requests from the page"
      % (png, size, len(sections), ", ".join(sorted(sections))))
EOF
