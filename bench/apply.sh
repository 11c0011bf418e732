#!/bin/sh
# bench/apply.sh - `hvoffline apply` on each backend against the same
# work done with guestfish, in the same run, on copies of the same image:
#   - one image end to end: native (sandboxed child, no VM) against the
#     appliance (launch, inspection, hive recovery and edits, staging,
#     switch, verification) against one guestfish launch that uploads the
#     same files and edits the hives the way virt-win-reg does (download,
#     hivexregedit --merge, upload);
#   - eight images: native with -j 2 (two sandboxed children at once)
#     against the appliance (one launch for all eight);
#   - a hundred images (APPLY_BENCH_MANY), native -j 2: wall time.
# The appliance and guestfish launch three times in all.
# The guestfish script is generated from hvoffline's own plan (--dry-run
# --json): every file it writes, from the same cabinet (unpacked by
# cabextract), and every registry value as a .reg file.  It does less than
# apply: no inspection, no safety checks, no recovery of dirty hives, no
# temporary names, no verification.  Both use the direct backend and the
# accelerator this host's cache says works.  Needs `make fixture-images`.
# Targets (issue 16): one image native < 1 s and <= 0.05x the appliance;
# 100 images native < 60 s.
. "$(dirname "$0")/lib.sh"

N=${APPLY_BENCH_IMAGES:-8}
MANY=${APPLY_BENCH_MANY:-100}
JOBS=${APPLY_BENCH_JOBS:-2}
b_need guestfish hivexregedit cabextract jq python3
b_ws2012_ic

b_direct export

# The plan, and the peer's script made from it.
cp --sparse=always "$IMG" "$B_TMP/plan.vhdx"
"$HVOFFLINE" -q --json apply --dry-run --source "$CAB" "$B_TMP/plan.vhdx" >"$B_TMP/plan.json"
mkdir "$B_TMP/cab"
(cd "$B_TMP/cab" && cabextract -q "$CAB" 2>/dev/null)
python3 - "$B_TMP/plan.json" "$B_TMP" "$CAB" <<'PY'
import json, os, sys
plan = json.load(open(sys.argv[1]))["images"][0]["plan"]
tmp, cab = sys.argv[2], sys.argv[3]
root = "/" + plan["files"][0]["path"].split("\\")[0]
out = open(os.path.join(tmp, "peer.gf"), "w")
out.write("run\nmount /dev/sda3 /\n")
dirs = set()
for f in plan["files"]:
    path = "/" + f["path"].replace("\\", "/")
    d = os.path.dirname(path)
    if d not in dirs:
        out.write("mkdir-p %s\n" % d)
        dirs.add(d)
    if f["source"] == "cabinet-entry":
        src = os.path.join(tmp, "cab", f["cabinet_entry"].replace("\\", "/"))
    elif f["source"] == "cabinet":
        src = cab
    else:
        src = os.path.join(tmp, "small.txt")
    out.write("upload %s %s\n" % (src, path))
open(os.path.join(tmp, "small.txt"), "w").write("hvoffline bench\r\n")
for hive in ("SYSTEM", "SOFTWARE"):
    reg = open(os.path.join(tmp, hive + ".reg"), "w")
    reg.write("Windows Registry Editor Version 5.00\n\n")
    made = set()
    for r in plan["registry"]:
        if r["hive"] != hive:
            continue
        # hivexregedit creates a key only under an existing parent.
        parts = r["key"].split("\\")
        for i in range(1, len(parts)):
            k = "\\".join(parts[:i]).lower()
            if k not in made:
                reg.write("[HKEY_LOCAL_MACHINE\\%s\\%s]\n\n" % (hive, "\\".join(parts[:i])))
                made.add(k)
        made.add(r["key"].lower())
        reg.write("[HKEY_LOCAL_MACHINE\\%s\\%s]\n" % (hive, r["key"]))
        if r["op"] == "set":
            t = {"REG_SZ": 1, "REG_EXPAND_SZ": 2, "REG_BINARY": 3,
                 "REG_DWORD": 4, "REG_MULTI_SZ": 7, "REG_QWORD": 11}.get(r["type"], 3)
            h = r["data_hex"]
            data = ",".join(h[i:i + 2] for i in range(0, len(h), 2))
            name = '"%s"' % r["name"].replace("\\", "\\\\").replace('"', '\\"') if r["name"] else "@"
            reg.write("%s=hex(%x):%s\n" % (name, t, data))
        elif r["op"] in ("add-to-list", "add-to-path"):
            reg.write('"%s"="%s"\n' % (r["name"], r["entry"].replace("\\", "\\\\")))
        reg.write("\n")
    reg.close()
    guest = "%s/System32/config/%s" % (root, hive)
    out.write("download %s %s/%s\n" % (guest, tmp, hive))
    out.write("! hivexregedit --merge %s/%s --prefix 'HKEY_LOCAL_MACHINE\\%s' %s/%s.reg\n"
              % (tmp, hive, hive, tmp, hive))
    out.write("upload %s/%s %s\n" % (tmp, hive, guest))
