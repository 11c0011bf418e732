# The structure rules of STYLE.md, checked on every `make check`
# (tools/check-structure.py; see doc/architecture.md).  The check reads the
# objects of libhvo_internal, so it runs after the library is built.
STRUCTURE_TESTS = tests/structure/layout.sh
TESTS += $(STRUCTURE_TESTS)
EXTRA_DIST += $(STRUCTURE_TESTS) tools/check-structure.py \
	tools/structure-allow.txt
tests/structure/layout.log: libhvo_internal.la
