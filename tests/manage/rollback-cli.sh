#!/bin/sh
# apply, then services and reg --image changes, then rollback, through the
# CLI on the native backend (no appliance), on the project's ws2012-x64
# (6.2 package) and win7-x86 (6.x package) test images (issue 18).  Judged without hvoffline, by qemu-img, sfdisk,
# ntfsls/ntfscat (ntfs-3g) and hivexregedit: a checksum listing of the
# whole Windows volume (the record folder Windows\Logs\hvoffline aside)
# and an export of both hives equal those taken before apply.  Also:
# inspect reports what is pending after apply and nothing after rollback;
# a second rollback has nothing to do; verify after rollback compares with
# the recorded previous state; progress goes to stderr, never stdout.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)
img="$HVO_TOP_BUILDDIR/tests/fixtures/images"
for i in ws2012-x64 win7-x86; do
    test -f "$img/$i.vhdx" || { echo "FAIL: no $img/$i.vhdx (test images not built)"; exit 99; }
done
tools="qemu-img sfdisk ntfsls ntfscat hivexregedit jq sha256sum"
command -v $tools >/dev/null || { echo "SKIP: one of $tools is missing"; exit 77; }
HVOFFLINE_BACKEND=native
export HVOFFLINE_BACKEND

# The guest's Windows volume as a raw file, read natively from the image.
volume() {
    qemu-img convert -O raw "$1" "$T_TMP/disk.raw" || return 1
    start=$(sfdisk -J "$T_TMP/disk.raw" | jq '.partitiontable.partitions[-1].start')
    size=$(sfdisk -J "$T_TMP/disk.raw" | jq '.partitiontable.partitions[-1].size')
    dd if="$T_TMP/disk.raw" of="$T_TMP/part.raw" bs=512 skip="$start" \
        count="$size" status=none
}

# Every directory and every file with its SHA-256, below $1 of the volume.
walk() {
    ntfsls -F -p "$1" "$T_TMP/part.raw" | while IFS= read -r name; do
        case $name in
        ./|../|.|..) ;;
        */) d="$1/${name%/}"
            [ "$d" = "/Windows/Logs/hvoffline" ] && continue
            # Logs itself may be new: it holds the record folder.
            [ "$d" = "/Windows/Logs" ] || echo "dir $d"
            walk "$d" ;;
        *) f="$1/${name%\*}"
            echo "$(ntfscat "$T_TMP/part.raw" "$f" | sha256sum | cut -c1-64) $f" ;;
        esac
    done
}

# snapshot NAME: the listing and both hives' exports of the image now.
snapshot() {
    volume "$T_TMP/a.vhdx" || return 1
    walk "" | LC_ALL=C sort > "$T_TMP/$1.list"
    for h in SYSTEM SOFTWARE; do
        ntfscat "$T_TMP/part.raw" "Windows/System32/config/$h" > "$T_TMP/$h"
        hivexregedit --export "$T_TMP/$h" '\' > "$T_TMP/$1.$h.reg"
    done
}

