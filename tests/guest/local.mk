# Guest-layer tests.  launch-fallback.sh launches the real appliance.
GUEST_SH_TESTS = tests/guest/launch-fallback.sh tests/guest/launch-hang.sh
TESTS += $(GUEST_SH_TESTS)
EXTRA_DIST += $(GUEST_SH_TESTS)
