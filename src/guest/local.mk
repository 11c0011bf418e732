# src/guest: access to a guest's filesystem (libguestfs appliance).
libhvo_internal_la_SOURCES += \
	%reldir%/launch.c %reldir%/launch.h