# case IMAGE CAB PACKAGE: the whole round trip on a copy of test image
# IMAGE with the package of cabinet CAB (whose identity's name is PACKAGE).
case_() {
    echo "== $1 with $(basename "$2")"
    cp --sparse=always "$img/$1.vhdx" "$T_TMP/a.vhdx"
    snapshot before
    expect_eq "$(grep -c 'Windows/System32/config/SYSTEM$' "$T_TMP/before.list")" 1 \
        "the listing holds the SYSTEM hive"
    echo "listing before apply: $(grep -vc '^dir ' "$T_TMP/before.list") files, $(grep -c '^dir ' "$T_TMP/before.list") directories"

    run "$HVOFFLINE" --json inspect "$T_TMP/a.vhdx"
    expect_rc 0 "inspect before apply"
    expect_json '.images[0].pending.any == false and .images[0].pending.last_record == null' \
        "nothing pending before apply"

    run "$HVOFFLINE" -q apply --source "$2" "$T_TMP/a.vhdx"
    expect_rc 0 "apply"
    snapshot applied
    if cmp -s "$T_TMP/before.list" "$T_TMP/applied.list"; then r=same; else r=different; fi
    expect_eq "$r" different "the listing tells the applied volume apart"
    run "$HVOFFLINE" --json inspect "$T_TMP/a.vhdx"
    expect_json '.images[0].pending | .any and .firstboot.pending and .firstboot.hook == "setup-cmdline"' \
        "inspect after apply: the first-boot step is pending"
    T_RC=0; jq -e --arg p "$3" '.images[0].pending.staged_packages | length == 1 and (.[0].package | startswith($p + "~")) and .[0].pending' "$T_TMP/out" >/dev/null || T_RC=1
    expect_rc 0 "inspect after apply: the staged package $3 is pending"
    expect_json '.images[0].pending.last_record | .command == "apply" and (.package | test("Integration-Services-Package")) and .changed.files_created > 0' \
        "inspect after apply: the last record is the apply's"
    expect_json '.images[0].pending.integration_services.state == "as-applied"' \
        "inspect after apply: services as the apply left them"
    expect_no_grep "$T_TMP/out" "inspecting" "no progress on stdout with --json"
    expect_grep "$T_TMP/err" "inspecting" "progress on stderr"
    run "$HVOFFLINE" -q inspect "$T_TMP/a.vhdx"
    expect_grep "$T_TMP/out" "pending:.*the first-boot step" "inspect text says pending"
    expect_eq "$(wc -c < "$T_TMP/err")" 0 "nothing on stderr with -q"
    # On a terminal (script(1) gives the command one): a progress bar.
    if command -v script >/dev/null; then
        TERM=xterm script -qec "'$HVOFFLINE' inspect '$T_TMP/a.vhdx'" /dev/null \
            > "$T_TMP/tty" 2>&1
        expect_grep "$T_TMP/tty" '\[\.\{20\}\] 0/1 .*a\.vhdx: inspecting' \
            "on a terminal: the bar as the image begins"
        expect_grep "$T_TMP/tty" '\[#\{20\}\] 1/1 done' \
            "on a terminal: the bar full at the end"
        expect_grep "$T_TMP/tty" "pending:" "on a terminal: the report follows"
        TERM=xterm script -qec "'$HVOFFLINE' -q inspect '$T_TMP/a.vhdx'" /dev/null \
            > "$T_TMP/tty" 2>&1
        expect_no_grep "$T_TMP/tty" '\[[.#]\{20\}\]' "on a terminal with -q: no bar"
    fi

    run "$HVOFFLINE" -q services --disable vmictimesync "$T_TMP/a.vhdx"
    expect_rc 0 "services --disable vmictimesync"
    run "$HVOFFLINE" -q reg set --image "$T_TMP/a.vhdx" \
        'HKLM\SOFTWARE\Microsoft\Virtual Machine\Auto' HvoLater dword 1
    expect_rc 0 "reg set --image"
    run "$HVOFFLINE" --json inspect "$T_TMP/a.vhdx"
    expect_json '.images[0].pending.integration_services | .state == "changed" and (.notes[0] | test("vmictimesync: disabled now"))' \
        "inspect: a service changed since the apply"

    run "$HVOFFLINE" --json rollback "$T_TMP/a.vhdx"
    expect_rc 0 "rollback"
    snapshot after
    if cmp -s "$T_TMP/before.list" "$T_TMP/after.list"; then r=same; else r=different
        diff "$T_TMP/before.list" "$T_TMP/after.list" | head -20 >&2; fi
    expect_eq "$r" same "the volume's checksum listing equals the one before apply"
    for h in SYSTEM SOFTWARE; do
        if cmp -s "$T_TMP/before.$h.reg" "$T_TMP/after.$h.reg"; then r=same; else r=different; fi
        expect_eq "$r" same "hivexregedit --export of $h equals the one before apply"
    done

    run "$HVOFFLINE" --json rollback "$T_TMP/a.vhdx"
    expect_rc 0 "a second rollback"
    expect_json '.images[0].undone | length == 0' "a second rollback has nothing to do"

    run "$HVOFFLINE" --json verify --source "$2" "$T_TMP/a.vhdx"
    expect_rc 0 "verify after rollback"
    expect_json '.images[0].message | test("match the recorded previous state")' \
        "verify compares with the recorded previous state"
    run "$HVOFFLINE" --json inspect "$T_TMP/a.vhdx"
    expect_json '.images[0].pending | .any == false and .firstboot.pending == false and (.staged_packages | length == 0)' \
        "inspect after rollback: nothing pending"
}

case_ ws2012-x64 "$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab" \
    Microsoft-Hyper-V-Integration-Services-Package-2
