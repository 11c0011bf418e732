#!/bin/sh
# `hvoffline cab list|test|extract|create`: output, JSON (parsed with jq)
# and exit codes: 0 ok, 2 usage, 4 refused (unsafe name, cap, existing
# file), 5 corrupt input.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)
ic="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"

run "$HVOFFLINE" cab list --json "$ic"
expect_rc 0 "list --json on the real x64 IC cabinet"
expect_json '.files | length == 73' "73 members"
expect_json '.folders == [{"method":"LZX:21","blocks":.folders[0].blocks}]' "one LZX:21 folder"
expect_json '.cabinets[0].file_size > .cabinets[0].size' "trailing signature seen"
expect_json '[.files[] | select(.name == "update.mum")] | length == 1' "update.mum listed"

run "$HVOFFLINE" cab list "$ic"
expect_rc 0 "list (text)"
expect_grep "$T_TMP/out" 'update\.mum$' "text listing names update.mum"

run "$HVOFFLINE" cab test --json "$ic"
expect_rc 0 "test --json"
expect_json '.status == "ok" and .failed == 0 and .ok == 73' "every member verified"
# The SHA-256 of update.mum agrees with cabextract.
want=$(cabextract -q -p -F update.mum "$ic" 2>/dev/null | sha256sum | cut -c1-64)
expect_json ".files[] | select(.name == \"update.mum\") | .sha256 == \"$want\"" "SHA-256 matches cabextract"

# A set, opened from its middle part.
run "$HVOFFLINE" cab list --json "$fx/cab/cabextract/cabs/split-3.cab"
expect_rc 0 "list a set from part 3"
expect_json '(.cabinets | length) == 5 and (.files | length) == 6' "5 cabinets, 6 members"
run "$HVOFFLINE" cab list --json --no-set "$fx/cab/cabextract/cabs/split-3.cab"
expect_json '(.cabinets | length) == 1' "--no-set opens one part"

# Extraction, then compare with cabextract.
mkdir "$T_TMP/x" "$T_TMP/ce"
run "$HVOFFLINE" cab extract -d "$T_TMP/x" "$fx/cab/cabextract/cabs/split-1.cab"
expect_rc 0 "extract a whole set"
cabextract -q -d "$T_TMP/ce" "$fx/cab/cabextract/cabs/split-1.cab" 2>/dev/null
expect_eq "$(cd "$T_TMP/x" && find . -type f | sort | xargs sha256sum)" \
    "$(cd "$T_TMP/ce" && find . -type f | sort | xargs sha256sum)" "same files as cabextract"
run "$HVOFFLINE" cab extract -d "$T_TMP/x" "$fx/cab/cabextract/cabs/split-1.cab"
expect_rc 4 "existing files are not replaced without --overwrite"
run "$HVOFFLINE" cab extract -d "$T_TMP/new/sub" "$fx/cab/cabextract/cabs/split-1.cab"
expect_rc 0 "extract -d into a directory that does not exist yet"
expect_eq "$(cd "$T_TMP/new/sub" && find . -type f | sort | xargs sha256sum)" \
    "$(cd "$T_TMP/ce" && find . -type f | sort | xargs sha256sum)" "-d DIR is created, as cabextract does"
printf x >"$T_TMP/afile"
run "$HVOFFLINE" cab extract -d "$T_TMP/afile/sub" "$fx/cab/cabextract/cabs/split-1.cab"
expect_rc 1 "extract -d under a file: refused"
run "$HVOFFLINE" cab extract --overwrite -d "$T_TMP/x" "$fx/cab/cabextract/cabs/split-1.cab" SMALL1.BIN
expect_rc 0 "one member by name, case ignored, --overwrite"

# Corrupt input exits 5.
run "$HVOFFLINE" cab list "$fx/cab/libmspack/cabd/bad_signature.cab"
expect_rc 5 "not a cabinet"
expect_grep "$T_TMP/err" "bad_signature.cab: not a cabinet" "the error names the file"
run "$HVOFFLINE" cab test "$fx/cab/libmspack/cabd/lzx-premature-matches.cab"
expect_rc 5 "LZX match before any data"
run "$HVOFFLINE" cab test --json "$fx/cab/libmspack/cabd/cve-2015-4470-mszip-over-read.cab"
expect_rc 5 "corrupt MSZIP (test --json)"
expect_json '.status == "error" and .failed == 1' "JSON reports the failed member"
mkdir "$T_TMP/y"
run "$HVOFFLINE" cab extract -d "$T_TMP/y" "$fx/cab/libmspack/cabd/cve-2010-2800-mszip-infinite-loop.cab"
expect_rc 5 "extracting corrupt data"
expect_eq "$(find "$T_TMP/y" -mindepth 1 | wc -l)" 0 "no partial file left"

# Unsafe names are refused (exit 4), and nothing is written.
run "$HVOFFLINE" cab extract -d "$T_TMP/y" "$fx/cab/cabextract/cabs/dirwalk-vulns.cab"
expect_rc 4 "traversal names refused"
expect_grep "$T_TMP/err" "unsafe name" "says why"
expect_eq "$(find "$T_TMP/y" -mindepth 1 | wc -l)" 0 "nothing written"

# The bomb: its inner cabinet, made here with our own extraction, is
# refused by the default cap before anything is written.
mkdir "$T_TMP/bomb" "$T_TMP/boom"
run "$HVOFFLINE" cab extract -d "$T_TMP/bomb" "$fx/cab/cabextract/cabs/large-files-cab.cab"
expect_rc 0 "extract the 14.7 MB inner cabinet"
run "$HVOFFLINE" --json cab extract -d "$T_TMP/boom" "$T_TMP/bomb/large-files.cab"
expect_rc 4 "6.4 GB of members refused by the default cap"
expect_json '.status == "error" and .files == 0' "JSON: nothing extracted"
expect_eq "$(find "$T_TMP/boom" -mindepth 1 | wc -l)" 0 "nothing written"
run "$HVOFFLINE" cab extract --max-size 100 -d "$T_TMP/boom" "$fx/cab/cabextract/cabs/simple.cab"
expect_rc 4 "--max-size"
run "$HVOFFLINE" cab extract --max-files 1 -d "$T_TMP/boom" "$fx/cab/cabextract/cabs/simple.cab"
expect_rc 4 "--max-files"

# create, then read back with cabextract.
mkdir -p "$T_TMP/src/sub"
printf 'hello\n' >"$T_TMP/src/a.txt"
seq 1 20000 >"$T_TMP/src/sub/n.txt"
for m in none mszip; do
    run "$HVOFFLINE" cab create -m $m -C "$T_TMP/src" "$T_TMP/$m.cab" .
    expect_rc 0 "create -m $m"
    run cabextract -t "$T_TMP/$m.cab"
    expect_rc 0 "cabextract accepts the $m cabinet"
    run "$HVOFFLINE" cab list --json "$T_TMP/$m.cab"
    expect_json '[.files[].name] == ["a.txt", "sub\\n.txt"]' "names with '\\' separators ($m)"
done

# Usage errors exit 2.
run "$HVOFFLINE" cab list
expect_rc 2 "missing argument"
run "$HVOFFLINE" cab create -m lzx "$T_TMP/z.cab" "$T_TMP/src"
expect_rc 2 "unknown method"
run "$HVOFFLINE" cab extract --help
expect_rc 0 "--help"
expect_grep "$T_TMP/out" "max-size" "help documents the caps"

t_finish
