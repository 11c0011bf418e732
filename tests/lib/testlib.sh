# testlib.sh - helpers for the shell tests (sourced, not run).
#
# Environment from the Makefile: HVO_TOP_SRCDIR, HVO_TOP_BUILDDIR and
# HVOFFLINE (the built program).  Every test runs under tests/run-bounded.

set -u

: "${HVO_TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${HVO_TOP_BUILDDIR:=$HVO_TOP_SRCDIR}"
: "${HVOFFLINE:=$HVO_TOP_BUILDDIR/hvoffline}"

T_FAILS=0
T_COUNT=0
T_NAME=$(basename "$0")

# A private scratch directory, removed on exit.
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvotest.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

# T_PREFIX, when set, begins every check's line (a test that runs the
# same checks twice names the round).
t_fail() {
    T_FAILS=$((T_FAILS + 1))
    printf 'FAIL: %s: %s%s\n' "$T_NAME" "${T_PREFIX:-}" "$*" >&2
}

# (printf, not echo: dash's echo reads a description's "\c" as "stop".)
t_pass() {
    printf 'ok: %s%s\n' "${T_PREFIX:-}" "$*"
}

# need_tools PROG...: skips the test (exit 77) when a program it needs is
# not installed, except under CI=true where that is a hard error (exit 99).
need_tools() {
    for p in "$@"; do
        if ! command -v "$p" >/dev/null 2>&1; then
            if [ "${CI:-}" = true ]; then
                echo "FATAL: $p is missing and CI=true" >&2
                exit 99
            fi
            echo "SKIP: $p is not installed" >&2
            exit 77
        fi
    done
}

# need_images NAME...: sets $img to the directory of the project's test
# images (tests/fixtures/images, a build product); a missing NAME.vhdx
# fails the test (exit 99): it means the build is broken.
need_images() {
    img="$HVO_TOP_BUILDDIR/tests/fixtures/images"
    for n in "$@"; do
        if [ ! -f "$img/$n.vhdx" ]; then
            echo "FAIL: test images not built ($img)" >&2
            exit 99
        fi
    done
}

# fixtures_dir: prints the fixtures directory.  When it is missing the test
# is skipped (exit 77), except under CI=true where that is a hard error.
fixtures_dir() {
    d=${HVO_FIXTURES:-$HVO_TOP_SRCDIR/../shared/fixtures}
    if [ -d "$d" ]; then
        (cd "$d" && pwd)
        return 0
    fi
    if [ "${CI:-}" = true ]; then
        echo "FATAL: fixtures not found at $d and CI=true: refusing to skip" >&2
        exit 99
    fi
    echo "SKIP: fixtures not found at $d" >&2
    exit 77
}

# run CMD...: runs a command, leaving its stdout in $T_TMP/out, stderr in
# $T_TMP/err and its exit status in $T_RC.
run() {
    T_RC=0
    "$@" >"$T_TMP/out" 2>"$T_TMP/err" || T_RC=$?
}

# expect_rc N DESCRIPTION: checks the exit status of the last run.
expect_rc() {
    T_COUNT=$((T_COUNT + 1))
    if [ "$T_RC" -eq "$1" ]; then
        t_pass "$2 (exit $1)"
    else
        t_fail "$2: expected exit $1, got $T_RC"
        sed 's/^/  stderr: /' "$T_TMP/err" >&2
    fi
}

# expect_grep FILE PATTERN DESCRIPTION
expect_grep() {
    T_COUNT=$((T_COUNT + 1))
    if grep -q -e "$2" "$1"; then
        t_pass "$3"
    else
        t_fail "$3: '$2' not found in $(basename "$1")"
        sed 's/^/  | /' "$1" >&2
    fi
}

# expect_no_grep FILE PATTERN DESCRIPTION
expect_no_grep() {
    T_COUNT=$((T_COUNT + 1))
    if grep -q -e "$2" "$1"; then
        t_fail "$3: '$2' found in $(basename "$1")"
    else
        t_pass "$3"
    fi
}

# expect_json FILTER DESCRIPTION: evaluates a jq filter on $T_TMP/out; the
# output must parse as JSON and the filter must yield true.
expect_json() {
    T_COUNT=$((T_COUNT + 1))
    if r=$(jq -e "$1" <"$T_TMP/out" 2>"$T_TMP/jqerr") && [ "$r" = true ]; then
        t_pass "$2"
    else
        t_fail "$2: jq '$1' gave '${r:-}' $(cat "$T_TMP/jqerr")"
        sed 's/^/  | /' "$T_TMP/out" >&2
    fi
}

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
    T_COUNT=$((T_COUNT + 1))
    if [ "$1" = "$2" ]; then
        t_pass "$3"
    else
        t_fail "$3: expected '$2', got '$1'"
    fi
}

# expect_empty FILE DESCRIPTION PROBLEM: FILE must be empty; otherwise the
# check fails as "PROBLEM (N): its lines".
expect_empty() {
    T_COUNT=$((T_COUNT + 1))
    if [ -s "$1" ]; then
        t_fail "$3 ($(wc -l <"$1")): $(tr '\n' ' ' <"$1")"
    else
        t_pass "$2"
    fi
}

# expect_nonempty FILE DESCRIPTION PROBLEM: FILE must hold something.
expect_nonempty() {
    T_COUNT=$((T_COUNT + 1))
    if [ -s "$1" ]; then
        t_pass "$2"
    else
        t_fail "$3"
    fi
}

# guest_files IMAGE PATH OUT [PATH OUT]...: copies files of the guest's
# Windows volume (the last partition) out of IMAGE, read by tools that
# are not ours: qemu-img, sfdisk, jq and ntfscat (ntfs-3g).
guest_files() {
    qemu-img convert -O raw "$1" "$T_TMP/disk.raw" || return 1
    start=$(sfdisk -J "$T_TMP/disk.raw" | jq '.partitiontable.partitions[-1].start')
    size=$(sfdisk -J "$T_TMP/disk.raw" | jq '.partitiontable.partitions[-1].size')
    dd if="$T_TMP/disk.raw" of="$T_TMP/part.raw" bs=512 skip="$start" \
        count="$size" status=none || return 1
    shift
    while [ $# -ge 2 ]; do
        ntfscat "$T_TMP/part.raw" "$1" >"$2" || return 1
        shift 2
    done
}

# finish: the test's exit status.
t_finish() {
    echo "$T_NAME: $T_COUNT checks, $T_FAILS failed"
    [ "$T_FAILS" -eq 0 ]
}
