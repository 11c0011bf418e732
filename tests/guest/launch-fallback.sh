#!/bin/sh
# The appliance launch helper: with no LIBGUESTFS_* variable set, `doctor`
# must get a working appliance on this machine.  Where KVM is present but
# broken (nested virtualisation, as on the CI machines) it must fall back to
# TCG by itself, say so exactly once on stderr, and remember the outcome so
# that the next run goes straight to TCG without trying KVM again.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

# No LIBGUESTFS_* variable may help: clear them all.
for v in $(env | sed -n 's/^\(LIBGUESTFS_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$v"
done
export XDG_CACHE_HOME="$T_TMP/cache"
cache="$XDG_CACHE_HOME/hvoffline/launch.conf"

run "$HVOFFLINE" --json doctor
expect_rc 0 "first launch (no environment help)"
expect_json '.status == "ok"' "first launch: appliance answered"
fell_back=$(jq -r .fell_back "$T_TMP/out")
accel=$(jq -r .accelerator "$T_TMP/out")
echo "first launch: accelerator=$accel fell_back=$fell_back"

kvm_usable=no
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    kvm_usable=yes
fi

if [ "$fell_back" = true ]; then
    expect_eq "$accel" tcg "after the fallback the appliance runs on TCG"
    expect_eq "$(grep -c 'retrying with TCG' "$T_TMP/err")" 1 \
        "the fallback is announced exactly once"
    expect_grep "$cache" '^accel tcg$' "the outcome is remembered in the cache"

    run "$HVOFFLINE" --json doctor
    expect_rc 0 "second launch"
    expect_json '.status == "ok" and .from_cache == true and .fell_back == false and .accelerator == "tcg"' \
        "second launch goes straight to TCG from the cache"
    expect_eq "$(grep -c 'retrying with TCG' "$T_TMP/err")" 0 \
        "second launch does not try KVM again"

    # --no-cache ignores the remembered outcome: KVM is tried (and fails) again.
    run "$HVOFFLINE" --json doctor --no-cache
    expect_rc 0 "launch with --no-cache"
    expect_json '.fell_back == true' "--no-cache retries KVM and falls back again"
elif [ "$kvm_usable" = yes ]; then
    expect_eq "$accel" kvm "KVM works here and is used"
    [ -e "$cache" ] && t_fail "a working KVM must not be cached as broken"
else
    expect_eq "$accel" tcg "without /dev/kvm libguestfs uses TCG"
fi

t_finish
