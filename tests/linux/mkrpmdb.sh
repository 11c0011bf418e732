#!/bin/sh
# mkrpmdb.sh OUTDIR - build RPM databases from real rpm tooling, for the
# RHEL test images (mklinux.sh) and tests/linux/rpmdb.sh.
#
#   OUTDIR/rpms/*.rpm        packages built by rpmbuild from the specs below:
#                            hyperv-daemons 6.1.0-3.el9 (epoch 1), its
#                            hypervkvpd subpackage, bash 5.1.8-6.el9 and
#                            kernel-core 5.14.0-362.el9 with 400 files (a
#                            header of ~20 KiB: several overflow pages)
#   OUTDIR/sqlite/           rpmdb.sqlite as `rpmdb --initdb` and
#                            `rpm -i --justdb --nodeps` leave it (RHEL 9)
#   OUTDIR/sqlite-none/      the same without the Hyper-V packages
#   OUTDIR/sqlite-wal/       the sqlite one with hyperv-daemons' row deleted
#                            in rpmdb.sqlite-wal, not yet checkpointed (as
#                            a guest stopped with its database open leaves
#                            it; copied while SQLite's connection is open)
#   OUTDIR/bdb/Packages      the same headers in a Berkeley DB hash
#                            database (RHEL 7 and 8): rpm on Debian cannot
#                            write one (it reads it only, bdb_ro), so the
#                            blobs rpm stored in rpmdb.sqlite are exported
#                            with sqlite3 and loaded with Berkeley DB's own
#                            db_load, keyed by header number as rpm keys
#                            them, with rpm's key-0 counter record
#   OUTDIR/header.bin        hyperv-daemons' header blob alone
#
# The tests check these databases with rpm itself (`rpm -qa`, bdb_ro for
# the Berkeley DB one), never with our reader.
set -eu
out=${1:?usage: mkrpmdb.sh OUTDIR}
for tool in rpmbuild rpm rpmdb sqlite3 db_load python3; do
    command -v "$tool" >/dev/null || {
        echo "mkrpmdb: $tool is required (see tools/debian-packages.txt)" >&2
        exit 77
    }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
top=$out/top
mkdir -p "$top/SPECS" "$out/rpms"

spec() { # spec NAME VERSION RELEASE EPOCH NFILES
    {
        printf 'Name: %s\nVersion: %s\nRelease: %s\n' "$1" "$2" "$3"
        [ "$4" = - ] || printf 'Epoch: %s\n' "$4"
        printf 'Summary: %s for hvoffline tests\nLicense: GPLv2\n' "$1"
        printf 'BuildArch: x86_64\n%%description\nA test package.\n'
        printf '%%install\nmkdir -p %%{buildroot}/usr/share/%s\n' "$1"
        printf 'for i in $(seq 1 %s); do echo $i > %%{buildroot}/usr/share/%s/file-$i; done\n' "$5" "$1"
        printf '%%files\n/usr/share/%s\n' "$1"
    } >"$top/SPECS/$1.spec"
    HOME=$out rpmbuild --quiet --define "_topdir $top" \
        --define '_build_id_links none' --define '_rpmdir %{_topdir}/RPMS' \
        -bb "$top/SPECS/$1.spec" >/dev/null 2>&1
    cp "$top/RPMS/x86_64/$1-$2-$3.x86_64.rpm" "$out/rpms/"
}
spec bash 5.1.8 6.el9 - 3
spec kernel-core 5.14.0 362.el9 - 400
spec hyperv-daemons 6.1.0 3.el9 1 1
spec hypervkvpd 6.1.0 3.el9 1 2

justdb() { # justdb DBDIR RPM...
    d=$1
    shift
    rm -rf "$d"
    mkdir -p "$d"
    rpmdb --dbpath "$d" --initdb
    rpm -i --justdb --nodeps --noscripts --ignorearch --dbpath "$d" "$@" 2>/dev/null
}
justdb "$out/sqlite" "$out/rpms/bash-"*.rpm "$out/rpms/kernel-core-"*.rpm \
    "$out/rpms/hypervkvpd-"*.rpm "$out/rpms/hyperv-daemons-"*.rpm
justdb "$out/sqlite-none" "$out/rpms/bash-"*.rpm "$out/rpms/kernel-core-"*.rpm

# Berkeley DB: db_dump's bytevalue format, keys as rpm writes them (the
# header number as a 32-bit integer in the machine's order, little-endian
# here), key 0 holding the highest header number.
rm -rf "$out/bdb"
mkdir -p "$out/bdb"
sqlite3 "$out/sqlite/rpmdb.sqlite" 'SELECT hnum, hex(blob) FROM Packages ORDER BY hnum' >"$out/blobs.txt"
{
    printf 'VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n'
    printf ' 00000000\n %02x000000\n' "$(wc -l <"$out/blobs.txt")"
    while IFS='|' read -r h b; do
        printf ' %02x000000\n %s\n' "$h" "$(printf '%s' "$b" | tr 'A-F' 'a-f')"
    done <"$out/blobs.txt"
    printf 'DATA=END\n'
} >"$out/packages.dump"
db_load -f "$out/packages.dump" "$out/bdb/Packages"
sqlite3 "$out/sqlite/rpmdb.sqlite" \
    "SELECT hex(blob) FROM Packages WHERE hnum = (SELECT hnum FROM Name WHERE key = 'hyperv-daemons')" |
    xxd -r -p >"$out/header.bin"

rm -rf "$out/sqlite-wal" "$out/wal-work"
mkdir -p "$out/sqlite-wal" "$out/wal-work"
cp "$out/sqlite/rpmdb.sqlite" "$out/wal-work/"
python3 - "$out/wal-work" "$out/sqlite-wal" <<'PY'
import shutil, sqlite3, sys
work, dest = sys.argv[1], sys.argv[2]
con = sqlite3.connect(work + "/rpmdb.sqlite")
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA wal_autocheckpoint=0")
con.execute("DELETE FROM Packages WHERE hnum = "
            "(SELECT hnum FROM Name WHERE key = 'hyperv-daemons')")
con.execute("DELETE FROM Name WHERE key = 'hyperv-daemons'")
con.commit()
for f in ("rpmdb.sqlite", "rpmdb.sqlite-wal"):
    shutil.copy(work + "/" + f, dest + "/" + f)
con.close()
PY
rm -rf "$out/wal-work"
