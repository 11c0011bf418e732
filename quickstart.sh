#!/bin/sh
# The two quick-start commands of README.md.
#
#   ./quickstart.sh demo    install what is needed, build, run the main job on
#                           the built-in sample
#   ./quickstart.sh check   install what is needed, build with the quality
#                           gates (-Werror under CI, ASan+UBSan), check the
#                           formatting, and pass the whole test suite
#
# Builds happen out of tree, in _build/demo and _build/check.
set -eu

top=$(cd "$(dirname "$0")" && pwd)
mode=${1:-}
jobs=$(nproc 2>/dev/null || echo 2)

case "$mode" in
demo | check) ;;
*)
    echo "usage: $0 demo|check" >&2
    exit 2
    ;;
esac

"$top/tools/setup-debian.sh"

if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
    (cd "$top" && ./autogen.sh)
fi

build="$top/_build/$mode"
mkdir -p "$build"
cd "$build"

case "$mode" in
demo)
    [ -f Makefile ] || "$top/configure" --quiet
    make -j"$jobs"
    exec "$top/tools/demo.sh" "$build"
    ;;
check)
    [ -f Makefile ] || "$top/configure" --quiet --enable-sanitizers
    make -j"$jobs"
    make format-check
    # VERBOSE=1 prints the log of any failing test.
    make -j"$jobs" check VERBOSE=1
    ;;
esac
