#!/usr/bin/env bash
# Part of `pnpm test`: the browser test drives a headless Chromium, and browser downloads are not possible
# on our machines, so Debian's package is installed when it is missing (non-interactive, as root or with
# password-less sudo). Where it cannot be installed this only warns; the browser test then fails with a
# message that says how to provide one (CHROMIUM_PATH).
set -u
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no chromium and no apt-get; set CHROMIUM_PATH for the browser test" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; fi
echo "ensure-chromium: installing Debian's chromium for the browser test" >&2
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
  echo "ensure-chromium: could not install chromium; set CHROMIUM_PATH for the browser test" >&2
exit 0
