#!/bin/sh
# hvoffline vhdx info|check|replay|create|read|write: output, JSON (read
# with jq), exit codes.  Expected values come from PROVENANCE.md and from
# qemu-img run here.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)/vhdx
need_tools qemu-img qemu-io jq bzip2
H=$HVOFFLINE
bzip2 -dc "$fx/iotest-dynamic-1G.vhdx.bz2" >"$T_TMP/dyn.vhdx"
bzip2 -dc "$fx/iotest-dirtylog-10G-4M.vhdx.bz2" >"$T_TMP/dirty.vhdx"
bzip2 -dc "$fx/test-disk2vhd.vhdx.bz2" >"$T_TMP/d2v.vhdx"

# ---- help and usage ----
run "$H" vhdx --help
expect_rc 0 "vhdx --help"
for sub in info check replay create read write; do
    expect_grep "$T_TMP/out" "^  vhdx $sub " "vhdx --help lists $sub"
done
run "$H" vhdx info
expect_rc 2 "info without an image"
run "$H" vhdx frob x
expect_rc 2 "unknown subcommand"
run "$H" vhdx create --size lots "$T_TMP/x.vhdx"
expect_rc 2 "create with a bad size"
expect_grep "$T_TMP/err" "is not a size" "bad size: message"

# ---- info ----
run "$H" vhdx info --json "$T_TMP/dyn.vhdx"
expect_rc 0 "info --json (Hyper-V image)"
expect_json '.status == "ok" and .image.type == "dynamic" and .image.virtual_size == 1073741824 and .image.block_size == 33554432' "info: geometry"
expect_json '.image.physical_sector_size == 4096 and .image.header.current == 2 and .image.header.sequence == 15' "info: header"
expect_json '.image.virtual_disk_id == "fc7209f1-f6eb-4616-9b77-e994e3017ddd" and .image.log.state == "clean"' "info: disk id and log"
expect_json '(.chain | length) == 0' "info: no parents"
run "$H" vhdx info "$T_TMP/dirty.vhdx"
expect_rc 0 "info on a dirty image (read-only)"
expect_grep "$T_TMP/out" "needs replay: 1 entries replayed in memory" "info: says the log needs replay"
expect_eq "$(sha256sum <"$T_TMP/dirty.vhdx" | cut -d' ' -f1)" \
    511daba998dba208ffc57a7814194d5dd3afb7c314731b904ff1682e3fb4951a "info left the dirty image unchanged"

# ---- check ----
run "$H" vhdx check --json "$T_TMP/dyn.vhdx"
expect_rc 0 "check --json"
expect_json '.status == "ok" and (.problems | length) == 0 and .blocks.fully_present == 3 and .blocks.zero == 29 and .log.stale_entries == 2' "check: counts"
run "$H" vhdx check "$T_TMP/d2v.vhdx"
expect_rc 0 "check (Disk2VHD image, identical headers)"
expect_grep "$T_TMP/out" "no problems found" "check: verdict"
# Corrupt the metadata table signature (metadata region at 2 MiB).
cp "$T_TMP/dyn.vhdx" "$T_TMP/bad.vhdx"
printf 'X' | dd of="$T_TMP/bad.vhdx" bs=1 seek=$((0x200000)) conv=notrunc status=none
before=$(sha256sum <"$T_TMP/bad.vhdx")
run "$H" vhdx check --json "$T_TMP/bad.vhdx"
expect_rc 5 "check: corrupt image is exit 5"
expect_json '.status == "corrupt" and (.problems[0] | test("metadata"))' "check --json: the problem"
run "$H" vhdx info "$T_TMP/bad.vhdx"
expect_rc 5 "info: corrupt image is exit 5"
expect_grep "$T_TMP/err" "^hvoffline: .*bad.vhdx: metadata table: no \"metadata\" signature" "info: diagnostic names image and structure"
run "$H" vhdx replay "$T_TMP/bad.vhdx"
expect_rc 5 "replay: corrupt image is exit 5"
expect_eq "$(sha256sum <"$T_TMP/bad.vhdx")" "$before" "a corrupt image is left unchanged"
head -c 2000000 /dev/urandom >"$T_TMP/noise.bin"
run "$H" vhdx info "$T_TMP/noise.bin"
expect_rc 5 "not a VHDX: exit 5"
expect_grep "$T_TMP/err" "vhdxfile" "not a VHDX: message"
run "$H" vhdx info "$T_TMP/missing.vhdx"
expect_rc 1 "missing file: exit 1"
run "$H" vhdx info --json "$T_TMP/missing.vhdx"
expect_json '.status == "error" and .exit_code == 1' "missing file: JSON error report"

