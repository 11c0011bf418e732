#!/bin/sh
# The signer's chain is judged at the time of the verified timestamp, as
# Windows judges expired signing certificates, and the code-signing
# purpose is required.  A test PKI is made here (certtool; openssl ca for
# the time-stamping authority, whose certificate OpenSSL wants with a
# critical timeStamping purpose, and with dates in the past), then an
# unsigned re-pack of a real package is signed by osslsigncode with its
# built-in RFC 3161 time-stamping:
#   signer valid 2010-2012, timestamp 2011-06-01  -> trusted, judged 2011
#   the same signer without a timestamp           -> refused (expired now)
#   the same signer, timestamp 2015-01-01         -> refused (not valid then)
#   a signer without the code-signing purpose     -> refused (chain)
#   a timestamp by a TSA of an untrusted root     -> refused (timestamp)
# and the older PKCS#9 (Authenticode) countersignature, which osslsigncode
# makes only through a network server: certtool countersigns the
# signature value, add-countersig.py inserts it (osslsigncode verifies the
# result):
#   a countersignature over the signature value   -> trusted, verified
#   a countersignature over other bytes           -> refused (timestamp)
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools osslsigncode certtool openssl cabextract gcab jq

fx=$(fixtures_dir)
ic="$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab"
mkdir "$T_TMP/x" "$T_TMP/pki" "$T_TMP/pki/ca"
(cd "$T_TMP/x" && cabextract -q "$ic" >/dev/null 2>&1 &&
    gcab -c "$T_TMP/unsigned.cab" $(find . -type f | sed 's|^\./||' | sort))
cd "$T_TMP/pki"

