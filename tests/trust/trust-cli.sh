#!/bin/sh
# Signature verdicts of `hvoffline cab test` and `hvoffline package info`:
# both real integration-services cabinets verify (signer "Microsoft
# Windows", chain to "Microsoft Root Certificate Authority 2010", timestamp
# verified); a copy with one byte of the header's set ID changed, a copy
# with one byte of the signature value flipped, and an unsigned re-pack
# (cabextract, then gcab -c) exit 5, the re-pack accepted with
# --allow-unsigned only (and loudly).  osslsigncode, an independent
# implementation, must agree on each.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools osslsigncode cabextract gcab jq openssl

fx=$(fixtures_dir)
roots="$HVO_TOP_SRCDIR/data/trust"
for cab in "$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab" \
    "$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab"; do
    n=$(basename "$cab")
    run "$HVOFFLINE" cab test --json "$cab"
    expect_rc 0 "$n: cab test"
    expect_json '.signature.verdict == "trusted" and .signature.signer == "Microsoft Windows"' \
        "$n: cab test: trusted, signer Microsoft Windows"
    expect_json '.signature.root == "Microsoft Root Certificate Authority 2010" and .signature.chain_trusted' \
        "$n: cab test: chain to Microsoft Root Certificate Authority 2010"
    expect_json '.signature.timestamp.verified and .signature.timestamp.kind == "rfc3161"' \
        "$n: cab test: timestamp verified"
    # osslsigncode's digest is ours.
    want=$(osslsigncode verify -in "$cab" 2>/dev/null |
        sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' | head -1 |
        tr 'A-F' 'a-f')
    expect_json ".signature.digest.computed == \"$want\" and .signature.digest.match" \
        "$n: our digest is osslsigncode's"
    run "$HVOFFLINE" package info --json "$cab"
    expect_rc 0 "$n: package info"
    expect_json '.signature.verdict == "trusted" and .signature.signer == "Microsoft Windows" and .signature.root == "Microsoft Root Certificate Authority 2010" and .signature.timestamp.verified' \
        "$n: package info --json: signer, chain, timestamp"
    run "$HVOFFLINE" cab test "$cab"
    expect_grep "$T_TMP/out" '^signature:  trusted' "$n: text verdict"
    expect_grep "$T_TMP/out" 'Microsoft Root Certificate Authority 2010 (trusted root)' \
        "$n: text chain"
done

ic="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"

# One byte of the set ID (cabinet offset 32) changed: extraction still
# works, the digest does not match.
cp "$ic" "$T_TMP/setid.cab"
chmod u+w "$T_TMP/setid.cab"
printf '\125' | dd of="$T_TMP/setid.cab" bs=1 seek=32 conv=notrunc 2>/dev/null
cabextract -t "$T_TMP/setid.cab" >/dev/null 2>&1
expect_rc_of=$?
expect_eq "$expect_rc_of" 0 "set ID changed: cabextract still tests it"
osslsigncode verify -in "$T_TMP/setid.cab" >"$T_TMP/oss" 2>&1 || true
expect_grep "$T_TMP/oss" 'MISMATCH' "set ID changed: osslsigncode reports the digest mismatch"
sum=$(sha256sum "$T_TMP/setid.cab")
run "$HVOFFLINE" cab test "$T_TMP/setid.cab"
expect_rc 5 "set ID changed: cab test exits 5"
expect_grep "$T_TMP/err" 'setid.cab: signature tampered: digest mismatch' \
    "set ID changed: the error names the digest"
run "$HVOFFLINE" package info --json "$T_TMP/setid.cab"
expect_rc 5 "set ID changed: package info exits 5"
expect_json '.signature.result == "digest" and .signature.verdict == "tampered"' \
    "set ID changed: JSON names the digest"
run "$HVOFFLINE" package info --allow-unsigned "$T_TMP/setid.cab"
expect_rc 5 "set ID changed: --allow-unsigned does not accept a tampered package"
expect_eq "$(sha256sum "$T_TMP/setid.cab")" "$sum" "the cabinet is left as it was"

