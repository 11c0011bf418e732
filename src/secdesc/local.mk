# src/secdesc: Windows security descriptors -- SDDL, the self-relative
# binary form NTFS stores (system.ntfs_acl), and Windows' inheritance
# rules for new files and directories.  Depends on nothing but util/.
libhvo_internal_la_SOURCES += \
	%reldir%/sd.h %reldir%/internal.h \
	%reldir%/error.c \
	%reldir%/model.c \
	%reldir%/sid.c \
	%reldir%/sddl.c \
	%reldir%/binary.c \
	%reldir%/inherit.c
pkginclude_HEADERS += %reldir%/sd.h
