#!/bin/sh
# The verdict on the package's signature in the reports and in the guest
# (issue 17), and the descriptor of what hvoffline keeps in the guest's
# record folder; native backend, no appliance.
#
#   1. `inspect --json` gives each candidate's signature (verdict, signer,
#      chain, timestamp, allowed_unsigned); `apply --json` the chosen
#      package's: the real 6.2 package is trusted, signer "Microsoft
#      Windows", chain ending at "Microsoft Root Certificate Authority
#      2010", timestamp verified, not allowed by --allow-unsigned;
#   2. the JSON record apply leaves in the guest (read with ntfscat from
#      the raw volume, not through hvoffline) says the same;
#   3. an unsigned re-pack (cabextract, gcab -c) applied with
#      --allow-unsigned: verdict "unsigned", allowed_unsigned true, in the
#      report and in the guest's record;
#   4. the record folder, the JSON record and the undo data carry the
#      SYSTEM-and-Administrators-only descriptor (ntfssecaudit), not
#      ntfs-3g's; and so do the record and undo data of `services`;
#   5. and rollback's record and state, and everything left in the record
#      folder after it.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools cabextract gcab jq ntfscat ntfsls ntfssecaudit qemu-img sfdisk python3
fx=$(fixtures_dir)
ic="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
need_images ws2012-x64
sdtool="python3 $HVO_TOP_SRCDIR/tests/secdesc/sdtool.py"

SY=S-1-5-18 BA=S-1-5-32-544 FA=001f01ff
STORE_DIR="O=$BA G=$SY C=1000 A=0:03:$FA:$SY A=0:03:$FA:$BA"
STORE_FILE="O=$BA G=$SY C=1000 A=0:00:$FA:$SY A=0:00:$FA:$BA"

mkdir "$T_TMP/x"
(cd "$T_TMP/x" && cabextract -q "$ic" >/dev/null 2>&1 &&
    gcab -c "$T_TMP/repack.cab" $(find . -type f | sed 's|^\./||' | sort))
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/s.vhdx"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/u.vhdx"

. "$HVO_TOP_SRCDIR/tests/secdesc/volume.sh"

# records VOLUME SUFFIX: the record folder's files ending in SUFFIX.
records() {
    ntfsls "$1" -p /Windows/Logs/hvoffline 2>/dev/null | grep "$2\$" | sort
}

sd() {
    ntfssecaudit -v "$1" "$2" 2>/dev/null | $sdtool show
}

# ---- 1. the reports ----------------------------------------------------
run "$HVOFFLINE" --json inspect --backend native --source "$ic" "$T_TMP/s.vhdx"
expect_rc 0 "inspect the signed package"
expect_json '.images[0].packages.candidates[0].signature | .verdict == "trusted" and .signer == "Microsoft Windows" and .chain[-1] == "Microsoft Root Certificate Authority 2010" and .chain_complete and (.timestamp | test("^20[0-9][0-9]-")) and .allowed_unsigned == false' \
    "inspect --json: the candidate's signature: trusted, Microsoft's chain, timestamped"

run "$HVOFFLINE" --json apply --backend native --no-firstboot --source "$ic" "$T_TMP/s.vhdx"
expect_rc 0 "apply the signed package"
expect_json '.images[0].status == "applied"' "apply: applied"
expect_json '.images[0].package.signature | .verdict == "trusted" and .signer == "Microsoft Windows" and .chain[-1] == "Microsoft Root Certificate Authority 2010" and (.timestamp | test("^20[0-9][0-9]-")) and .allowed_unsigned == false' \
    "apply --json: the package's signature: trusted, not allowed by --allow-unsigned"
cp "$T_TMP/out" "$T_TMP/s.json"

run "$HVOFFLINE" --json apply --backend native --no-firstboot --allow-unsigned \
    --source "$T_TMP/repack.cab" "$T_TMP/u.vhdx"
expect_rc 0 "apply the unsigned re-pack with --allow-unsigned"
expect_grep "$T_TMP/err" 'ACCEPTED only because of --allow-unsigned' "apply: loudly"
expect_json '.images[0].package.signature | .verdict == "unsigned" and .allowed_unsigned == true and .signer == null and .chain == []' \
    "apply --json: unsigned, allowed by --allow-unsigned"

# ---- 2, 3. the records in the guests ------------------------------------
volume "$T_TMP/s.vhdx" "$T_TMP/s.vol"
volume "$T_TMP/u.vhdx" "$T_TMP/u.vol"
rs=$(records "$T_TMP/s.vol" .json)
ru=$(records "$T_TMP/u.vol" .json)
expect_eq "$(echo "$rs" | wc -l)" 1 "signed: one JSON record in the guest"
expect_eq "$(echo "$ru" | wc -l)" 1 "re-pack: one JSON record in the guest"
ntfscat "$T_TMP/s.vol" "/Windows/Logs/hvoffline/$rs" >"$T_TMP/s.rec" 2>/dev/null
ntfscat "$T_TMP/u.vol" "/Windows/Logs/hvoffline/$ru" >"$T_TMP/u.rec" 2>/dev/null
if jq -e '.signature | .verdict == "trusted" and .signer == "Microsoft Windows" and .chain[-1] == "Microsoft Root Certificate Authority 2010" and (.timestamp | test("^20[0-9][0-9]-")) and .allowed_unsigned == false' \
    "$T_TMP/s.rec" >/dev/null; then
    t_pass "signed: the guest's record: trusted, signer, chain, timestamp, not allowed-unsigned"
