# nbdkit/: nbdkit-hvoffline-plugin.so, any VHDX (Hyper-V checkpoints, 4 KiB
# sectors, dirty logs) as an NBD export, on vhdx/.  See nbdkit/plugin.c.
#
# The plugin is loaded into nbdkit, which is not built with the sanitizers:
# an ASan-instrumented plugin would need the ASan runtime preloaded into
# every nbdkit (and into the appliance backend's).  So it is built from its
# own objects of vhdx/ (libc only) without SANITIZER_CFLAGS, with hidden
# visibility, exporting plugin_init alone.  A new vhdx/ source file must be
# added to NBDKIT_VHDX_SOURCES; the -no-undefined link says so if not.
NBDKIT_VHDX_SOURCES = \
	vhdx/bat.c vhdx/check.c vhdx/crc32c.c vhdx/create.c vhdx/error.c \
	vhdx/file.c vhdx/guid.c vhdx/header.c vhdx/io.c vhdx/lock.c \
	vhdx/log.c vhdx/metadata.c vhdx/open.c vhdx/reclaim.c vhdx/stream.c \
	vhdx/txn.c vhdx/write.c \
	src/util/fileio.c src/util/utf.c src/util/exit.c src/util/guid.c \
	src/util/tmpname.c

if HAVE_NBDKIT
nbdkitplugindir = $(NBDKIT_PLUGINDIR)
nbdkitplugin_LTLIBRARIES = nbdkit/nbdkit-hvoffline-plugin.la
nbdkit_nbdkit_hvoffline_plugin_la_SOURCES = \
	nbdkit/plugin.c nbdkit/cmdline.c nbdkit/cmdline.h \
	$(NBDKIT_VHDX_SOURCES)
nbdkit_nbdkit_hvoffline_plugin_la_CFLAGS = -std=gnu11 $(WARN_CFLAGS) \
	$(NBDKIT_CFLAGS) -fvisibility=hidden
nbdkit_nbdkit_hvoffline_plugin_la_LDFLAGS = -module -avoid-version -shared \
	-no-undefined -export-symbols-regex '^plugin_init$$' \
	-rpath $(nbdkitplugindir)
nbdkit_nbdkit_hvoffline_plugin_la_LIBADD = -lpthread

# nbdkit looks for nbdkit-NAME-plugin.so only; libtool's .la is of no use
# in its plugin directory.
install-data-hook: nbdkit-remove-la
nbdkit-remove-la:
	rm -f $(DESTDIR)$(nbdkitplugindir)/nbdkit-hvoffline-plugin.la
endif
EXTRA_DIST += $(NBDKIT_VHDX_SOURCES)

# The man page nbdkit-hvoffline-plugin(1), from POD like hvoffline(1).
man_MANS += doc/nbdkit-hvoffline-plugin.1
EXTRA_DIST += doc/nbdkit-hvoffline-plugin.pod
CLEANFILES += doc/nbdkit-hvoffline-plugin.1
doc/nbdkit-hvoffline-plugin.1: doc/nbdkit-hvoffline-plugin.pod
	$(AM_V_GEN)mkdir -p doc && \
	  $(POD2MAN) --section=1 --center="hvoffline" --release="$(VERSION)" \
	    --name=NBDKIT-HVOFFLINE-PLUGIN --utf8 \
	    $(srcdir)/doc/nbdkit-hvoffline-plugin.pod >$@.tmp && mv $@.tmp $@

# make bench: the export against hvoffline vhdx read (bench/nbdkit.sh).
if HAVE_NBDKIT
BENCH_SCRIPTS += bench/nbdkit.sh
endif
EXTRA_DIST += bench/nbdkit.sh
