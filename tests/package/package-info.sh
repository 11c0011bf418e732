#!/bin/sh
# `hvoffline package info` on the real IC packages and on broken ones.
#
# Expected values: PROVENANCE.md (file counts), cabextract + sha256sum
# (every payload's digest, every file name), xmllint on the manifests
# cabextract unpacked, iconv + grep on the INF files; broken packages are
# made here with gcab.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools cabextract gcab jq xmllint iconv sha256sum xxd base64

fx=$(fixtures_dir)
cab62="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
cab6x="$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab"
x62="$T_TMP/x62"
mkdir -p "$x62"
cabextract -q -d "$x62" "$cab62" 2>/dev/null

# ---- The 6.2 x64 package ----
run "$HVOFFLINE" package info --json "$cab62"
expect_rc 0 "6.2 package reads"
cp "$T_TMP/out" "$T_TMP/p62.json"
expect_json '.status == "ok"' "status ok"
expect_json '.package.name == "Microsoft-Hyper-V-Integration-Services-Package-2" and .package.version == "6.3.9600.19456" and .package.arch == "amd64"' \
    "identity (PROVENANCE.md)"
kb=$(xmllint --xpath 'string(//*[local-name()="package"]/@identifier)' "$x62/update.mum")
expect_json ".identifier == \"$kb\"" "KB identifier as xmllint reads it"
expect_json '.restart == "required"' "restart"
expect_json '.parents[0].any_of | length == 4' "four parent identities"
expect_json '.target.arch == "amd64" and .target.nt == "6.2"' "default target: package arch, lowest parent NT version"
expect_json '.files.total == 73 and .files.unaccounted == 0' "73 files, all accounted for (PROVENANCE.md)"
expect_json '.files.digests_mismatch == 0 and .files.payloads_missing == 0 and .files.digests_ok == 52' \
    "52 payloads, every digest matches"
expect_json '[.files.entries[] | select(.role == "unaccounted")] | length == 0' "no unaccounted entry"
expect_json '[.files.entries[] | select(.role == "manifest")] | length == 19' "19 component manifests"

# Every payload's SHA-256 is the one sha256sum gives for cabextract's file.
jq -r '.files.entries[] | select(.role == "payload") | "\(.sha256) \(.name)"' \
    "$T_TMP/p62.json" | tr '\\' '/' | sort >"$T_TMP/ours"
(cd "$x62" && find . -mindepth 2 -type f | sed 's|^\./||' | xargs sha256sum |
    sed 's/  / /') | sort >"$T_TMP/theirs"
# cabextract keeps the cabinet's (lower-case) names, as we do.
T_COUNT=$((T_COUNT + 1))
if diff "$T_TMP/ours" "$T_TMP/theirs" >"$T_TMP/diff"; then
    t_pass "every payload's SHA-256 equals sha256sum of cabextract's file"
else
    t_fail "SHA-256 differ from sha256sum"
    sed 's/^/  | /' "$T_TMP/diff" >&2
fi

# Drivers: the 16 INFs xmllint lists, synth3dvsc ... wvpcinull.
infs=$(xmllint --xpath '//*[local-name()="driver"]/@inf' "$x62/update.mum" |
    sed -n 's/^ *inf="\(.*\)"$/\1/p' | sort | tr '\n' ' ')
ours=$(jq -r '.updates[] | select(.kind == "driver") | .inf' "$T_TMP/p62.json" | sort | tr '\n' ' ')
expect_eq "$ours" "$infs" "the driver updates are the INFs of update.mum"
expect_json '[.updates[] | select(.kind == "driver")] | length == 16' "16 driver updates"
expect_json '[.updates[] | select(.kind == "driver") | .inf] | index("synth3dvsc.inf") != null and index("wvpcinull.inf") != null' \
    "synth3dvsc ... wvpcinull"

# The component closure.
expect_json '[.updates[] | select(.kind == "component") | .closure[].name] == ["Microsoft-Hyper-V-Integration-Services-Deployment","Microsoft-Hyper-V-Integration-Services","Microsoft-Hyper-V-Integration-RDV-Core"]' \
    "Deployment -> Integration-Services + RDV-Core"
svcs=$(xmllint --xpath '//*[local-name()="serviceGroup"]/@serviceName' "$x62"/amd64_microsoft-hyper-v-integration-services_*.manifest |
    sed -n 's/^ *serviceName="\(.*\)"$/\1/p' | tr '\n' ' ')
