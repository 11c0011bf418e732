#!/bin/sh
# The demo integration-services package built from tests/fixtures/icpkg
# (make check builds it before the tests): `hvoffline package info` reads
# it whole, every payload digest matches, the drivers resolve as their
# INFs say.
#
# Expected values: the recipes (README.md of tests/fixtures/icpkg), and
# independent tools on the cabinet: cabextract (members and their bytes),
# xmllint (each manifest's DigestValue), sha256sum + xxd + base64.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools cabextract jq xmllint sha256sum xxd base64 od

cab="$HVO_TOP_BUILDDIR/tests/fixtures/icpkg/Hvoffline-Demo-x64.cab"
if [ ! -f "$cab" ]; then
    # A build product, not an external fixture: missing means broken.
    echo "FAIL: $cab was not built (make fixture-icpkg)" >&2
    exit 1
fi
x="$T_TMP/x"
mkdir "$x"
cabextract -q -d "$x" "$cab" >/dev/null 2>&1

# ---- The package as hvoffline reads it ----
# Signed at build time by a test root written beside it.
run "$HVOFFLINE" package info --json --trust "${cab%.cab}-root.pem" "$cab"
expect_rc 0 "package info reads the demo package"
cp "$T_TMP/out" "$T_TMP/info.json"
expect_json '.status == "ok"' "status ok"
expect_json '.package.name == "Hvoffline-Demo-Integration-Services-Package" and .package.version == "6.3.9600.20000" and .package.arch == "amd64" and .package.public_key_token == "31bf3856ad364e35"' \
    "package identity"
expect_json '[.parents[0].any_of[] | "\(.name) \(.version)"] == ["Microsoft-Hyper-V-Guest-Integration-Drivers-Package 6.2.9200.16384", "Microsoft-Hyper-V-Guest-Integration-Drivers-Package 6.3.0.0"]' \
    "parent: the inbox 6.2 (or 6.3) guest drivers package"
expect_json '.target.arch == "amd64" and .target.nt == "6.2"' "default target: amd64, NT 6.2"

# Every payload is accounted for and matches its digest.
npay=$(cd "$x" && find . -mindepth 2 -type f | wc -l)
ntot=$(cd "$x" && find . -type f | wc -l)
expect_eq "$npay" 9 "cabextract unpacks nine payload files"
expect_json ".files.total == $ntot and .files.unaccounted == 0" "$ntot files, all accounted for"
expect_json ".files.digests_ok == $npay and .files.digests_mismatch == 0 and .files.payloads_missing == 0 and .files.digests_none == 0" \
    "every payload digest OK"
expect_json '[.files.entries[] | select(.role == "payload") | .digest] | all(. == "ok")' "each payload entry says ok"

# The same members as cabextract lists (names with '/', sorted).
jq -r '.files.entries[].name' "$T_TMP/info.json" | tr '\\' '/' | sort >"$T_TMP/ours"
(cd "$x" && find . -type f | sed 's|^\./||' | sort) >"$T_TMP/theirs"
T_COUNT=$((T_COUNT + 1))
if diff "$T_TMP/ours" "$T_TMP/theirs" >"$T_TMP/diff"; then
    t_pass "the members are those cabextract lists"
else
    t_fail "members differ from cabextract's"
    sed 's/^/  | /' "$T_TMP/diff" >&2
fi

# Each payload's SHA-256 is sha256sum's of cabextract's file ...
jq -r '.files.entries[] | select(.role == "payload") | "\(.sha256) \(.name)"' \
    "$T_TMP/info.json" | tr '\\' '/' | sort >"$T_TMP/ours"
(cd "$x" && find . -mindepth 2 -type f | sed 's|^\./||' | xargs sha256sum |
    sed 's/  / /') | sort >"$T_TMP/theirs"
T_COUNT=$((T_COUNT + 1))
if diff "$T_TMP/ours" "$T_TMP/theirs" >"$T_TMP/diff"; then
    t_pass "every payload's SHA-256 equals sha256sum of cabextract's file"
else
    t_fail "SHA-256 differ from sha256sum"
    sed 's/^/  | /' "$T_TMP/diff" >&2
fi

