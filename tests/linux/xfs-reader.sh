#!/bin/sh
# The native backend's XFS reader (src/guest/native_xfs*.c, issue 18) on
# filesystems made at test time by mkfs.xfs -p from a tree of files (no
# mount, no loop device), v5 (CRCs, ftype) and v4 (no CRCs, no ftype,
# 1 KiB blocks), with every directory form: short form, block, leaf, node
# with a btree data fork; files, holes and unwritten extents; symbolic
# links in the inode and in blocks.
#
# Oracles that are not our code: the tree the image was made from (names,
# bytes, link targets), and xfs_db (xfsprogs), which names each
# directory's form and lists its entries.  tests/linux/xfs_walk prints
# what our reader sees.  Then damaged images, built byte by byte or
# patched with dd: a clear error, never a crash (the build has ASan).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
PATH=$PATH:/sbin:/usr/sbin
need_tools mkfs.xfs xfs_db sha256sum awk
walk="$HVO_TOP_BUILDDIR/tests/linux/xfs_walk"
# mkfs.xfs refuses filesystems under 300 MB unless it runs under
# xfstests, which these variables say (mkfs/xfs_mkfs.c).
export TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1

# ---- the tree ----
s=$T_TMP/src
mkdir -p "$s/sf" "$s/blk" "$s/leaf" "$s/node" "$s/usr/lib/modules/6.1"
printf 'hello\n' >"$s/hello.txt"
: >"$s/empty"
printf 'upper\n' >"$s/README"
printf 'mixed\n' >"$s/Readme"
seq 1 300000 >"$s/big"
head -c 4096 "$s/big" >"$s/exact4k"
printf 'modules\n' >"$s/usr/lib/modules/6.1/modules.dep"
for n in a b c; do printf '%s\n' "$n" >"$s/sf/$n"; done
i=0
while [ $i -lt 36 ]; do printf 'b%s\n' $i >"$s/blk/f$i"; i=$((i + 1)); done
i=0
while [ $i -lt 200 ]; do
    printf 'l%s\n' $i >"$s/leaf/entry-with-a-longer-name-$i"
    i=$((i + 1))
done
# Thousands of entries of long names, each with data: the directory's
# blocks are allocated between its files' blocks, so its fork needs more
# extents than the inode holds (a btree) and its index a node form.
i=0
while [ $i -lt 3000 ]; do
    printf 'n%s\n' $i >"$s/node/a-name-long-enough-to-fill-the-directory-blocks-quickly-$i"
    i=$((i + 1))
done
ln -s hello.txt "$s/rel"
ln -s /sf/a "$s/abs"
ln -s sf "$s/dirlink"
ln -s ../hello.txt "$s/sf/up"
ln -s c2 "$s/c1"
ln -s /usr/lib "$s/lib"
ln -s c3 "$s/c2"
ln -s ./sf/../hello.txt "$s/c3"
ln -s loop2 "$s/loop1"
ln -s usr/lib/modules/6.1/../../../../hello.txt "$s/deep"
ln -s loop1 "$s/loop2"
long=$(printf '%0900d' 0 | tr 0 x)
ln -s "$long/end" "$s/longlink"
sh "$HVO_TOP_SRCDIR/tests/linux/mkproto.sh" "$s" >"$T_TMP/proto"

# What the tree holds, as xfs_walk prints it.
(cd "$s" && find . -mindepth 1 -printf '%y %P %s %l\n') | while read -r y p size target; do
    case $y in
    d) echo "d $p" ;;
    f) echo "f $p $size $(sha256sum <"$s/$p" | cut -c1-64)" ;;
    l) echo "l $p $target" ;;
    esac
done | LC_ALL=C sort >"$T_TMP/expected"

# dirform IMAGE PATH: the directory's form by xfs_db: its inode's format,
# size and the blocks its data fork maps (XFS_DIR2_LEAF_OFFSET = 32 GiB
# and XFS_DIR2_FREE_OFFSET = 64 GiB into it, in blocks of BLOCKSIZE).
dirform() {
    xfs_db -r -c "path /$2" -c 'p core.format' -c bmap "$1" 2>/dev/null |
        awk -v bs="$3" -v dbs="$4" '
        /core.format/ { fmt = $3 }
        /^data offset/ { off = $3 * bs
            if (off >= 68719476736) free = 1
            else if (off >= 34359738368) leaf = 1 }
        END {
            if (fmt == 1) print "shortform"
            else if (free) print "node " (fmt == 3 ? "btree" : "extents")
            else if (leaf) print "leaf"
            else print "block"
        }'
}

