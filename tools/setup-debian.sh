#!/bin/sh
# Installs every Debian package hvoffline needs to build, test and run.
# Idempotent and non-interactive: packages already present are skipped, and
# `apt-get update` runs only when something is missing.  Run as root (or a
# user with sudo).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list="$here/debian-packages.txt"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
else
    echo "setup-debian.sh: run as root (or install sudo)" >&2
    exit 1
fi

missing=
for p in $(sed -e 's/#.*//' "$list"); do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "setup-debian.sh: all packages present"
    exit 0
fi

echo "setup-debian.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