case_ win7-x86 "$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab" \
    Microsoft-Hyper-V-Integration-Services-Package

# plant FILE...: host files of $T_TMP put into the image's record folder
# with ntfscp (ntfs-3g, not hvoffline), as an interrupted run leaves them.
plant() {
    volume "$T_TMP/a.vhdx" || return 1
    for f; do
        ntfscp "$T_TMP/part.raw" "$T_TMP/$f" "/Windows/Logs/hvoffline/$f" || return 1
    done
    dd if="$T_TMP/part.raw" of="$T_TMP/disk.raw" bs=512 seek="$start" \
        conv=notrunc status=none &&
        qemu-img convert -f raw -O vhdx -o subformat=dynamic "$T_TMP/disk.raw" "$T_TMP/a.vhdx"
}

# in_records NAME: how many entries of the record folder are named NAME.
in_records() {
    volume "$T_TMP/a.vhdx" && ntfsls -p /Windows/Logs/hvoffline "$T_TMP/part.raw" |
        grep -c "^$1\$"
}

# What an interrupted run left is finished or removed by the next run that
# writes (reg --image, rollback: the managing commands' cleanup; apply),
# which says what it was: a rollback's staged record and state (a rollback
# killed before its journal), a rollback's journal with a step left.
echo "== leftovers of interrupted runs"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a.vhdx"
auto='HKLM\SOFTWARE\Microsoft\Virtual Machine\Auto'
run "$HVOFFLINE" -q reg set --image "$T_TMP/a.vhdx" "$auto" HvoFirst dword 1
expect_rc 0 "reg set --image (the record folder)"
stamp=20261207T000000Z
echo '{}' > "$T_TMP/staged-rollback-$stamp.json"
echo x > "$T_TMP/staged-rollback-$stamp.state"
plant "staged-rollback-$stamp.json" "staged-rollback-$stamp.state"
expect_eq "$(in_records "staged-rollback-$stamp.json")" 1 "planted a staged rollback record"
run "$HVOFFLINE" reg set --image "$T_TMP/a.vhdx" "$auto" HvoSecond dword 1
expect_rc 0 "reg set --image after a rollback killed while staging"
for x in json state; do
    expect_grep "$T_TMP/err" "warning: removed Windows.Logs.hvoffline.staged-rollback-$stamp\\.$x, left in the guest by a rollback interrupted before its journal was written" \
        "reg --image names the removed staged rollback $x"
    expect_eq "$(in_records "staged-rollback-$stamp.$x")" 0 "the staged rollback $x is gone"
done
expect_no_grep "$T_TMP/err" "earlier apply" "no apply is said to be interrupted"

# A rollback's journal with one step left (a rename in the record folder).
journal() {
    printf 'hvoffline rollback journal 1\nR\tWindows\\Logs\\hvoffline\\%s\tWindows\\Logs\\hvoffline\\%s\n' \
        "$1" "$2" > "$T_TMP/rollback-journal.txt"
    echo y > "$T_TMP/$1"
    plant rollback-journal.txt "$1"
}
journal step-a step-b
run "$HVOFFLINE" --json rollback "$T_TMP/a.vhdx"
expect_rc 0 "rollback after a rollback interrupted in its journal"
expect_grep "$T_TMP/err" 'warning: an earlier rollback was interrupted after its journal .*rollback-journal.txt was written: finished it' \
    "rollback says an earlier rollback was finished"
expect_no_grep "$T_TMP/err" "earlier apply" "rollback: no apply is said to be interrupted"
expect_json '.images[0].undone | length == 2' "then it undid both reg --image changes"
expect_eq "$(in_records step-b)$(in_records step-a)$(in_records rollback-journal.txt)" 100 \
    "the journal's step was carried out and the journal removed"

journal step-c step-d
run "$HVOFFLINE" --json apply --source "$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab" "$T_TMP/a.vhdx"
expect_rc 0 "apply after a rollback interrupted in its journal"
expect_grep "$T_TMP/err" 'warning: an earlier rollback was interrupted after its journal .*was written: finished it' \
    "apply says an earlier rollback was finished"
expect_no_grep "$T_TMP/err" "earlier apply" "apply: no apply is said to be interrupted"
expect_eq "$(in_records step-d)$(in_records step-c)$(in_records rollback-journal.txt)" 100 \
    "apply: the journal's step was carried out and the journal removed"
t_finish