# hexbytes HEX: the bytes HEX spells.
hexbytes() {
    h=$1
    while [ -n "$h" ]; do
        p=${h%"${h#??}"}
        h=${h#??}
        printf "\\$(printf %03o 0x$p)"
    done
}

# fix_symlink IMAGE PATH TARGET: mkfs.xfs 6.1's protofile code writes a
# v5 symbolic link that needs a block as bare bytes, without the block's
# header (xfs_dsymlink_hdr: magic, offset, bytes, crc, uuid, owner,
# blkno, lsn), which xfs_db then reports as a CRC error.  Write the
# block as the kernel would, have xfs_db compute its CRC (crc -r), and
# let xfs_db say it is correct.
fix_symlink() {
    info=$(xfs_db -r -c 'sb 0' -c 'p uuid' -c "path /$2" -c 'p core.size' \
        -c 'dblock 0' -c stack "$1" 2>/dev/null)
    uuid=$(echo "$info" | awk '/^uuid/ {gsub("-", "", $3); print $3}')
    size=$(echo "$info" | awk '/core.size/ {print $3}')
    off=$(echo "$info" | awk '/byte offset/ {o = $3 + 0} END {print o}')
    ino=$(echo "$info" | awk '/inode [0-9]+, dir/ {print $2 + 0}')
    {
        hexbytes "58534c4d00000000$(printf %08x "$size")00000000$uuid"
        hexbytes "$(printf %016x%016x "$ino" $((off / 512)))0000000000000000"
        printf '%s' "$3"
    } >"$T_TMP/symlink.blk"
    dd if="$T_TMP/symlink.blk" of="$1" bs=1 seek="$off" conv=notrunc 2>/dev/null
    xfs_db -x -c "path /$2" -c 'dblock 0' -c 'crc -r' "$1" >/dev/null 2>&1
    xfs_db -r -c "path /$2" -c 'dblock 0' -c 'p crc' -c 'p magic' "$1" >"$T_TMP/crc" 2>&1
    expect_grep "$T_TMP/crc" "crc = 0x[0-9a-f]* (correct)" "xfs_db: $2's block, rewritten with its header, is correct"
}

# check_image NAME MKFS-OPTIONS BLOCKSIZE DIRBLOCKSIZE FORMS VERSION:
# FORMS, the forms xfs_db finds of sf, blk, leaf and node (they depend on
# the block sizes; the three images together have each).
check_image() {
    T_PREFIX="$1: "
    im=$T_TMP/$1.img
    rm -f "$im"
    if ! mkfs.xfs -q $2 -d file,name="$im",size=64m -p "$T_TMP/proto" 2>"$T_TMP/mkfs.err"; then
        t_fail "mkfs.xfs $2: $(cat "$T_TMP/mkfs.err")"
        return
    fi
    forms=
    for d in sf blk leaf node; do forms="$forms${forms:+, }$(dirform "$im" $d "$3" "$4")"; done
    expect_eq "$forms" "$5" "xfs_db: sf, blk, leaf, node are $5"
    fmt=$(xfs_db -r -c 'path /longlink' -c 'p core.format' "$im" | awk '{print $3}')
    expect_eq "$fmt" 2 "xfs_db: longlink's target is in blocks (extents)"
    [ "$6" = v4 ] || fix_symlink "$im" longlink "$long/end"
    run "$walk" "$im"
    expect_rc 0 "the reader walks the whole volume"
    LC_ALL=C sort "$T_TMP/out" >"$T_TMP/$1.walk"
    diff "$T_TMP/expected" "$T_TMP/$1.walk" >"$T_TMP/$1.diff"
    expect_empty "$T_TMP/$1.diff" \
        "every name, type, size, SHA-256 and link target is the tree's" \
        "the reader differs from the tree"
    # Each directory's names against xfs_db's own listing.
    for d in sf blk leaf node usr/lib/modules/6.1; do
        xfs_db -r -c "ls /$d" "$im" | awk 'NF >= 7 && $(NF - 1) != "." && $(NF - 1) != ".." {print $(NF - 1)}' |
            LC_ALL=C sort >"$T_TMP/db.ls"
        "$walk" "$im" list "$d" | LC_ALL=C sort >"$T_TMP/our.ls"
        [ -s "$T_TMP/db.ls" ] || t_fail "xfs_db lists nothing in /$d"
        expect_eq "$(cmp "$T_TMP/db.ls" "$T_TMP/our.ls" 2>&1)" "" \
            "/$d: $(wc -l <"$T_TMP/our.ls") names, as xfs_db lists them"
    done
    # Links followed: relative, absolute, through a directory link, in a
    # chain with . and .., up and out of a directory.
    hello="6 $(sha256sum <"$s/hello.txt" | cut -c1-64)"
    for p in rel c1 dirlink/up deep; do
        run "$walk" "$im" read "$p"
        expect_eq "$(cat "$T_TMP/out")" "$hello" "$p leads to hello.txt"
    done
    run "$walk" "$im" read dirlink/a
    expect_eq "$(cat "$T_TMP/out")" "2 $(sha256sum <"$s/sf/a" | cut -c1-64)" "dirlink/a: a link in the middle"
    run "$walk" "$im" list lib/modules
    expect_eq "$(cat "$T_TMP/out")" "6.1" "lib/modules through an absolute directory link"
    run "$walk" "$im" read readme
    expect_rc 1 "readme: names are case-sensitive"
    run "$walk" "$im" read loop1
    expect_rc 1 "a loop of links is given up"
    expect_grep "$T_TMP/err" "too many levels of symbolic links" "the loop is named"
    T_PREFIX=
}

check_image v5 "" 4096 4096 "shortform, block, leaf, node btree" v5
check_image v5-dir8k "-n size=8192 -i size=1024" 4096 8192 "shortform, shortform, leaf, node extents" v5
check_image v4 "-m crc=0 -n ftype=0 -b size=1024 -i size=256" 1024 1024 "shortform, block, leaf, node btree" v4

# ---- holes and unwritten extents: big's one extent cut in three by
# xfs_db -x (blocks 10-19 a hole, 20-29 unwritten, 30-39 a hole) ----
T_PREFIX="sparse: "
cp "$T_TMP/v5.img" "$T_TMP/sparse.img"
set -- $(xfs_db -r -c 'path /big' -c bmap "$T_TMP/sparse.img" | awk '{print $5, $8}')
start=$1 count=$2
xfs_db -x -c 'path /big' -c 'write core.nextents 3' \
    -c 'write u3.bmx[0].blockcount 10' \
    -c 'write u3.bmx[1].startoff 20' -c "write u3.bmx[1].startblock $((start + 20))" \
    -c 'write u3.bmx[1].blockcount 10' -c 'write u3.bmx[1].extentflag 1' \
    -c 'write u3.bmx[2].startoff 40' -c "write u3.bmx[2].startblock $((start + 40))" \
    -c "write u3.bmx[2].blockcount $((count - 40))" "$T_TMP/sparse.img" >/dev/null
expect_eq "$(xfs_db -r -c 'path /big' -c bmap "$T_TMP/sparse.img" | wc -l)" 3 "xfs_db: big now has three extents"
cp "$s/big" "$T_TMP/big.expected"
dd if=/dev/zero of="$T_TMP/big.expected" bs=4096 seek=10 count=30 conv=notrunc 2>/dev/null
run "$walk" "$T_TMP/sparse.img" read big
expect_eq "$(cat "$T_TMP/out")" "$(stat -c %s "$s/big") $(sha256sum <"$T_TMP/big.expected" | cut -c1-64)" \
    "holes and the unwritten extent read as zeros, the rest as written"
T_PREFIX=

# ---- damaged volumes: a clear error, exit 1 or 2, no crash ----
# damaged NAME BASE EXPECT-RC PATTERN DESCRIPTION [dd OFFSET BYTES]...
damaged() {
    name=$1 base=$2 rc=$3 pattern=$4 what=$5
    shift 5
    cp "$T_TMP/$base.img" "$T_TMP/$name.img"
    while [ $# -ge 2 ]; do
        printf "$2" | dd of="$T_TMP/$name.img" bs=1 seek="$1" conv=notrunc 2>/dev/null
        shift 2
    done
    run "$walk" "$T_TMP/$name.img"
    expect_rc "$rc" "$name: $what"
    expect_grep "$T_TMP/err" "$pattern" "$name: the error says so"
    if grep -q -e 'AddressSanitizer\|runtime error' "$T_TMP/err"; then
        t_fail "$name: a sanitizer report"
    fi
}
# sb_fname changed, sb_crc not: the v5 superblock's checksum.
damaged sbcrc v5 2 "superblock checksum mismatch" "a superblock whose CRC is wrong is refused" 108 'X'
# v4 (no CRC): sb_agblklog no longer agrees with sb_agblocks.
damaged geometry v4 2 "geometry is damaged" "a damaged geometry is refused" 124 '\077'
# v4: the root inode's magic.
rootino=$(xfs_db -r -c 'sb 0' -c 'p rootino' "$T_TMP/v4.img" | awk '{print $3}')
rootoff=$(xfs_db -r -c "inode $rootino" -c 'stack' "$T_TMP/v4.img" | awk '/byte offset/ {o = $3 + 0} END {print o}')
damaged rootmagic v4 2 "root inode: inode $rootino is damaged" "a root inode without its magic is refused" "$rootoff" 'XX'
# v4: the block directory's first entry claims a 255-byte name.
blkoff=$(xfs_db -r -c 'path /blk' -c 'dblock 0' -c 'stack' "$T_TMP/v4.img" | awk '/byte offset/ {o = $3 + 0} END {print o}')
damaged dirent v4 1 "damaged name" "a directory entry's name that runs into the next is refused" $((blkoff + 16 + 8 + 24 + 8)) '\377'
damaged freetag v4 1 "damaged entry" "free space past the block is refused" $((blkoff + 48)) '\377\377\177\370'
# v4: node's inode claims 2^31 extents.
nodeino=$(xfs_db -r -c 'path /node' -c 'p core.nextents' -c 'stack' "$T_TMP/v4.img" | awk '/byte offset/ {o = $3 + 0} END {print o}')
damaged nextents v4 1 "extent" "an extent count past the fork is refused" $((nodeino + 76)) '\177'
# v4: the magic of the node directory's extent btree leaf (bmbt).
bmbtoff=$(xfs_db -r -c 'path /node' -c 'addr u.bmbt.ptrs[1]' -c 'stack' "$T_TMP/v4.img" | awk '/byte offset/ {o = $3 + 0} END {print o}')
damaged bmbt v4 1 "damaged extent btree block" "an extent btree block without its magic is refused" "$bmbtoff" 'X'
# v5: a directory block's CRC.
blkoff=$(xfs_db -r -c 'path /blk' -c 'dblock 0' -c 'stack' "$T_TMP/v5.img" | awk '/byte offset/ {o = $3 + 0} END {print o}')
damaged dircrc v5 1 "checksum or owner mismatch" "a directory block whose CRC is wrong is refused" $((blkoff + 100)) 'Z'
# A volume cut short.
head -c 8M "$T_TMP/v5.img" >"$T_TMP/short.img"
run "$walk" "$T_TMP/short.img"
expect_rc 2 "a volume cut short is refused"
expect_grep "$T_TMP/err" "truncated" "short: the error says truncated"
# Built byte by byte: the magic and nothing else, then a version 5
# superblock of zeros but its magic and version.
{ printf 'XFSB'; head -c 65532 /dev/zero; } >"$T_TMP/magic.img"
run "$walk" "$T_TMP/magic.img"
expect_rc 2 "the magic alone is refused"
expect_grep "$T_TMP/err" "XFS superblock version 0" "magic: names the version"
{ printf 'XFSB'; head -c 96 /dev/zero; printf '\000\005\002\000'; head -c 65432 /dev/zero; } >"$T_TMP/zero5.img"
run "$walk" "$T_TMP/zero5.img"
expect_rc 2 "a v5 superblock of zeros is refused"
expect_grep "$T_TMP/err" "checksum mismatch" "zero5: its checksum is wrong"
t_finish