# ---- read ----
run "$H" vhdx read -o "$T_TMP/d2v.raw" "$T_TMP/d2v.vhdx"
expect_rc 0 "read -o"
qemu-img convert -O raw "$T_TMP/d2v.vhdx" "$T_TMP/d2v.qemu.raw"
expect_eq "$(cmp "$T_TMP/d2v.raw" "$T_TMP/d2v.qemu.raw" && echo same)" same "read -o equals qemu-img convert"
expect_eq "$("$H" vhdx read "$T_TMP/dyn.vhdx" | sha256sum | cut -d' ' -f1)" \
    d3d112d8dab7fd360609f7d5a7b769904b7a2a7d7b6b8c535f65a23293c05478 "read to a pipe: PROVENANCE SHA-256"
# The dirty image, read-only: the 0xa5 run ends at 0x1200000.
"$H" vhdx read --offset 0x11ff000 --length 8K "$T_TMP/dirty.vhdx" >"$T_TMP/edge.bin"
expect_eq "$(head -c 4096 "$T_TMP/edge.bin" | tr -d '\245' | wc -c)" 0 "dirty: 0xa5 just before 0x1200000"
expect_eq "$(tail -c 4096 "$T_TMP/edge.bin" | tr -d '\000' | wc -c)" 0 "dirty: zeros from 0x1200000"
run "$H" vhdx read --offset 2G "$T_TMP/dyn.vhdx"
expect_rc 2 "read past the end: usage error"
run "$H" --json vhdx read --offset 1M --length 3M -o "$T_TMP/part.raw" "$T_TMP/d2v.vhdx"
expect_rc 0 "read --json -o"
expect_json '.status == "ok" and .offset == 1048576 and .bytes_read == 3145728' "read --json -o reports what it read"
expect_eq "$(tail -c +1048577 "$T_TMP/d2v.qemu.raw" | head -c 3145728 | cmp - "$T_TMP/part.raw" && echo same)" same "read --json -o: the bytes equal qemu-img convert's"
run "$H" --json vhdx read "$T_TMP/d2v.vhdx"
expect_rc 2 "read --json without -o: usage error (stdout carries the disk)"
before=$(sha256sum <"$T_TMP/d2v.vhdx")
run "$H" vhdx read -o "$T_TMP/d2v.vhdx" "$T_TMP/d2v.vhdx"
expect_rc 2 "read -o onto the image itself: refused"
expect_eq "$(sha256sum <"$T_TMP/d2v.vhdx")" "$before" "read -o did not truncate the image"

# ---- replay ----
run "$H" vhdx replay --json "$T_TMP/dirty.vhdx"
expect_rc 0 "replay"
expect_json '.log == "replayed" and .entries_replayed == 1 and .head_sequence == 7' "replay: one entry"
run qemu-io -r -f vhdx -c 'read -P 0xa5 0 18M' "$T_TMP/dirty.vhdx"
expect_rc 0 "after replay qemu opens it read-only and reads 18 MiB of 0xa5"
run "$H" vhdx replay "$T_TMP/dirty.vhdx"
expect_rc 0 "replay again"
expect_grep "$T_TMP/out" "clean; nothing to replay" "replay: second time nothing to do"

