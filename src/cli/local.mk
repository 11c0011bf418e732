# src/cli: the hvoffline program.  It links the internal convenience
# library statically: one self-contained binary for deployment machines,
# and no libtool wrapper script between the tests (and sanitizers) and the
# real executable.
bin_PROGRAMS += hvoffline
hvoffline_SOURCES = \
	%reldir%/cli.h \
	%reldir%/commands.c %reldir%/commands.h \
	%reldir%/diag.c %reldir%/progress.c \
	%reldir%/main.c \
	%reldir%/options.c \
	%reldir%/output.c %reldir%/output.h \
	%reldir%/trust_check.c \
	%reldir%/cmd_doctor.c \
	%reldir%/cmd_cab.c \
	%reldir%/cmd_package.c \
	%reldir%/cmd_reg.c %reldir%/cmd_reg.h %reldir%/cmd_reg_show.c %reldir%/cmd_reg_help.c \
	%reldir%/cmd_vhdx.c \
	%reldir%/cmd_inspect.c \
	%reldir%/cmd_apply.c \
	%reldir%/cmd_services.c \
	%reldir%/cmd_reg_image.c \
	%reldir%/cmd_rollback.c \
	%reldir%/manage.c %reldir%/manage.h \
	%reldir%/lazy.c %reldir%/lazy.h \
	%reldir%/guestfs_lazy.c \
	%reldir%/xml_lazy.c
hvoffline_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
# Everything but libguestfs and libxml2, which guestfs_lazy.c and
# xml_lazy.c load on first use (~40 ms and 17 MB, and ~2 ms, per process;
# most commands need neither).
hvoffline_LDADD = libhvo_internal.la $(HIVEX_LIBS) $(ZLIB_LIBS) \
	$(NETTLE_LIBS) $(NTFS3G_LIBS) $(SECCOMP_LIBS) $(EXT2FS_LIBS) $(SQLITE_LIBS) $(DLOPEN_LIBS) \
	$(TIRPC_SANITIZER_LIBS)
EXTRA_DIST += %reldir%/guestfs_syms.def %reldir%/xml_syms.def
