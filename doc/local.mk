# doc/: the man page, written in POD (doc/hvoffline.pod) and turned into
# roff at build time.  Every command must have a section there:
# tests/cli/man-page.sh checks it against `hvoffline --help`.
man_MANS = doc/hvoffline.1
EXTRA_DIST += doc/hvoffline.pod
CLEANFILES += doc/hvoffline.1

doc/hvoffline.1: doc/hvoffline.pod
	$(AM_V_GEN)mkdir -p doc && \
	  $(POD2MAN) --section=1 --center="hvoffline" --release="$(VERSION)" \
	    --name=HVOFFLINE --utf8 $(srcdir)/doc/hvoffline.pod >$@.tmp && mv $@.tmp $@
all-local: doc/hvoffline.1
dist_doc_DATA = doc/firstboot.md doc/fleet.md
EXTRA_DIST += doc/architecture.md