# ---- create and write ----
run "$H" vhdx create --json --size 64M --block-size 1M "$T_TMP/new.vhdx"
expect_rc 0 "create dynamic"
expect_json '.status == "created" and .type == "dynamic"' "create --json"
run "$H" vhdx create --size 64M "$T_TMP/new.vhdx"
expect_rc 1 "create refuses an existing file"
expect_grep "$T_TMP/err" "exists already" "create: existing file message"
expect_eq "$(qemu-img info --output=json "$T_TMP/new.vhdx" | jq '."virtual-size"')" 67108864 "qemu-img sees the size"
run qemu-img check "$T_TMP/new.vhdx"
expect_rc 0 "qemu-img check accepts our image"
head -c 3000000 /dev/urandom >"$T_TMP/data.bin"
run "$H" vhdx write --json --offset 1000 "$T_TMP/new.vhdx" "$T_TMP/data.bin"
expect_rc 0 "write from a file"
expect_json '.bytes_written == 3000000 and .offset == 1000' "write --json"
head -c 5000 /dev/urandom >"$T_TMP/small.bin"
"$H" -q vhdx write --offset 63M "$T_TMP/new.vhdx" <"$T_TMP/small.bin"
expect_eq "$?" 0 "write from stdin"
qemu-img convert -O raw "$T_TMP/new.vhdx" "$T_TMP/new.raw"
expect_eq "$(cmp -i 1000:0 -n 3000000 "$T_TMP/new.raw" "$T_TMP/data.bin" && echo same)" same "qemu reads what write wrote"
expect_eq "$(cmp -i $((63 << 20)):0 -n 5000 "$T_TMP/new.raw" "$T_TMP/small.bin" && echo same)" same "qemu reads what stdin wrote"
run "$H" vhdx write --offset 64M "$T_TMP/new.vhdx" "$T_TMP/small.bin"
expect_rc 2 "write past the end: usage error"
run "$H" vhdx create --type fixed --size 16M --logical-sector-size 4096 "$T_TMP/fixed4k.vhdx"
expect_rc 0 "create fixed, 4 KiB sectors"
run "$H" vhdx info --json "$T_TMP/fixed4k.vhdx"
expect_json '.image.type == "fixed" and .image.logical_sector_size == 4096' "info: fixed 4K"
run "$H" vhdx create --parent "$T_TMP/new.vhdx" "$T_TMP/child.avhdx"
expect_rc 0 "create differencing"
run "$H" vhdx info --json "$T_TMP/child.avhdx"
expect_json '.image.type == "differencing" and (.chain | length) == 1 and .image.parent_locator.relative_path == ".\\new.vhdx"' "info: the chain"
expect_eq "$("$H" vhdx read "$T_TMP/child.avhdx" | cmp - "$T_TMP/new.raw" && echo same)" same "a new child reads as its parent"
run "$H" vhdx create --size 1G --parent "$T_TMP/new.vhdx" "$T_TMP/x.avhdx"
expect_rc 2 "differencing with --size: usage error"
# The parent changes: the child is refused (exit 4).
"$H" -q vhdx write "$T_TMP/new.vhdx" "$T_TMP/small.bin"
run "$H" vhdx info "$T_TMP/child.avhdx"
expect_rc 4 "child of a changed parent: refused"
expect_grep "$T_TMP/err" "DataWriteGuid" "refused: says why"
run "$H" vhdx info --no-parent "$T_TMP/child.avhdx"
expect_rc 0 "info --no-parent still shows the child"

# ---- locking ----
qemu-io -f vhdx -c 'sleep 60000' "$T_TMP/new.vhdx" >/dev/null 2>&1 &
qpid=$!
i=0
while [ $i -lt 200 ]; do
    "$H" vhdx info "$T_TMP/new.vhdx" >/dev/null 2>&1 || break
    sleep 0.05
    i=$((i + 1))
done
run "$H" vhdx info "$T_TMP/new.vhdx"
expect_rc 4 "image held by qemu-io: exit 4"
expect_grep "$T_TMP/err" "in use" "locked: message"
run "$H" vhdx write "$T_TMP/new.vhdx" "$T_TMP/small.bin"
expect_rc 4 "write to an image held by qemu-io: exit 4"
kill $qpid
wait $qpid 2>/dev/null

t_finish
