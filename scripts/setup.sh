#!/usr/bin/env bash
# Everything SqueezeLens needs on a fresh Debian/Ubuntu machine: Chromium and Firefox ESR (the
# extension runs and is tested in both) and the npm dependencies. Safe to run again: it skips what
# is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages for the browsers that are missing: chromium → /usr/bin/chromium,
# firefox-esr → /usr/bin/firefox-esr.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)…"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: ${missing[*]} missing and this user cannot install it; run as root: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Chinese UI: Chromium's zh-CN locale (without it chrome.i18n stays English even with
# --lang=zh-CN) and CJK glyphs (without them Chinese renders as boxes). test/extension/i18n.test.ts.
if [ ! -f /usr/lib/chromium/locales/zh-CN.pak ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "setup: installing the Chinese locale and fonts (chromium-l10n, fonts-noto-cjk)…"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="$(command -v sudo || true)"; fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium-l10n fonts-noto-cjk >/dev/null
  else
    echo "setup: cannot install chromium-l10n fonts-noto-cjk (not root); the Chinese browser test will fail" >&2
  fi
fi

# npm ci on a fresh checkout, in CI, or when the lock file changed since the last install.
if [ ! -d node_modules ] || [ "${CI:-}" = "true" ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
echo "setup: ready (node $(node --version), $(/usr/bin/chromium --version 2>/dev/null | head -1), $(/usr/bin/firefox-esr --version 2>/dev/null | head -1))"