# One byte of the SignerInfo's signature value flipped.
. "$HVO_TOP_SRCDIR/tests/trust/tamper.sh"
flip_signature "$ic" "$T_TMP/sig.cab"
expect_eq "$?" 0 "the signature value is found in the SignerInfo"
expect_eq "$(cmp -l "$ic" "$T_TMP/sig.cab" | wc -l)" 1 "sig.cab differs in one byte"
osslsigncode verify -in "$T_TMP/sig.cab" -CAfile "$roots/microsoft-root-ca-2010.pem" \
    >"$T_TMP/oss" 2>&1 && t_fail "osslsigncode accepts the flipped signature" ||
    t_pass "osslsigncode refuses the flipped signature"
run "$HVOFFLINE" cab test --json "$T_TMP/sig.cab"
expect_rc 5 "signature flipped: cab test exits 5"
expect_json '.signature.result == "signature"' "signature flipped: names the signature"
run "$HVOFFLINE" package info "$T_TMP/sig.cab"
expect_rc 5 "signature flipped: package info exits 5"
expect_grep "$T_TMP/err" 'does not verify' "signature flipped: says so"

# An unsigned re-pack: refused, then accepted loudly with --allow-unsigned.
mkdir "$T_TMP/x"
(cd "$T_TMP/x" && cabextract -q "$ic" >/dev/null 2>&1 &&
    gcab -c "$T_TMP/repack.cab" $(find . -type f | sed 's|^\./||' | sort))
run "$HVOFFLINE" cab test "$T_TMP/repack.cab"
expect_rc 5 "unsigned re-pack: cab test exits 5"
expect_grep "$T_TMP/err" 'signature unsigned' "unsigned re-pack: named unsigned"
run "$HVOFFLINE" package info --json "$T_TMP/repack.cab"
expect_rc 5 "unsigned re-pack: package info exits 5"
expect_json '.signature.verdict == "unsigned" and (.signature.accepted | not)' \
    "unsigned re-pack: JSON verdict"
run "$HVOFFLINE" package info --json --allow-unsigned "$T_TMP/repack.cab"
expect_rc 0 "unsigned re-pack: accepted with --allow-unsigned"
expect_json '.signature.verdict == "unsigned" and .signature.accepted and .signature.allow_unsigned' \
    "unsigned re-pack: JSON says it was let through"
expect_grep "$T_TMP/err" 'ACCEPTED only because of --allow-unsigned' \
    "unsigned re-pack: a loud warning"

# An untrusted root: the demo package (signed by its test root at build
# time) without --trust, then with it.
demo="$HVO_TOP_BUILDDIR/tests/fixtures/icpkg/Hvoffline-Demo-x64.cab"
if [ -f "$demo" ]; then
    run "$HVOFFLINE" cab test --json "$demo"
    expect_rc 5 "demo package without --trust: untrusted"
    expect_json '.signature.verdict == "untrusted"' "demo: verdict untrusted"
    run "$HVOFFLINE" cab test --json --allow-unsigned "$demo"
    expect_rc 0 "demo package: --allow-unsigned accepts untrusted"
    run "$HVOFFLINE" cab test --json --trust "${demo%.cab}-root.pem" "$demo"
    expect_rc 0 "demo package with --trust"
    expect_json '.signature.verdict == "trusted" and .signature.signer == "hvoffline demo package signer" and .signature.timestamp.kind == "none"' \
        "demo: trusted through its test root, no timestamp"
    osslsigncode verify -in "$demo" -CAfile "${demo%.cab}-root.pem" >"$T_TMP/oss" 2>&1
    expect_eq "$?" 0 "osslsigncode verifies the demo package with the test root"
fi

run "$HVOFFLINE" cab test --trust "$T_TMP/nonexistent.pem" "$ic"
expect_rc 1 "an unreadable --trust root fails (exit 1)"
expect_grep "$T_TMP/err" 'nonexistent.pem' "names the root file"

t_finish
