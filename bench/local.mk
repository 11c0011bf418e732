# bench/: benchmarks against the peer tools (cabextract, qemu-img,
# guestfish/virt-customize), run on demand with `make bench`, never by
# `make check` (timings are not tests).  Each script runs our tool and the
# peer in the same run on the same inputs and prints the ratio; a module
# registers its script here with BENCH_SCRIPTS += bench/NAME.sh.
# BENCH_SCRIPTS is initialised in Makefile.am, before the module fragments
# that append to it are included.
# Automake takes any *_SCRIPTS as an installable primary and refuses one
# without a directory; an empty directory makes its install rule a no-op
# (`test -n "$(BENCHdir)" || list=`), so benchmarks are never installed.
BENCHdir =
EXTRA_DIST += bench/README.md bench/lib.sh

bench: all
	@set -e; for s in $(BENCH_SCRIPTS); do \
	  echo "== $$s"; \
	  HVO_TOP_SRCDIR='$(abs_top_srcdir)' HVO_TOP_BUILDDIR='$(abs_top_builddir)' \
	  HVOFFLINE='$(abs_top_builddir)/hvoffline' $(SHELL) $(srcdir)/$$s; \
	done
.PHONY: bench
