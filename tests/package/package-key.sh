#!/bin/sh
# `hvoffline package key`: the component key of an identity given on the
# command line.
#
# Expected values: the manifest names of both real IC cabinets as
# cabextract lists them, with each identity read from its manifest by
# xmllint (cabextract -p), never from our own parser.  The key names the
# manifests and payload folders of the packages the project builds
# (tests/fixtures/icpkg), so every key of both cabinets is checked.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools cabextract xmllint jq

fx=$(fixtures_dir)
tok=31bf3856ad364e35

# ---- Two keys spelled out (PROVENANCE.md, cabextract -l) ----
run "$HVOFFLINE" package key --name wvmbus.inf --version 6.3.9600.19456 \
    --arch amd64 --token $tok --language neutral --type driverUpdate \
    --version-scope nonSxS
expect_rc 0 "wvmbus.inf"
expect_eq "$(cat "$T_TMP/out")" \
    "amd64_wvmbus.inf_31bf3856ad364e35_6.3.9600.19456_none_2a6133907de48db2" \
    "wvmbus.inf key as cabextract lists its folder"

# A name longer than 40 characters is shortened to 19 + ".." + 19.
run "$HVOFFLINE" package key --json \
    --name Microsoft-Hyper-V-Integration-Services-Deployment \
    --version 6.3.9600.19456 --arch amd64 --token $tok --version-scope nonSxS
expect_rc 0 "Deployment component, --json"
expect_json '.key == "amd64_microsoft-hyper-v-i..services-deployment_31bf3856ad364e35_6.3.9600.19456_none_0c12a1dabcfc537c"' \
    "Deployment key as cabextract lists its manifest"

# ---- Every manifest of both cabinets ----
# attr FILE NAME: the attribute of the manifest's own assemblyIdentity.
attr() {
    xmllint --xpath "string(/*[local-name()='assembly']/*[local-name()='assemblyIdentity']/@$2)" "$1"
}
for cab in "$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab" \
    "$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab"; do
    n=0
    bad=0
    cabextract -l "$cab" 2>/dev/null | sed -n 's/^.*| \([^ ]*\.manifest\)$/\1/p' \
        >"$T_TMP/manifests"
    while read -r m; do
        cabextract -q -p -F "$m" "$cab" 2>/dev/null >"$T_TMP/m.xml"
        set -- --name "$(attr "$T_TMP/m.xml" name)" \
            --version "$(attr "$T_TMP/m.xml" version)" \
            --arch "$(attr "$T_TMP/m.xml" processorArchitecture)"
        for a in publicKeyToken:--token language:--language type:--type \
            versionScope:--version-scope; do
            v=$(attr "$T_TMP/m.xml" "${a%%:*}")
            [ -z "$v" ] || set -- "$@" "${a#*:}" "$v"
        done
        got=$("$HVOFFLINE" package key "$@" 2>&1) || true
        n=$((n + 1))
        if [ "$got.manifest" != "$m" ]; then
            bad=$((bad + 1))
            echo "  $m: got $got" >&2
        fi
    done <"$T_TMP/manifests"
    expect_eq "$bad" 0 "$(basename "$cab"): the key of each of its $n manifests is its name"
    T_COUNT=$((T_COUNT + 1))
    if [ "$n" -ge 15 ]; then
        t_pass "$(basename "$cab"): $n manifests checked"
    else
        t_fail "$(basename "$cab"): only $n manifests listed by cabextract"
    fi
done

# ---- Culture ----
base="--name x --version 1.0.0.0 --arch amd64 --token $tok"
# shellcheck disable=SC2086 # $base is a list of words
neutral=$("$HVOFFLINE" package key $base)
# shellcheck disable=SC2086
expect_eq "$("$HVOFFLINE" package key $base --language neutral)" "$neutral" \
    "language neutral is the default"
# shellcheck disable=SC2086
run "$HVOFFLINE" package key $base --culture en-US
expect_rc 0 "--culture en-US"
expect_grep "$T_TMP/out" "^amd64_x_${tok}_1.0.0.0_en-us_[0-9a-f]\{16\}\$" \
    "the culture is lower-cased into the key"
# shellcheck disable=SC2086
expect_eq "$("$HVOFFLINE" package key $base --language en-US)" "$(cat "$T_TMP/out")" \
    "--language and --culture are the same option"
cultured=$(cat "$T_TMP/out")
T_COUNT=$((T_COUNT + 1))
if [ "${cultured##*_}" != "${neutral##*_}" ]; then
    t_pass "the culture feeds the hash"
else
    t_fail "the culture does not change the hash: $cultured, $neutral"
fi

# ---- Usage ----
run "$HVOFFLINE" package key
expect_rc 2 "no identity: usage"
run "$HVOFFLINE" package key --version 1.0.0.0 --arch amd64
expect_rc 2 "no --name: usage"
run "$HVOFFLINE" package key --name x --version 1.0.0.0
expect_rc 2 "no --arch: usage"
run "$HVOFFLINE" package key --name x --arch amd64
expect_rc 2 "no --version: usage"
run "$HVOFFLINE" package key --name x --arch amd64 --version 1.0
expect_rc 2 "a two-part version: usage"
run "$HVOFFLINE" package key --name x --arch amd64 --version 1.0.0.0 --token 31bf
expect_rc 2 "a short token: usage"
expect_grep "$T_TMP/err" "not 16 hex digits" "the message says why"
run "$HVOFFLINE" package key --name x --arch amd64 --version 1.0.0.0 extra
expect_rc 2 "an extra argument: usage"
run "$HVOFFLINE" package key --name x --arch amd64 --version 1.0.0.0 --bogus
expect_rc 2 "an unknown option: usage"
run "$HVOFFLINE" package key --help
expect_rc 0 "--help"
expect_grep "$T_TMP/out" "Usage: hvoffline package key" "help text"

t_finish