grps=$(xmllint --xpath '//*[local-name()="serviceGroup"]/../@subcategory' "$x62"/amd64_microsoft-hyper-v-integration-services_*.manifest |
    sed -n 's/^ *subcategory="\(.*\)"$/\1/p' | tr '\n' ' ')
ours=$(jq -r '.updates[] | select(.kind == "component") | .closure[1].svchost[] | .service' "$T_TMP/p62.json" | tr '\n' ' ')
expect_eq "$ours" "$svcs" "svchost members as xmllint lists them"
ours=$(jq -r '.updates[] | select(.kind == "component") | .closure[1].svchost[] | .group' "$T_TMP/p62.json" | tr '\n' ' ')
expect_eq "$ours" "$grps" "svchost groups as xmllint lists them"
expect_json '[.updates[] | select(.kind == "component") | .closure[1].services[].name | select(startswith("vmic"))] | length == 7' \
    "seven vmic* services"

# wvmbus.inf, read with iconv: vmbus, StartType 0, group, DIRID 12.
inf="$x62/amd64_wvmbus.inf_31bf3856ad364e35_6.3.9600.19456_none_2a6133907de48db2/wvmbus.inf"
iconv -f UTF-16LE -t UTF-8 "$inf" | tr -d '\r' >"$T_TMP/wvmbus.txt"
expect_grep "$T_TMP/wvmbus.txt" '^StartType *= 0 ' "wvmbus.inf says StartType 0 (iconv)"
expect_grep "$T_TMP/wvmbus.txt" '^LoadOrderGroup = System Bus Extender' "wvmbus.inf says System Bus Extender (iconv)"
vmbus='.updates[] | select(.inf == "wvmbus.inf") | .driver'
expect_json "[$vmbus.installs[].services[] | select(.name == \"vmbus\")][0] | .start_type == 0 and .load_order_group == \"System Bus Extender\" and .binary_dirid == 12 and .binary == \"%12%\\\\vmbus.sys\"" \
    "service vmbus: start 0, System Bus Extender, binary in DIRID 12"
expect_json "$vmbus.manufacturers[0].chosen == \"Standard.NTamd64.6.2\"" "NT 6.2 chooses NTamd64.6.2"
expect_json "[.updates[] | select(.inf == \"wstorvsc.inf\") | .driver.manufacturers[0].models[] | select(.chosen) | .devices[].hardware_ids[]] == [\"VMBUS\\\\{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}\"]" \
    "wstorvsc.inf binds VMBUS\\{ba6163d9-...}"
expect_json '[.updates[] | .driver.installs[]?.deferred[]? | select(.section | endswith(".HW"))] | length > 0' \
    ".HW sections are reported as deferred"

run "$HVOFFLINE" package info --json --nt 6.1 "$cab62"
expect_rc 0 "--nt 6.1"
expect_json "$vmbus.manufacturers[0].chosen == \"Standard.NTamd64.5.1\"" "NT 6.1 chooses NTamd64.5.1"
expect_json '.target.nt == "6.1"' "target 6.1"

run "$HVOFFLINE" package info "$cab62"
expect_rc 0 "text output"
expect_grep "$T_TMP/out" '^identifier: *KB4072650' "text: identifier"
expect_grep "$T_TMP/out" 'service vmbus: type 0x1, start 0 (boot)' "text: vmbus"
expect_grep "$T_TMP/out" 'svchost group ICService: vmicheartbeat' "text: svchost group"
expect_grep "$T_TMP/out" '^digests: *52 ok, 0 mismatch, 0 missing' "text: digests"

# ---- The 6.x x86 package ----
run "$HVOFFLINE" package info --json "$cab6x"
expect_rc 0 "6.x package reads"
expect_json '.package.arch == "x86" and .files.total == 64 and .files.unaccounted == 0 and .files.digests_mismatch == 0' \
    "64 files accounted for, digests match (PROVENANCE.md)"
expect_json '([.updates[] | select(.kind == "driver")] | length) == 15 and .target.nt == "6.0"' "15 drivers, target NT 6.0"
expect_json '[.updates[] | select(.inf == "wvmic.inf") | .driver.installs[].services[].name] | index("vmicheartbeat") != null' \
    "wvmic.inf defines vmicheartbeat"