# ... and each manifest's DigestValue (xmllint) is that SHA-256 in base64:
# the package is right without trusting our reader.
bad=0
n=0
for m in "$x"/*.manifest; do
    key=$(basename "$m" .manifest)
    files=$(xmllint --xpath '//*[local-name()="file"]/@name' "$m" 2>/dev/null |
        sed -n 's/^ *name="\(.*\)"$/\1/p')
    for f in $files; do
        n=$((n + 1))
        want=$(xmllint --xpath "string(//*[local-name()='file'][@name='$f']//*[local-name()='DigestValue'])" "$m")
        got=$(sha256sum "$x/$key/$f" | cut -d' ' -f1 | xxd -r -p | base64)
        if [ "$want" != "$got" ]; then
            bad=$((bad + 1))
            echo "  $key/$f: manifest says $want, file has $got" >&2
        fi
    done
done
expect_eq "$n/$bad" "$npay/0" "each manifest's DigestValue is the base64 SHA-256 of its file (xmllint, sha256sum)"

# ---- Drivers ----
vmbus='.updates[] | select(.inf == "wvmbus.inf") | .driver'
expect_json "$vmbus.encoding == \"UTF-16LE\"" "wvmbus.inf is read as UTF-16LE"
expect_eq "$(od -An -tx1 -N2 "$x"/amd64_wvmbus.inf_*/wvmbus.inf | tr -d ' ')" fffe \
    "wvmbus.inf starts with a UTF-16LE byte-order mark (od)"
expect_json "[$vmbus.installs[].services[] | select(.name == \"vmbus\")][0] | .start_type == 0 and .service_type == 1 and .error_control == 1 and .load_order_group == \"System Bus Extender\" and .binary == \"%12%\\\\vmbus.sys\"" \
    "service vmbus: StartType 0, kernel driver, System Bus Extender, binary in DIRID 12"
expect_json "[$vmbus.installs[].services[] | select(.name == \"vmbus\")][0].event_log.source == \"vmbus\"" \
    "vmbus has an event-log source"
expect_json "$vmbus.manufacturers[0].chosen == \"Standard.NTamd64.6.2\"" "NT 6.2 chooses NTamd64.6.2"
expect_json "[$vmbus.installs[] | select(.section == \"VMBus_Device_Win8.NT\") | .files[] | \"\(.name):\(.dirid)\"] == [\"vmbus.sys:12\", \"winhv.sys:12\", \"vmbuspipe.dll:11\", \"vmbusres.dll:11\"]" \
    "CopyFiles: drivers to DIRID 12, DLLs to DIRID 11"
expect_json "[$vmbus.installs[].deferred[] | select(.section == \"VMBus_Device_Win8.NT.HW\")] | length == 1" \
    "the .HW section is deferred"
expect_json "[$vmbus.installs[] | select(.null_service)] | length == 1" "the support channel is a null-service install"

storvsc='.updates[] | select(.inf == "wstorvsc.inf") | .driver'
expect_json "$storvsc | .encoding == \"ANSI\" and .manufacturers[0].chosen == \"Storvsc.NTamd64\"" \
    "wstorvsc.inf: ANSI, NTamd64 chosen"
expect_json "[$storvsc.installs[].services[] | select(.name == \"storvsc\")][0] | .start_type == 0 and .error_control == 3" \
    "service storvsc: StartType 0, critical"

run "$HVOFFLINE" package info --json --trust "${cab%.cab}-root.pem" --nt 6.1 "$cab"
expect_rc 0 "--nt 6.1"
expect_json "$vmbus.manufacturers[0].chosen == \"Standard.NTamd64.5.1\"" "NT 6.1 chooses NTamd64.5.1"
run "$HVOFFLINE" package info --json --trust "${cab%.cab}-root.pem" --arch x86 "$cab"
expect_json "$vmbus.manufacturers[0].chosen == \"Standard.NTx86\"" "x86 chooses NTx86"

# ---- The component closure ----
expect_json '[.updates[] | select(.kind == "component") | .closure[].name] == ["Hvoffline-Demo-Integration-Services-Deployment", "Hvoffline-Demo-Integration-Services"]' \
    "Deployment -> Integration-Services"
svc='.updates[] | select(.kind == "component") | .closure[1]'
expect_json "[$svc.files[] | \"\(.name) \(.destination) \(.digest)\"] == [\"icsvc.dll \$(runtime.system32)\\\\ ok\", \"vmicres.dll \$(runtime.system32)\\\\ ok\"]" \
    "icsvc.dll and vmicres.dll to System32, digests ok"
expect_json "$svc.svchost == [{\"group\": \"ICService\", \"service\": \"vmicheartbeat\"}]" "svchost group ICService"
expect_json "[$svc.services[] | select(.name == \"vmicheartbeat\")][0] | .type == \"win32ShareProcess\" and (.triggers | length) == 1" \
    "service vmicheartbeat with its trigger"
expect_json "[$svc.registry[].key] | index(\"HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\vmicheartbeat\\\\Parameters\") != null" \
    "registry: the service's Parameters"
expect_json "[$svc.unmodelled[]] == []" "nothing in the manifests goes unmodelled"

t_finish
