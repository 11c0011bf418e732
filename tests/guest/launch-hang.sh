#!/bin/sh
# The launch watchdog: a KVM launch that hangs (as qemu does on some nested
# hosts, after the BIOS) must be stopped after --kvm-timeout and retried
# with TCG.  The hang is simulated with a LIBGUESTFS_HV wrapper: qemu's
# feature probes go to the real qemu, the KVM launch runs a process named
# "qemu-hang" that never boots, and a TCG launch runs the real qemu.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

for v in $(env | sed -n 's/^\(LIBGUESTFS_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$v"
done
export XDG_CACHE_HOME="$T_TMP/cache"

real=$(command -v qemu-system-x86_64)
cp "$(command -v sleep)" "$T_TMP/qemu-hang"
cat >"$T_TMP/qemu-wrapper" <<EOS
#!/bin/sh
case "\$*" in
*-kernel*accel=kvm* | *accel=kvm*-kernel*)
    exec "$T_TMP/qemu-hang" 100000 ;;
esac
exec "$real" "\$@"
EOS
chmod +x "$T_TMP/qemu-wrapper"

# Only meaningful where libguestfs would try KVM at all.
if ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
    echo "SKIP: /dev/kvm is not usable here, KVM is never tried"
    exit 77
fi

LIBGUESTFS_HV="$T_TMP/qemu-wrapper" run "$HVOFFLINE" --json doctor --kvm-timeout 5
expect_rc 0 "a hung KVM launch is recovered"
expect_json '.status == "ok" and .fell_back == true and .accelerator == "tcg"' \
    "after the hang the appliance runs on TCG"
expect_grep "$T_TMP/err" "did not start within 5 s (hung)" "the hang is reported as such"
T_COUNT=$((T_COUNT + 1))
if pgrep -f "$T_TMP/qemu-hang" >/dev/null; then
    t_fail "the hung qemu process is still running"
    pkill -9 -f "$T_TMP/qemu-hang"
else
    t_pass "the hung qemu process was killed"
fi

t_finish
