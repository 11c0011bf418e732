# inspect-lib.sh - helpers of the inspect shell tests (sourced after
# tests/lib/testlib.sh).

# snapshot FILE...: records the SHA-256 of each file.
snapshot() {
    sha256sum "$@" >"$T_TMP/snapshot"
}

# expect_unchanged DESCRIPTION: every file of the last snapshot still has
# the same bytes.
expect_unchanged() {
    T_COUNT=$((T_COUNT + 1))
    if sha256sum --quiet -c "$T_TMP/snapshot" >"$T_TMP/changed" 2>&1; then
        t_pass "$1"
    else
        t_fail "$1: $(cat "$T_TMP/changed")"
    fi
}
