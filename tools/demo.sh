#!/bin/sh
# The quick-start demo: runs the main job on the built-in sample.
# Called by `./quickstart.sh demo` with the build directory as argument.
#
# The sample is the project's own test image of a Windows Server 2012 x64
# guest (tests/fixtures/disks/ws2012-x64.disk: inbox integration services
# 6.2.9200.16384) and the package is the demo integration-services package
# built from tests/fixtures/icpkg (6.3.9600.20000): both are made from text
# recipes, so the demo needs no Windows media.  The image is serviced on a
# copy under BUILD-DIR/demo; the test image itself is never touched.
#
# inspect, apply and verify run on the native backend (the default: the
# image opened in-process through vhdx/ and libntfs-3g, about a second
# each); `doctor` and building the sample images launch the libguestfs
# appliance: 20 to 60 seconds each under TCG, without a working KVM.
set -eu
build=${1:?usage: demo.sh BUILD-DIR}
build=$(cd "$build" && pwd)
hvo="$build/hvoffline"
top=$(cd "$(dirname "$0")/.." && pwd)

# The sample images take their empty hives from the real-world fixtures
# beside the checkout; without them there is no sample to service.
# Checked first, before the appliance launches.
fixtures=${HVO_FIXTURES:-$top/../shared/fixtures}
if [ ! -f "$fixtures/hive/hivex/minimal" ]; then
    echo "demo: the sample images are built from $fixtures, which is missing" >&2
    echo "demo: (../shared/fixtures beside the checkout; set HVO_FIXTURES to use another copy)" >&2
    exit 1
fi
HVO_FIXTURES=$(cd "$fixtures" && pwd)
export HVO_FIXTURES
command -v jq >/dev/null || {
    echo "demo: jq is required (tools/setup-debian.sh installs it)" >&2
    exit 1
}

echo "== hvoffline --version"
"$hvo" --version
echo
echo "== hvoffline doctor  (launches the guest appliance; KVM, or TCG fallback)"
"$hvo" doctor

echo
echo "== building the sample images and the demo package  (one appliance launch the first time)"
make -s -C "$build" fixture-images fixture-icpkg
cab="$build/tests/fixtures/icpkg/Hvoffline-Demo-x64.cab"
# The demo package is signed by a test root made with it at build time;
# hvoffline trusts only Microsoft's roots unless told otherwise.
root="$build/tests/fixtures/icpkg/Hvoffline-Demo-x64-root.pem"
scratch="$build/demo"
img="$scratch/ws2012-x64.vhdx"
rm -rf "$scratch"
mkdir -p "$scratch"
cp --sparse=always "$build/tests/fixtures/images/ws2012-x64.vhdx" "$img"
echo "image:   $img  (a copy of tests/fixtures/images/ws2012-x64.vhdx)"
echo "package: $cab"
"$hvo" package info --json --trust "$root" "$cab" | jq -r '
    "  \(.package.name) \(.package.version) (\(.package.arch)), \(.identifier)",
    "  signature: \(.signature.verdict), signer \(.signature.signer), root \(.signature.root)",
    "  \([.updates[] | select(.kind == "driver")] | length) drivers, \([.updates[] | select(.kind == "component")] | length) component update(s), \(.files.digests_ok) payload digests ok"'

# versions JSON: the two versions inspect reports for the first image.
versions() {
    jq -r '.images[0].integration_services |
        "  vmbus.sys file version:      \(.vmbus_sys.file_version)",
        "  IntegrationServicesVersion:  \(.registry_version)"' "$1"
}

echo
echo "== hvoffline inspect --source CAB IMAGE  (before)"
"$hvo" inspect --json --trust "$root" --source "$cab" "$img" >"$scratch/before.json"
jq -r '.images[0] | "  \(.windows.product_name), NT \(.windows.version) build \(.windows.build), \(.windows.arch), generation \(.disk.generation), safe: \(.safety.safe)"' \
    "$scratch/before.json"
versions "$scratch/before.json"
jq -r '.images[0].packages |
    "  package that applies:        \(.name // "none") \(.version // "")",
    "  (\(.summary))"' "$scratch/before.json"

echo
echo "== hvoffline apply IMAGE --source CAB"
"$hvo" apply "$img" --trust "$root" --source "$cab"

echo
echo "== hvoffline inspect IMAGE  (after)"
"$hvo" inspect --json "$img" >"$scratch/after.json"
versions "$scratch/after.json"

echo
echo "== hvoffline verify IMAGE --source CAB  (re-reads every item apply planned)"
"$hvo" verify "$img" --trust "$root" --source "$cab"

echo
echo "== before -> after"
for f in before after; do
    jq -r --arg f "$f" '.images[0].integration_services |
        "  \($f | . + "        " | .[0:7]) vmbus.sys \(.vmbus_sys.file_version), IntegrationServicesVersion \(.registry_version)"' \
        "$scratch/$f.json"
done
echo "The serviced copy stays in $scratch (the reports beside it)."
