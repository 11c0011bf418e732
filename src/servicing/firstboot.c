/*
 * firstboot.c - the step that lets Windows' own servicing finish the
 * package at the next boot (doc/firstboot.md has the reasoning and the
 * sources).
 *
 * DISM leaves an offline Add-Package "install pending"; Windows completes
 * it when the image boots.  We install the files and registry values
 * ourselves, then run the documented online path once, at first boot:
 *
 *   DISM /Online /Add-Package /PackagePath:<staged cab> /Quiet /NoRestart
 *
 * (pkgmgr /ip on Vista and Server 2008, which have no dism.exe), as
 * SYSTEM, before anyone logs on, with nothing but what Windows ships.
 *
 * The hook is Winlogon's setup command line: when HKLM\SYSTEM\Setup
 * SetupType is non-zero, Winlogon runs CmdLine as SYSTEM before the logon
 * screen and waits for it (KB939857; ConfigMgr and MDT resume task
 * sequences this way).  SetupType 2 runs it and then shows the logon
 * screen; 1 would put LSA into setup mode.  Nobody resets the values but
 * the command itself, so the script does that first of all: a hang or a
 * power cut can never make it run twice or loop.
 *
 * An image that is in the middle of Windows Setup (sysprepped: CmdLine is
 * oobe\windeploy.exe) must keep its own command line.  There the script
 * is called from %SystemRoot%\Setup\Scripts\SetupComplete.cmd, which
 * Windows Setup runs as SYSTEM at the end of OOBE, before the logon
 * screen: a wrapper calls our script, then the image's own SetupComplete
 * (kept under another name) if it had one.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servicing/plan_int.h"
#include "util/sha256.h"

#define SETUPCOMPLETE_DIR  "Setup\\Scripts"
#define SETUPCOMPLETE	   "SetupComplete.cmd"
#define SETUPCOMPLETE_ORIG "SetupComplete.hvoffline-orig.cmd"

const char *svc_firstboot_name(enum svc_firstboot_kind k)
{
	switch (k) {
	case SVC_FIRSTBOOT_SETUP_CMDLINE:
		return "setup-cmdline";
	case SVC_FIRSTBOOT_SETUPCOMPLETE:
		return "setupcomplete";
	default:
		return "none";
	}
}

/* A guest path under the system root as the script names it:
 * "Windows\hvoffline\x" -> "%SystemRoot%\hvoffline\x". */
static char *script_path(const struct svc_plan *p, const char *guest)
{
	size_t n = strlen(p->systemroot);
	char *s = NULL;
	if (strncasecmp(guest, p->systemroot, n) == 0 && guest[n] == '\\') {
		if (asprintf(&s, "%%SystemRoot%%%s", guest + n) < 0)
			s = NULL;
	} else if (asprintf(&s, "%%SystemDrive%%\\%s", guest) < 0) {
		s = NULL;
	}
	return s;
}

struct text {
	char *s;
	size_t len, cap;
	bool oom;
};

/* Appends a line with the CRLF that cmd.exe expects. */
static void line(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *l;
	va_start(ap, fmt);
	int r = vasprintf(&l, fmt, ap);
	va_end(ap);
	if (r < 0) {
		t->oom = true;
		return;
	}
	size_t need = t->len + (size_t)r + 3;
	if (need > t->cap) {
		size_t cap = need * 2;
		char *n = realloc(t->s, cap);
		if (n == NULL) {
			free(l);
			t->oom = true;
			return;
		}
		t->s = n;
		t->cap = cap;
	}
	memcpy(t->s + t->len, l, (size_t)r);
	t->len += (size_t)r;
	memcpy(t->s + t->len, "\r\n", 3);
	t->len += 2;
	free(l);
}

