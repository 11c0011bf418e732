# src/guest: access to a guest's disks and filesystems (guest.h), the
# libguestfs appliance launch, and the small native readers that inspection
# runs on bytes read from the guest (PE images, volume probes).
libhvo_internal_la_SOURCES += \
	%reldir%/guest.h %reldir%/guest_int.h \
	%reldir%/fs.c \
	%reldir%/hostdir.c \
	%reldir%/native_int.h \
	%reldir%/native_io.c %reldir%/native_dev.c %reldir%/native_path.c \
	%reldir%/native_fs.c %reldir%/native_write.c %reldir%/native_disk.c \
	%reldir%/native_sd.c \
	%reldir%/native_session.c %reldir%/native_session.h \
	%reldir%/native_ext.c %reldir%/native_ext.h \
	%reldir%/native_xfs.c %reldir%/native_xfs.h %reldir%/native_xfs_int.h \
	%reldir%/native_xfs_core.c %reldir%/native_xfs_dir.c \
	%reldir%/native_ro.c %reldir%/native_ro.h \
	%reldir%/sandbox.c %reldir%/sandbox.h \
	%reldir%/session.c \
	%reldir%/appliance.c %reldir%/appliance_int.h \
	%reldir%/appliance_disk.c \
	%reldir%/appliance_fs.c \
	%reldir%/appliance_hash.c \
	%reldir%/appliance_nbdkit.c %reldir%/appliance_nbdkit.h \
	%reldir%/appliance_path.c \
	%reldir%/image.c %reldir%/image.h \
	%reldir%/iso9660.c %reldir%/iso9660.h %reldir%/iso9660_int.h \
	%reldir%/iso9660_tree.c %reldir%/iso9660_fs.c \
	%reldir%/launch.c %reldir%/launch.h \
	%reldir%/pe.c %reldir%/pe.h \
	%reldir%/ptable.c %reldir%/ptable.h \
	%reldir%/volume.c %reldir%/volume.h
