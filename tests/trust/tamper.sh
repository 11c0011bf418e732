# tamper.sh - tampered copies of a signed cabinet, for the shell tests of
# tests/trust (sourced; needs od, dd and openssl).

# flip_signature CAB OUT: OUT is CAB with one byte of its SignerInfo's
# signature value flipped (the 256-byte OCTET STRING at depth 5 of the
# PKCS#7 blob the header reserve points to, found with openssl asn1parse).
# Fails when the value is not found.
flip_signature() {
    cp "$1" "$2" && chmod u+w "$2" || return 1
    _off=$(od -An -tu4 -j44 -N4 "$1" | tr -d ' ')
    _len=$(od -An -tu4 -j48 -N4 "$1" | tr -d ' ')
    dd if="$1" of="$2.der" bs=1 skip="$_off" count="$_len" 2>/dev/null
    _vo=$(openssl asn1parse -inform der -in "$2.der" 2>/dev/null |
        sed -n 's/^ *\([0-9]*\):d=5 *hl=\([0-9]*\) *l= *256 prim: OCTET STRING.*/\1 \2/p' | head -1)
    rm -f "$2.der"
    [ -n "$_vo" ] || return 1
    set -- "$1" "$2" $_vo
    _pos=$((_off + $3 + $4 + 100))
    _b=$(od -An -tu1 -j"$_pos" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((_b ^ 1)))" |
        dd of="$2" bs=1 seek="$_pos" conv=notrunc 2>/dev/null
}
