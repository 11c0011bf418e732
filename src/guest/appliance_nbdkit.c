/*
 * appliance_nbdkit.c - the appliance reads VHDX through our nbdkit plugin.
 *
 * qemu cannot open a differencing VHDX (a Hyper-V checkpoint), refuses
 * 4 KiB logical sectors, and cannot open a dirty-log VHDX read-only.
 * nbdkit-hvoffline-plugin (nbdkit/) serves all of them through vhdx/, so
 * the appliance attaches a VHDX as a raw NBD drive on a Unix socket
 * (libguestfs: protocol "nbd", server "unix:SOCKET"), with the image's
 * logical sector size as the drive's block size.  The safety rules are
 * the plugin's: parents are never written (vhdx/ opens them read-only),
 * a read-only drive's nbdkit opens the image read-only (a dirty log is
 * replayed in memory), and nbdkit holds the image lock while it runs.
 * libguestfs puts its throw-away overlay over a read-only drive, as for
 * any other.
 *
 * nbdkit runs in the foreground as our child, with --exit-with-parent so
 * that it never outlives us, and is stopped with SIGTERM after the
 * appliance has shut down (its qemu flushed the drive): the plugin then
 * flushes and closes the image (log cleared, lock released).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest/appliance_nbdkit.h"
#include "guest/guest.h"
#include "vhdx/vhdx.h"

#ifndef HVO_NBDKIT_PLUGIN
#define HVO_NBDKIT_PLUGIN "nbdkit-hvoffline-plugin.so"
#endif

/* How long nbdkit may take to open the image and listen (a chain of
 * large images with dirty logs to replay in memory), and to exit. */
#define NBD_START_TIMEOUT_MS 60000
#define NBD_STOP_TIMEOUT_MS  60000
#define NBD_POLL_MS	     10

const char *guest_int_nbd_plugin(void)
{
	const char *p = getenv("HVOFFLINE_NBDKIT_PLUGIN");
	return p && *p ? p : HVO_NBDKIT_PLUGIN;
}

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char buf[4096];
		if (n > 0 && n + strlen(prog) + 2 <= sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path,
				 prog);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

bool guest_int_nbd_available(void)
{
	const char *off = getenv("HVOFFLINE_NBDKIT");
	if (off != NULL && strcmp(off, "0") == 0)
		return false;
	return access(guest_int_nbd_plugin(), R_OK) == 0 && on_path("nbdkit");
}

bool guest_appliance_serves_vhdx(void)
{
	return guest_int_nbd_available();
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The first line of nbdkit's stderr, for a message. */
static void read_err(const char *dir, char *err, size_t errlen,
		     const char *path)
{
	char file[300], line[400] = "";
	snprintf(file, sizeof(file), "%s/nbdkit.err", dir);
	FILE *f = fopen(file, "re");
	if (f != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	snprintf(err, errlen, "%s: nbdkit did not serve the image: %s", path,
		 line[0] ? line : "it exited");
}

static void remove_dir(struct guest_nbd *x)
{
	char file[300];
	snprintf(file, sizeof(file), "%s/nbdkit.err", x->dir);
	unlink(file);
	unlink(x->sock);
	rmdir(x->dir);
}

int guest_int_nbd_start(struct guest_nbd *x, const char *path, bool readonly,
			char *err, size_t errlen)
{
	memset(x, 0, sizeof(*x));
	x->readonly = readonly;
	/* The sector size the drive must show: read from the image, which
	 * nobody may hold for writing now (nbdkit is about to). */
	struct vhdx_image *img;
	struct vhdx_error verr;
	if (vhdx_open(path, VHDX_OPEN_NO_PARENT, NULL, &img, &verr) !=
	    VHDX_OK) {
		snprintf(err, errlen, "%s: %s", path, verr.msg);
		return -1;
	}
	struct vhdx_info info;
	vhdx_get_info(img, &info);
	vhdx_close(img, NULL);
	x->logical_sector_size = info.logical_sector_size;

	const char *tmp = getenv("TMPDIR");
	snprintf(x->dir, sizeof(x->dir), "%s/hvoffline-nbd.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(x->dir) == NULL) {
		snprintf(err, errlen,
			 "%s: cannot create a socket directory: %s", x->dir,
			 strerror(errno));
		return -1;
	}
	snprintf(x->sock, sizeof(x->sock), "%s/nbd.sock", x->dir);
	char errfile[300], file_arg[4200];
	snprintf(errfile, sizeof(errfile), "%s/nbdkit.err", x->dir);
	if ((size_t)snprintf(file_arg, sizeof(file_arg), "file=%s", path) >=
	    sizeof(file_arg)) {
		snprintf(err, errlen, "%s: path too long", path);
		remove_dir(x);
		return -1;
	}
	char *argv[] = { "nbdkit",
			 "-f",
			 "--exit-with-parent",
			 "-U",
			 x->sock,
			 (char *)guest_int_nbd_plugin(),
			 file_arg,
			 readonly ? "readonly=true" : "readonly=false",
			 NULL };
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		remove_dir(x);
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int e = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		if (e >= 0) {
			dup2(e, STDOUT_FILENO);
			dup2(e, STDERR_FILENO);
		}
		execvp("nbdkit", argv);
		_exit(127);
	}
	x->pid = pid;
	for (long waited = 0;; waited += NBD_POLL_MS) {
		struct stat st;
		if (stat(x->sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			x->pid = 0;
			read_err(x->dir, err, errlen, path);
			remove_dir(x);
			return -1;
		}
		if (waited >= NBD_START_TIMEOUT_MS) {
			guest_int_nbd_stop(x);
			snprintf(err, errlen,
				 "%s: nbdkit did not listen within %d s", path,
				 NBD_START_TIMEOUT_MS / 1000);
			return -1;
		}
		sleep_ms(NBD_POLL_MS);
	}
}

int guest_int_nbd_add_drive(guestfs_h *g, const struct guest_nbd *x)
{
	char server[320];
	snprintf(server, sizeof(server), "unix:%s", x->sock);
	char *servers[] = { server, NULL };
	return guestfs_add_drive_opts(g, "", GUESTFS_ADD_DRIVE_OPTS_FORMAT,
				      "raw", GUESTFS_ADD_DRIVE_OPTS_PROTOCOL,
				      "nbd", GUESTFS_ADD_DRIVE_OPTS_SERVER,
				      servers, GUESTFS_ADD_DRIVE_OPTS_READONLY,
				      x->readonly ? 1 : 0,
				      GUESTFS_ADD_DRIVE_OPTS_BLOCKSIZE,
				      (int)x->logical_sector_size, -1);
}

int guest_int_nbd_stop(struct guest_nbd *x)
{
	int rc = 0;
	if (x->pid > 0) {
		kill(x->pid, SIGTERM);
		int status = 0;
		long waited = 0;
		pid_t r;
		while ((r = waitpid(x->pid, &status, WNOHANG)) == 0 &&
		       waited < NBD_STOP_TIMEOUT_MS) {
			sleep_ms(NBD_POLL_MS);
			waited += NBD_POLL_MS;
		}
		if (r == 0) {
			kill(x->pid, SIGKILL);
			waitpid(x->pid, &status, 0);
			rc = -1;
		} else if (r == x->pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		x->pid = 0;
	}
	if (x->dir[0] != '\0') {
		remove_dir(x);
		x->dir[0] = '\0';
	}
	return rc;
}
