#!/bin/sh
# The quick-start demo: runs the main job on the built-in sample.
# Called by `./quickstart.sh demo` with the build directory as argument.
set -eu
build=${1:?usage: demo.sh BUILD-DIR}
hvo="$build/hvoffline"

echo "== hvoffline --version"
"$hvo" --version
echo
echo "== hvoffline doctor  (launches the guest appliance; KVM, or TCG fallback)"
"$hvo" doctor
