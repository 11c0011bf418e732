/*
 * native_session.h - guest_session on the native backend (internal): the
 * same calls as guest_session_* in guest.h, for the session front to
 * dispatch to.  See native_session.c.
 */
#ifndef HVO_GUEST_NATIVE_SESSION_H
#define HVO_GUEST_NATIVE_SESSION_H

#include "guest/guest.h"
#include "guest/ptable.h"

struct native_session;

/* NULL only when out of memory; @opts may be NULL. */
struct native_session *native_int_session_new(
	const struct guest_session_opts *opts);
const char *native_int_session_errmsg(const struct native_session *s);
int native_int_session_add(struct native_session *s, const char *path,
			   const char *format, bool readonly, const char *name);
int native_int_session_set_size(struct native_session *s, int disk,
				uint64_t size);
int native_int_session_set_head(struct native_session *s, int disk,
				const struct guest_disk_head *head);
/* Opens every image (vhdx/: chains, dirty logs, 4 KiB sectors) and reads
 * its partition table; GUEST_E_LAUNCH naming the image that failed. */
int native_int_session_launch(struct native_session *s);
const struct guest_launch_result *native_int_session_launch_result(
	const struct native_session *s);
/* Always 0: this backend launches no appliance. */
unsigned native_int_session_launches(const struct native_session *s);
size_t native_int_session_ndisks(const struct native_session *s);
struct guest_disk *native_int_session_disk(struct native_session *s, size_t i);
/* Unmounts every volume and closes every image (flushing writes). */
int native_int_session_shutdown(struct native_session *s);
void native_int_session_close(struct native_session *s);

#endif /* HVO_GUEST_NATIVE_SESSION_H */
