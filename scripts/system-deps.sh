#!/usr/bin/env bash
# Installs the Debian packages the platform and its tests need, when missing.
# Add a package here when a feature starts to need it (e.g. chromium for browser
# tests, fonts-noto-cjk and libharfbuzz-subset0 for PDFs).
set -euo pipefail
PACKAGES=(
  postgresql-client  # psql, used by the docs' set-up commands and by operators
  chromium           # /usr/bin/chromium, driven headless by Playwright in tests/browser
  fonts-noto-cjk     # Chinese glyphs in the browser tests' screenshots and in PDFs (xinyong.pdf)
  libpango-1.0-0        # WeasyPrint lays out text with Pango (xinyong.pdf, repair letters)
  libpangoft2-1.0-0     # Pango's FreeType/fontconfig backend, used by WeasyPrint
  libharfbuzz-subset0   # WeasyPrint subsets the CJK font with it: without it a letter takes seconds and MBs
  wrk                   # `make bench`: the C load generator for single screening calls (bench/screening.py)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
