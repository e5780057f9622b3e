#!/usr/bin/env bash
# Install the Debian/Ubuntu packages PeerPath needs, or say exactly how.
#   scripts/system-deps.sh          Pango + fonts for WeasyPrint, gettext
#   scripts/system-deps.sh --test   the same, plus Poppler tools and Chromium for tests, wrk for `make bench`
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-dejavu-core gettext)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(poppler-utils chromium wrk zbar-tools redis-server)
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian-based system; install these yourself: ${packages[*]}" >&2
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  $cmd
else
  echo "system-deps: missing system packages. Run:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