tmpl() { # name cn activation expiration extra...
    n=$1 cn=$2 a=$3 e=$4
    shift 4
    {
        echo "cn = \"$cn\""
        echo "serial = $(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
        echo "activation_date = \"$a\""
        echo "expiration_date = \"$e\""
        for x in "$@"; do echo "$x"; done
    } >"$n.tmpl"
}
key() { certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$1.key" >/dev/null 2>&1; }
tmpl root "hvoffline test root" "2005-01-01 00:00:00" "2045-01-01 00:00:00" ca cert_signing_key
tmpl other "another test root" "2005-01-01 00:00:00" "2045-01-01 00:00:00" ca cert_signing_key
tmpl leaf "expired signer" "2010-01-01 00:00:00" "2012-01-01 00:00:00" signing_key code_signing_key
tmpl tls "tls server" "2010-01-01 00:00:00" "2040-01-01 00:00:00" signing_key tls_www_server
for k in root other leaf tls tsa tsa2; do key $k; done
for r in root other; do
    certtool --generate-self-signed --load-privkey $r.key --template $r.tmpl \
        --outfile $r.pem >/dev/null 2>&1
done
for l in leaf tls; do
    certtool --generate-certificate --load-privkey $l.key --load-ca-certificate root.pem \
        --load-ca-privkey root.key --template $l.tmpl --outfile $l.pem >/dev/null 2>&1
done
: >ca/index.txt
echo 10 >ca/serial
cat >ca.cnf <<'CNF'
[ ca ]
default_ca = test
[ test ]
database = ca/index.txt
serial = ca/serial
new_certs_dir = ca
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
[ tsa ]
extendedKeyUsage = critical,timeStamping
keyUsage = critical,digitalSignature
basicConstraints = CA:FALSE
CNF
tsa() { # key issuer out
    openssl req -new -key "$1.key" -subj "/CN=test tsa $1" -out "$1.csr" 2>/dev/null
    openssl ca -batch -config ca.cnf -extensions tsa -cert "$2.pem" -keyfile "$2.key" \
        -in "$1.csr" -startdate 20100101000000Z -enddate 20400101000000Z \
        -out "$1.pem" -notext >/dev/null 2>&1
    cat "$1.pem" "$2.pem" >"$1-chain.pem"
}
tsa tsa root
tsa tsa2 other
for f in root.pem leaf.pem tls.pem tsa.pem tsa2.pem; do
    [ -s "$f" ] || { echo "FAIL: could not make $f" >&2; exit 1; }
done

sign() { # out signer tsa time
    if [ -n "$3" ]; then
        osslsigncode sign -h sha256 -certs "$2.pem" -key "$2.key" \
            -TSA-certs "$3-chain.pem" -TSA-key "$3.key" -TSA-time "$4" \
            -in "$T_TMP/unsigned.cab" -out "$T_TMP/$1.cab" >/dev/null
    else
        osslsigncode sign -h sha256 -certs "$2.pem" -key "$2.key" \
            -in "$T_TMP/unsigned.cab" -out "$T_TMP/$1.cab" >/dev/null
    fi
}
t2011=1306886400 # 2011-06-01T00:00:00Z
t2015=1420070400 # 2015-01-01T00:00:00Z
sign ts2011 leaf tsa $t2011
sign nots leaf "" ""
sign ts2015 leaf tsa $t2015
sign tlsleaf tls tsa $t2011
sign othertsa leaf tsa2 $t2011

run "$HVOFFLINE" cab test --json --trust root.pem "$T_TMP/ts2011.cab"
expect_rc 0 "expired signer, timestamp inside its validity: accepted"
expect_json '.signature.verdict == "trusted" and .signature.timestamp.verified and .signature.timestamp.time == "2011-06-01T00:00:00Z" and .signature.judged_at == "2011-06-01T00:00:00Z"' \
    "judged at the timestamp"
expect_json '.signature.timestamp.signer == "test tsa tsa" and .signature.root == "hvoffline test root"' \
    "TSA and root named"
osslsigncode verify -in "$T_TMP/ts2011.cab" -CAfile root.pem -TSA-CAfile root.pem \
    >"$T_TMP/oss" 2>&1
expect_eq "$?" 0 "osslsigncode accepts it too"

run "$HVOFFLINE" cab test --json --trust root.pem "$T_TMP/nots.cab"
expect_rc 5 "expired signer without a timestamp: refused"
expect_json '.signature.result == "chain" and .signature.timestamp.kind == "none"' \
    "named chain, no timestamp"
expect_grep "$T_TMP/err" "'expired signer' was not valid at" "says the certificate was not valid"

run "$HVOFFLINE" cab test --json --trust root.pem "$T_TMP/ts2015.cab"
expect_rc 5 "timestamp after the signer expired: refused"
expect_json '.signature.result == "chain" and .signature.timestamp.verified and .signature.judged_at == "2015-01-01T00:00:00Z"' \
    "judged at the 2015 timestamp"

run "$HVOFFLINE" cab test --json --trust root.pem "$T_TMP/tlsleaf.cab"
expect_rc 5 "signer without the code-signing purpose: refused"
expect_json '.signature.result == "chain"' "named chain"

run "$HVOFFLINE" cab test --json --trust root.pem "$T_TMP/othertsa.cab"
expect_rc 5 "timestamp by an untrusted TSA: refused"
expect_json '.signature.result == "timestamp" and (.signature.timestamp.verified | not)' \
    "named timestamp"
run "$HVOFFLINE" cab test --json --trust root.pem --allow-unsigned "$T_TMP/othertsa.cab"
expect_rc 5 "--allow-unsigned does not waive a bad timestamp"
run "$HVOFFLINE" cab test --json --trust root.pem --trust other.pem "$T_TMP/othertsa.cab"
expect_rc 0 "with the TSA's root trusted too: accepted"

# ---- PKCS#9 countersignatures (signing time: now) ----
tmpl now "current signer" "2020-01-01 00:00:00" "2045-01-01 00:00:00" signing_key code_signing_key
tmpl cs "countersigner" "2020-01-01 00:00:00" "2045-01-01 00:00:00" signing_key time_stamping_key
for k in now cs; do
    key $k
    certtool --generate-certificate --load-privkey $k.key --load-ca-certificate root.pem \
        --load-ca-privkey root.key --template $k.tmpl --outfile $k.pem >/dev/null 2>&1
done
certtool --certificate-info --infile cs.pem --outder --outfile cs.der >/dev/null 2>&1
sign plain now "" ""
python3 "$HVO_TOP_SRCDIR/tests/trust/sigvalue.py" "$T_TMP/plain.cab" sv.bin
countersign() { # content out
    certtool --p7-sign --p7-detached --p7-time --hash sha256 --load-privkey cs.key \
        --load-certificate cs.pem --infile "$1" --outder --outfile "$2.p7" >/dev/null 2>&1
    python3 "$HVO_TOP_SRCDIR/tests/trust/add-countersig.py" "$T_TMP/plain.cab" "$2.p7" \
        "$T_TMP/$2.cab" cs.der
}
countersign sv.bin pkcs9
printf 'not the signature value' >other.bin
countersign other.bin pkcs9bad
run "$HVOFFLINE" cab test --json --trust root.pem "$T_TMP/pkcs9.cab"
expect_rc 0 "PKCS#9 countersignature: accepted"
expect_json '.signature.timestamp.kind == "authenticode" and .signature.timestamp.verified and .signature.timestamp.signer == "countersigner" and .signature.judged_at == .signature.timestamp.time' \
    "PKCS#9 countersignature verified, chain judged at its time"
osslsigncode verify -in "$T_TMP/pkcs9.cab" -CAfile root.pem -TSA-CAfile root.pem >"$T_TMP/oss" 2>&1
expect_eq "$?" 0 "osslsigncode verifies the PKCS#9 countersignature too"
run "$HVOFFLINE" cab test --json --trust root.pem "$T_TMP/pkcs9bad.cab"
expect_rc 5 "PKCS#9 countersignature over other bytes: refused"
expect_json '.signature.result == "timestamp"' "named timestamp"

t_finish