char *svc_firstboot_script(const struct svc_plan *p,
			   enum svc_firstboot_kind kind)
{
	struct text t = { 0 };
	char *cab = script_path(p, p->staged_cab);
	char *logdir = script_path(p, p->log_dir);
	if (cab == NULL || logdir == NULL) {
		free(cab);
		free(logdir);
		return NULL;
	}
	line(&t, "@echo off");
	line(&t, SVC_FIRSTBOOT_MARKER ": completes the offline install of");
	line(&t, "rem %s", p->package_id);
	line(&t, "rem through Windows' own servicing, once.  See "
		 "hvoffline's doc/firstboot.md.");
	line(&t, "setlocal");
	line(&t, "set \"HVO_PKG=%s\"", cab);
	line(&t, "set \"HVO_LOGDIR=%s\"", logdir);
	line(&t, "set \"HVO_LOG=%%HVO_LOGDIR%%\\firstboot.log\"");
	line(&t, "if not exist \"%%HVO_LOGDIR%%\" md \"%%HVO_LOGDIR%%\"");
	line(&t, "echo %%DATE%% %%TIME%% start: %s (%s)>>\"%%HVO_LOG%%\"",
	     p->package_id, svc_firstboot_name(kind));
	if (kind == SVC_FIRSTBOOT_SETUP_CMDLINE) {
		line(&t, "rem Unhook first: the step must never run twice.");
		line(&t, "reg add \"HKLM\\SYSTEM\\Setup\" /v CmdLine /t REG_SZ "
			 "/d \"\" /f >>\"%%HVO_LOG%%\" 2>&1");
		line(&t, "reg add \"HKLM\\SYSTEM\\Setup\" /v SetupType /t "
			 "REG_DWORD /d 0 /f >>\"%%HVO_LOG%%\" 2>&1");
	}
	line(&t, "if exist \"%%SystemRoot%%\\System32\\dism.exe\" (");
	line(&t, "  echo %%DATE%% %%TIME%% dism /Online /Add-Package "
		 "/PackagePath:\"%%HVO_PKG%%\">>\"%%HVO_LOG%%\"");
	line(&t,
	     "  \"%%SystemRoot%%\\System32\\dism.exe\" /Online /Add-Package "
	     "/PackagePath:\"%%HVO_PKG%%\" /Quiet /NoRestart "
	     "/LogPath:\"%%HVO_LOGDIR%%\\dism.log\"");
	line(&t, ") else (");
	line(&t, "  echo %%DATE%% %%TIME%% pkgmgr /ip /m:\"%%HVO_PKG%%\">>"
		 "\"%%HVO_LOG%%\"");
	line(&t, "  start \"\" /w \"%%SystemRoot%%\\System32\\pkgmgr.exe\" /ip "
		 "/m:\"%%HVO_PKG%%\" /quiet /norestart "
		 "/l:\"%%HVO_LOGDIR%%\\pkgmgr.log\"");
	line(&t, ")");
	line(&t, "set HVO_RC=%%ERRORLEVEL%%");
	line(&t, "set \"HVO_RESULT=failed\"");
	line(&t, "if \"%%HVO_RC%%\"==\"0\" set \"HVO_RESULT=installed\"");
	line(&t, "if \"%%HVO_RC%%\"==\"3010\" set "
		 "\"HVO_RESULT=installed-restart-required\"");
	line(&t, "if \"%%HVO_RC%%\"==\"-2146498530\" set "
		 "\"HVO_RESULT=not-applicable\"");
	line(&t, "echo %%DATE%% %%TIME%% done: exit=%%HVO_RC%% "
		 "result=%%HVO_RESULT%%>>\"%%HVO_LOG%%\"");
	if (kind == SVC_FIRSTBOOT_SETUP_CMDLINE) {
		line(&t, "rem Remove this script: leave the batch context, "
			 "then delete it.");
		line(&t, "(goto) 2>nul & del \"%%~f0\"");
	} else {
		line(&t, "exit /b %%HVO_RC%%");
	}
	free(cab);
	free(logdir);
	if (t.oom) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

/* The SetupComplete.cmd wrapper of a generalized image. */
static char *setupcomplete_wrapper(const struct svc_plan *p)
{
	struct text t = { 0 };
	char *script = script_path(p, p->firstboot_script);
	if (script == NULL)
		return NULL;
	line(&t, "@echo off");
	line(&t, SVC_FIRSTBOOT_MARKER ": Windows Setup runs this at the end");
	line(&t, "rem of OOBE, as SYSTEM.  See hvoffline's doc/firstboot.md.");
	line(&t, "if exist \"%s\" (", script);
	line(&t, "  call \"%s\" /setupcomplete", script);
	line(&t, "  del \"%s\" >nul 2>&1", script);
	line(&t, ")");
	line(&t, "rem The image's own SetupComplete.cmd, if it had one:");
	line(&t, "if exist \"%%~dp0" SETUPCOMPLETE_ORIG
		 "\" call \"%%~dp0" SETUPCOMPLETE_ORIG "\"");
	free(script);
	if (t.oom) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

static void add_text_file(struct plan_build *b, const char *dest,
			  enum svc_file_role role, char *text,
			  const char *origin)
{
	if (svc_int_plan_own(b, text) == NULL)
		return;
	struct svc_plan_file f = {
		.dest = svc_int_plan_strdup(b, dest),
		.source = SVC_SRC_TEXT,
		.role = role,
		.text = (uint8_t *)text,
		.text_len = strlen(text),
		.has_sha256 = true,
		.size = strlen(text),
		.origin = svc_int_plan_strdup(b, origin),
	};
	hvo_int_sha256_buf(f.text, f.text_len, f.sha256);
	if (!b->oom)
		svc_int_plan_add_file(b, &f);
}

/*
 * Whether Winlogon's hook is free: no setup pass pending (SetupType 0,
 * no CmdLine, no setup or OOBE in progress) and the image deployed
 * (ImageState IMAGE_STATE_COMPLETE, or absent on images older than
 * Vista's setup states).
 */
static bool setup_hook_free(const struct svc_facts *f)
{
	/* Our own hook, from an earlier run that has not booted yet. */
	if (f->setup_type == 2 &&
	    strcasestr(f->setup_cmdline, "\\hvoffline\\firstboot.cmd") != NULL)
		return true;
	return f->setup_type == 0 && f->setup_cmdline[0] == '\0' &&
	       f->setup_in_progress == 0 && f->oobe_in_progress == 0 &&
	       (f->image_state[0] == '\0' ||
		strcasecmp(f->image_state, "IMAGE_STATE_COMPLETE") == 0);
}

enum pkg_err svc_plan_firstboot(struct plan_build *b)
{
	struct svc_plan *p = b->plan;
	const struct svc_facts *f = b->facts;
	p->firstboot_log =
		svc_int_plan_printf(b, "%s\\firstboot.log", p->log_dir);
	if (!b->opts->firstboot) {
		p->firstboot = SVC_FIRSTBOOT_NONE;
		return b->oom ? PKG_ERR_NOMEM : PKG_OK;
	}
	p->firstboot = setup_hook_free(f) ? SVC_FIRSTBOOT_SETUP_CMDLINE
					  : SVC_FIRSTBOOT_SETUPCOMPLETE;
	p->firstboot_script =
		svc_int_plan_printf(b, "%s\\firstboot.cmd", p->stage_dir);
	if (b->oom)
		return PKG_ERR_NOMEM;
	add_text_file(b, p->firstboot_script, SVC_ROLE_FIRSTBOOT,
		      svc_firstboot_script(p, p->firstboot),
		      "the first-boot step");
	if (p->firstboot == SVC_FIRSTBOOT_SETUP_CMDLINE) {
		char *cmd = svc_int_plan_printf(
			b, "cmd.exe /c \"%%SystemRoot%%%s\"",
			p->firstboot_script + strlen(p->systemroot));
		svc_int_plan_set_dword(b, SVC_HIVE_SYSTEM, "Setup", "SetupType",
				       2, "the first-boot step (Winlogon)");
		if (cmd != NULL)
			svc_int_plan_set_sz(b, SVC_HIVE_SYSTEM, "Setup",
					    "CmdLine", PKG_REG_SZ, cmd,
					    "the first-boot step (Winlogon)");
		for (size_t i = 0; !b->oom && i < p->nregs; i++)
			if (strcmp(p->regs[i].key, "Setup") == 0 &&
			    p->regs[i].hive == SVC_HIVE_SYSTEM)
				p->regs[i].firstboot = true;
		return b->oom ? PKG_ERR_NOMEM : PKG_OK;
	}
	/* A generalized image: hook into SetupComplete.cmd, keeping one
	 * that the image has (unless it is our own wrapper). */
	char *dir =
		svc_int_plan_printf(b, "%s\\" SETUPCOMPLETE_DIR, p->systemroot);
	char *sc = svc_int_plan_printf(b, "%s\\" SETUPCOMPLETE, dir);
	char *orig = svc_int_plan_printf(b, "%s\\" SETUPCOMPLETE_ORIG, dir);
	if (b->oom)
		return PKG_ERR_NOMEM;
	bool keep = f->setupcomplete_present && !f->setupcomplete_ours;
	if (keep) {
		struct svc_plan_file k = {
			.dest = orig,
			.source = SVC_SRC_GUEST_FILE,
			.role = SVC_ROLE_FIRSTBOOT,
			.from = sc,
			.origin = svc_int_plan_strdup(
				b, "the image's own SetupComplete.cmd, "
				   "kept"),
		};
		if (!b->oom)
			svc_int_plan_add_file(b, &k);
	}
	add_text_file(b, sc, SVC_ROLE_FIRSTBOOT, setupcomplete_wrapper(p),
		      "the first-boot step (SetupComplete.cmd)");
	svc_int_plan_note(
		b,
		"the image is in Windows Setup (SetupType %u, CmdLine "
		"\"%s\", ImageState \"%s\"): the first-boot step runs "
		"from SetupComplete.cmd at the end of OOBE",
		(unsigned)f->setup_type, f->setup_cmdline, f->image_state);
	return b->oom ? PKG_ERR_NOMEM : PKG_OK;
}
