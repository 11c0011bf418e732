#!/bin/sh
# wire-seeds.sh BUILDDIR - remakes fuzz/corpus/wire (fuzz_wire's seeds)
# from real runs: each seed is the bytes one sandboxed child sent its
# parent (fuzz/wire_seeds, built by `make check` in BUILDDIR), on copies
# of the test images of BUILDDIR/tests/fixtures/images and a Linux image
# of tests/linux/mklinux.sh.  Run it again whenever what a child sends
# changes (struct svc_facts, the apply or verify result), or the seeds
# are refused early and the replay covers little.
#
#   inspect-windows-N  ws2012-x64, win7-x86, ws2012-4k, hibernated,
#                      bitlocker, nowindows (refusals and facts)
#   inspect-linux-0    Debian with the Hyper-V modules and daemons
#   dryrun-0           apply --dry-run (the plan rebuilt by the parent)
#   verify-before-0    verify of the unserviced image (differences)
#   apply-failed-0     apply whose child finds a file where it extracts
#                      the package (HVOFFLINE_TEST_CHILD_NO_EXTRACT):
#                      failed before any file, no change with its entry
#   apply-0            apply in full (file and registry changes, security
#                      descriptors, the record)
#   inspect-pending-0  the serviced image: pending first-boot step, record
#   verify-after-0     verify of the serviced image (clean)
#   uptodate-0         apply again: up to date
#   regress-*          not made here: inputs the fuzzer found, kept
#
# Environment: HVO_FIXTURES (default ../shared/fixtures beside the source).
set -eu
B=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
fix=${HVO_FIXTURES:-$src/../shared/fixtures}
cab=$fix/ic/Windows6.2-HyperVIntegrationServices-x64.cab
img=$B/tests/fixtures/images
gen=$B/fuzz/wire_seeds
out=$here/wire
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Inputs the fuzzer found (regress-*) stay.
find "$out" -type f ! -name 'regress-*' -delete
# The inspections read the images in place (read-only).
"$gen" "$out/inspect-windows" inspect "$img/ws2012-x64.vhdx" \
	"$img/win7-x86.vhdx" "$img/ws2012-4k.vhdx" "$img/hibernated.vhdx" \
	"$img/bitlocker.vhdx" "$img/nowindows.vhdx" || true
HVOFFLINE=$B/hvoffline sh "$src/tests/linux/mklinux.sh" hyperv \
	"$tmp/linux.vhdx" >/dev/null
"$gen" "$out/inspect-linux" inspect "$tmp/linux.vhdx" || true

cp "$img/ws2012-x64.vhdx" "$tmp/w.vhdx"
"$gen" "$out/dryrun" dry-run "$cab" "$tmp/w.vhdx"
"$gen" "$out/verify-before" verify "$cab" "$tmp/w.vhdx" || true
HVOFFLINE_TEST_CHILD_NO_EXTRACT=0 \
	"$gen" "$out/apply-failed" apply "$cab" "$tmp/w.vhdx" || true
"$gen" "$out/apply" apply "$cab" "$tmp/w.vhdx"
"$gen" "$out/inspect-pending" inspect "$tmp/w.vhdx"
"$gen" "$out/verify-after" verify "$cab" "$tmp/w.vhdx"
"$gen" "$out/uptodate" apply "$cab" "$tmp/w.vhdx"
ls -l "$out"
