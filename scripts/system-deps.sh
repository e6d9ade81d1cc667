#!/usr/bin/env bash
# Debian packages the test suite needs (real protocol peers: PostgreSQL for the warehouse tests, Chromium for
# the report test). Installs only what is missing; needs root (or passwordless sudo) and Debian's apt.
# Each needed package is listed once here as "<command that proves it is installed> <package>".
set -euo pipefail
NEEDED=(
  # --- add "<check command path> <debian package>" lines below
  "/usr/lib/postgresql/15/bin/postgres postgresql"
  "/usr/bin/chromium chromium"
)
missing=()
for entry in "${NEEDED[@]}"; do
  check=${entry%% *}; pkg=${entry#* }
  [[ -e "$check" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then exit 0; fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "system-deps: missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
echo "system-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