out.write("sync\n")
PY

# peer IMAGE...: one guestfish run per image, one after the other.
cat >"$B_TMP/peer.sh" <<PEER
for img in "\$@"; do
    guestfish --format=vhdx -a "\$img" <"$B_TMP/peer.gf" || exit 1
done
PEER

fresh() {
    i=1
    while [ "$i" -le "$1" ]; do
        cp --sparse=always "$IMG" "$B_TMP/$2-$i.vhdx"
        i=$((i + 1))
    done
}
list() {
    i=1
    while [ "$i" -le "$1" ]; do
        printf '%s ' "$B_TMP/$2-$i.vhdx"
        i=$((i + 1))
    done
}

# apply BACKEND PREFIX N: times one hvoffline apply of N fresh copies:
# "<wall s> <peak RSS KiB>", and its CPU time (user + system, children
# included) in $B_TMP/cpu.  On a loaded machine the wall time is mostly
# waiting; the CPU time is the work.
apply() {
    fresh "$3" "$2"
    # shellcheck disable=SC2046
    HVOFFLINE_BACKEND=$1 /usr/bin/time -f '%e %M %U %S' -o "$B_TMP/t" \
        "$HVOFFLINE" -q apply -j "$JOBS" --source "$CAB" $(list "$3" "$2") >/dev/null 2>&1 || {
        echo "bench: apply failed ($1, $3 images)" >&2
        return 1
    }
    rm -f "$B_TMP/$2"-*.vhdx
    read -r wall rss user sys <"$B_TMP/t"
    echo "$user + $sys" | bc -l >"$B_TMP/cpu.$2"
    echo "$wall $rss"
}

nat=$(apply native nat 1)
app=$(apply appliance app 1)
echo "(CPU, hvoffline and the children it waited for: native $(cat "$B_TMP/cpu.nat") s, appliance $(cat "$B_TMP/cpu.app") s)"
fresh 1 peer
peer=$(b_time sh "$B_TMP/peer.sh" $(list 1 peer))
rm -f "$B_TMP"/peer-*.vhdx
echo "1 image: native ${nat% *} s (${nat#* } KiB, CPU $(cat "$B_TMP/cpu.nat") s)," \
    "appliance ${app% *} s (${app#* } KiB)," \
    "guestfish ${peer% *} s (${peer#* } KiB);" \
    "native/appliance $(b_ratio "${nat% *}" "${app% *}")," \
    "native/guestfish $(b_ratio "${nat% *}" "${peer% *}")," \
    "appliance/guestfish $(b_ratio "${app% *}" "${peer% *}")"

nat=$(apply native nat "$N")
app=$(apply appliance app "$N")
echo "$N images: native -j $JOBS ${nat% *} s (${nat#* } KiB, CPU $(cat "$B_TMP/cpu.nat") s)," \
    "appliance ${app% *} s (${app#* } KiB, CPU $(cat "$B_TMP/cpu.app") s);" \
    "native/appliance $(b_ratio "${nat% *}" "${app% *}")," \
    "speed-up $(b_ratio "${app% *}" "${nat% *}")x"

nat=$(apply native many "$MANY")
echo "$MANY images: native -j $JOBS ${nat% *} s (${nat#* } KiB, CPU $(cat "$B_TMP/cpu.many") s)," \
    "$(b_ratio "${nat% *}" "$MANY") s per image"
