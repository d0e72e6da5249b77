#!/usr/bin/env python3
"""Checks a softq report's layout in headless Chromium and keeps screenshots.

For each viewport width (default 1280 and 800 CSS px) the report is opened through
chromedriver (selenium) and these must hold, else the script exits 1:
  1. no horizontal overflow: document.documentElement.scrollWidth <= window.innerWidth
     (wide tables scroll inside their own wrapper, figures shrink to the column);
  2. no element other than the table wrappers is wider than the viewport;
  3. 1 and 2 hold with every <details> block (provenance, full tables) opened;
  4. the page has the headline section first.
The screenshot of each width is the top `--height` px of the page (default 3000), written to
OUT_DIR/report-WIDTH.png; `--full` writes the whole page instead (for reviewing a design).

The page's Content-Security-Policy forbids scripts; selenium's measurements run through the
DevTools protocol, outside the page, so the CSP is left as it ships.

Usage: Scripts/report_layout.py REPORT.html OUT_DIR [--widths 1280 800] [--height 3000] [--full]
Needs Debian's chromium and chromium-driver, and selenium (make test-report installs them).
"""
import argparse
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

MEASURE = """
const vw = window.innerWidth;
const wide = [];
for (const e of document.querySelectorAll('body *')) {
  if (e.closest('.table-wrap') && !e.classList.contains('table-wrap')) continue;
  const r = e.getBoundingClientRect();
  if (r.right > vw + 0.5 && r.width > 0) wide.push(e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className : '') + ' right=' + Math.round(r.right));
}
const first = document.querySelector('section');
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: vw,
        scrollHeight: document.documentElement.scrollHeight, wide: wide.slice(0, 10),
        firstSection: first ? first.id : null};
"""


def driver(width, height):
    o = Options()
    for a in ("--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-extensions", "--force-device-scale-factor=1", f"--window-size={width},{height}"):
        o.add_argument(a)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        o.add_argument("--no-sandbox")  # Chromium refuses its sandbox as root (containers, CI)
    o.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=o, service=service)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report")
    ap.add_argument("out_dir")
    ap.add_argument("--widths", type=int, nargs="+", default=[1280, 800])
    ap.add_argument("--height", type=int, default=3000)
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    url = "file://" + os.path.abspath(args.report)
    os.makedirs(args.out_dir, exist_ok=True)
    problems = []
    for width in args.widths:
        d = driver(width, 1000)
        try:
            # The window size includes no scrollbar (hidden), so innerWidth is the viewport.
            d.get(url)
            m = d.execute_script(MEASURE)
            if m["innerWidth"] != width:
                d.set_window_size(width + (width - m["innerWidth"]), 1000)
                m = d.execute_script(MEASURE)
            print(f"{width}px: scrollWidth {m['scrollWidth']} (viewport {m['innerWidth']}), page height {m['scrollHeight']}")
            if m["scrollWidth"] > m["innerWidth"]:
                problems.append(f"{width}px: page scrolls sideways: scrollWidth {m['scrollWidth']} > {m['innerWidth']}")
            problems += [f"{width}px: wider than the viewport: {w}" for w in m["wide"]]
            if m["firstSection"] != "headline":
                problems.append(f"{width}px: the first section is {m['firstSection']!r}, not the headline")
            # The collapsed blocks (provenance, full tables) must fit too once opened.
            d.execute_script("document.querySelectorAll('details').forEach(e => e.open = true)")
            opened = d.execute_script(MEASURE)
            print(f"  details opened: scrollWidth {opened['scrollWidth']}")
            if opened["scrollWidth"] > opened["innerWidth"]:
                problems.append(f"{width}px, details open: page scrolls sideways: scrollWidth {opened['scrollWidth']} > {opened['innerWidth']}")
            problems += [f"{width}px, details open: wider than the viewport: {w}" for w in opened["wide"]]
            d.execute_script("document.querySelectorAll('details').forEach(e => e.open = false)")
            height = m["scrollHeight"] if args.full else min(args.height, m["scrollHeight"])
            d.set_window_size(d.get_window_size()["width"], height)
            png = os.path.join(args.out_dir, f"report-{width}.png")
            d.save_screenshot(png)
            print(f"  wrote {png}")
        finally:
            d.quit()
    if problems:
        print("FAILED:", *problems, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print("OK: no horizontal overflow at " + ", ".join(f"{w}px" for w in args.widths))


if __name__ == "__main__":
    main()