# ---- Broken packages, made with gcab ----
mk() { # mk DIR INF-TEXT PAYLOAD DIGEST-OF
    d=$1
    key=amd64_t.inf_31bf3856ad364e35_1.0.0.0_none_0000000000000000
    mkdir -p "$d/in"
    printf '%s' "$2" >"$d/t.inf"
    ih=$(sha256sum "$d/t.inf" | cut -d' ' -f1 | xxd -r -p | base64)
    sh=$(printf '%s' "$4" | sha256sum | cut -d' ' -f1 | xxd -r -p | base64)
    id='name="t.inf" version="1.0.0.0" processorArchitecture="amd64" language="neutral" publicKeyToken="31bf3856ad364e35" type="driverUpdate"'
    m='<assembly xmlns="urn:schemas-microsoft-com:asm.v3"><assemblyIdentity '"$id"'/>'
    m="$m"'<file name="t.inf"><infFile/><hash><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha256"/><DigestValue>'"$ih"'</DigestValue></hash></file>'
    m="$m"'<file name="p.sys"><hash><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha256"/><DigestValue>'"$sh"'</DigestValue></hash></file></assembly>'
    # The key's hash is computed by the program: take it from its error.
    printf '%s' "$m" >"$d/in/x.manifest"
    printf '<assembly xmlns="urn:schemas-microsoft-com:asm.v3"><assemblyIdentity name="P" version="1.0.0.0" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35"/><package identifier="KB0"><update name="u"><driver inf="t.inf"><assemblyIdentity %s/></driver></update></package></assembly>' "$id" >"$d/in/update.mum"
    (cd "$d/in" && gcab -c "$d/probe.cab" update.mum x.manifest)
    key=$("$HVOFFLINE" package info --allow-unsigned "$d/probe.cab" 2>&1 | sed -n 's/.*gives the key \([^ ]*\).*/\1/p')
    mv "$d/in/x.manifest" "$d/in/$key.manifest"
    mkdir -p "$d/in/$key"
    cp "$d/t.inf" "$d/in/$key/t.inf"
    printf '%s' "$3" >"$d/in/$key/p.sys"
    (cd "$d/in" && gcab -c "$d/t.cab" update.mum "$key.manifest" "$key/t.inf" "$key/p.sys")
}
good_inf='[Version]
Signature="$Windows NT$"
[Manufacturer]
M=M,NTamd64
[M.NTamd64]
d=I,ROOT\T
'
bad_inf='[Version]
Signature="$Windows NT$"

x = "unterminated
'
mk "$T_TMP/ok" "$good_inf" PAYLOAD PAYLOAD
run "$HVOFFLINE" package info --allow-unsigned --json "$T_TMP/ok/t.cab"
expect_rc 0 "a package made here reads"
expect_json '.files.digests_ok == 2' "its two digests match"

mk "$T_TMP/badinf" "$bad_inf" PAYLOAD PAYLOAD
run "$HVOFFLINE" package info --allow-unsigned "$T_TMP/badinf/t.cab"
expect_rc 5 "a malformed INF exits 5"
expect_grep "$T_TMP/err" "t.cab: t.inf:4: unterminated quoted string" "the message names the cabinet, the INF and the line"

mk "$T_TMP/digest" "$good_inf" PAYLOAD OTHER
run "$HVOFFLINE" package info --allow-unsigned --json "$T_TMP/digest/t.cab"
expect_rc 5 "a digest mismatch exits 5"
expect_grep "$T_TMP/err" "p.sys: SHA-256 does not match" "the message names the payload"
expect_json '.status == "error" and .files.digests_mismatch == 1 and ([.files.entries[] | select(.digest == "mismatch") | .name | endswith("p.sys")] == [true])' \
    "the report still shows every file"

printf 'not a cabinet' >"$T_TMP/junk.cab"
run "$HVOFFLINE" package info "$T_TMP/junk.cab"
expect_rc 5 "not a cabinet exits 5"

# ---- Usage ----
run "$HVOFFLINE" package info
expect_rc 2 "no cabinet: usage"
run "$HVOFFLINE" package info --nt six "$cab62"
expect_rc 2 "bad --nt: usage"
run "$HVOFFLINE" package info --help
expect_rc 0 "--help"
expect_grep "$T_TMP/out" "Usage: hvoffline package info" "help text"

t_finish