else
    t_fail "signed: the guest's record lacks the verdict: $(head -c 600 "$T_TMP/s.rec")"
fi
if jq -e '.signature | .verdict == "unsigned" and .allowed_unsigned == true' \
    "$T_TMP/u.rec" >/dev/null; then
    t_pass "re-pack: the guest's record says unsigned, allowed by --allow-unsigned"
else
    t_fail "re-pack: the guest's record lacks --allow-unsigned: $(head -c 600 "$T_TMP/u.rec")"
fi
if jq -e '[.files[] | select(.path | test("vmbus.sys$")) | .security_descriptor_rule][0] == "previous"' \
    "$T_TMP/s.rec" >/dev/null; then
    t_pass "the guest's record names vmbus.sys's descriptor rule"
else
    t_fail "the guest's record names no rule for vmbus.sys"
fi

# ---- 4. the record folder's descriptors ---------------------------------
expect_eq "$(sd "$T_TMP/s.vol" /Windows/Logs/hvoffline)" "$($sdtool spec "$STORE_DIR")" \
    "the record folder: SYSTEM and Administrators only, inheritable"
expect_eq "$(sd "$T_TMP/s.vol" "/Windows/Logs/hvoffline/$rs")" "$($sdtool spec "$STORE_FILE")" \
    "apply's JSON record: SYSTEM and Administrators only"
undo=$(records "$T_TMP/s.vol" .undo)
expect_eq "$(echo "$undo" | wc -l)" 1 "one undo file"
expect_eq "$(sd "$T_TMP/s.vol" "/Windows/Logs/hvoffline/$undo")" "$($sdtool spec "$STORE_FILE")" \
    "apply's undo data: SYSTEM and Administrators only"
ntfscat "$T_TMP/s.vol" "/Windows/Logs/hvoffline/$undo" 2>/dev/null | grep '^sd ' |
    cut -d' ' -f3,4 | LC_ALL=C sort -u >"$T_TMP/rules"
expect_grep "$T_TMP/rules" '^previous file$' "the undo data names the previous rule"
expect_grep "$T_TMP/rules" '^store file$' "the undo data names the store rule"

HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json services --disable VMBUS "$T_TMP/s.vhdx"
expect_rc 0 "services --disable vmbus"
volume "$T_TMP/s.vhdx" "$T_TMP/v.vol"
for f in $(records "$T_TMP/v.vol" '' | grep '^services-'); do
    expect_eq "$(sd "$T_TMP/v.vol" "/Windows/Logs/hvoffline/$f")" "$($sdtool spec "$STORE_FILE")" \
        "services: $f: SYSTEM and Administrators only"
done
expect_eq "$(records "$T_TMP/v.vol" '' | grep -c '^services-')" 2 \
    "services: its record and undo data were checked"

# ---- 5. rollback's own record --------------------------------------------
# Rollback writes its record and the state verify compares with (staged,
# then renamed in by its journal) into the same folder: the store
# descriptor too.  And every file and folder left in the record folder
# after it (the undone records, renamed; the emptied .saved folder).
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json rollback "$T_TMP/s.vhdx"
expect_rc 0 "rollback"
expect_json '.images[0].undone | length == 2' "rollback undid services and apply"
volume "$T_TMP/s.vhdx" "$T_TMP/r.vol"
rb=$(records "$T_TMP/r.vol" '' | grep '^rollback-')
expect_eq "$(echo "$rb" | grep -c '^rollback-.*\.json$')" 1 "rollback: one JSON record"
expect_eq "$(echo "$rb" | grep -c '^rollback-.*\.state$')" 1 "rollback: one state"
for f in $rb; do
    expect_eq "$(sd "$T_TMP/r.vol" "/Windows/Logs/hvoffline/$f")" "$($sdtool spec "$STORE_FILE")" \
        "rollback: $f: SYSTEM and Administrators only"
done
ntfscat "$T_TMP/r.vol" "/Windows/Logs/hvoffline/$(echo "$rb" | grep '\.json$')" \
    >"$T_TMP/rb.rec" 2>/dev/null
expect_eq "$(jq -r .command "$T_TMP/rb.rec")" rollback "the rollback record is rollback's"
n=0 bad=
for f in $(ntfsls -F "$T_TMP/r.vol" -p /Windows/Logs/hvoffline 2>/dev/null); do
    case $f in
    ./|../|.|..) continue ;;
    */) want=$STORE_DIR f=${f%/} ;;
    *) want=$STORE_FILE f=${f%\*} ;;
    esac
    n=$((n + 1))
    [ "$(sd "$T_TMP/r.vol" "/Windows/Logs/hvoffline/$f")" = "$($sdtool spec "$want")" ] ||
        bad="$bad $f"
done
expect_eq "${bad:-none}" none "after rollback: all $n entries of the record folder: SYSTEM and Administrators only"

t_finish
