# Tests of src/trust/: the real cabinets verify, tampered and hostile
# copies are named, the shipped roots are the published ones; and the
# verdicts of `cab test` and `package info` against osslsigncode.
TRUST_TESTS = tests/trust/test_trust
check_PROGRAMS += $(TRUST_TESTS)
TESTS += $(TRUST_TESTS)

TRUST_SH_TESTS = tests/trust/trust-cli.sh tests/trust/trust-timestamp.sh \
	tests/trust/trust-apply.sh tests/trust/trust-choice.sh \
	tests/trust/trust-record.sh
TESTS += $(TRUST_SH_TESTS)
EXTRA_DIST += $(TRUST_SH_TESTS) tests/trust/add-countersig.py tests/trust/sigvalue.py \
	tests/trust/der.py tests/trust/tamper.sh
