/*
 * fakeguest.h - fake guests for the servicing tests, shared by the unit
 * tests of tests/servicing/ (they were copied between test files).
 *
 * Two kinds:
 *
 *   - A Windows tree in a host directory, for the host-directory backend
 *     of the guest layer: hives merged from tests/fixtures/reg recipes
 *     into hivex's minimal hive (hivexregedit), PE stubs from mkpe.py.
 *     The builders run shell commands in the test's directory
 *     (hvo_fg_begin) and fail the test when one fails.
 *
 *   - Synthetic facts (struct svc_facts) with no disk at all, for the
 *     planner and the applicability rules: exactly the facts a rule reads.
 */
#ifndef HVO_TESTS_FAKEGUEST_H
#define HVO_TESTS_FAKEGUEST_H

#include <stdint.h>

#include "servicing/inspect.h"

/* ---- Host-directory guests ---- */

/* A fresh temporary directory for one test (with "scratch" in it);
 * removed by hvo_fg_end().  Returns its path. */
const char *hvo_fg_begin(void);
void hvo_fg_end(void);

/* "<test dir>/<rel>" (one of 8 rotating static buffers). */
char *hvo_fg_at(const char *rel);

/* Runs a shell command in the test directory (set -e); a failure fails
 * the test.  hvo_fg_out() returns its stdout (caller frees). */
void hvo_fg_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *hvo_fg_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A hive at @dest (relative to the test directory) from the recipe
 * tests/fixtures/reg/@recipe.reg ("*-software" recipes are SOFTWARE). */
void hvo_fg_hive(const char *recipe, const char *dest);

/* A PE file for @machine ("amd64", "i386"), with a version resource of
 * @version (and FileVersion), or none when @version is NULL. */
void hvo_fg_pe(const char *machine, const char *version, const char *dest);

/* A Windows tree under volume directory @vol with system root @root:
 * hives from the recipes @name-software and @name-system, ntoskrnl.exe of
 * @kernel_version and, unless NULL, vmbus.sys of @vmbus, and the folders
 * System32\drivers and servicing\Packages. */
void hvo_fg_windows(const char *vol, const char *root, const char *name,
		    const char *machine, const char *kernel_version,
		    const char *vmbus);

/* A one-volume MBR disk of the host-directory backend whose volume 1 is
 * the directory @root, named @name; its facts inspected (with "scratch"
 * of the test directory) into @f, which the caller frees.  The disk is
 * returned (guest_disk_close()). */
struct guest_disk *hvo_fg_inspect(const char *root, const char *name,
				  struct svc_facts *f);

/* ---- Synthetic facts ---- */

/* Facts of an inspected, safe guest: Windows found on volume 0 with
 * system root "Windows", @arch ("amd64", "x86"), NT @major.@minor build
 * @build, a server installation, control set 1, no integration services
 * installed and no packages.  Free with svc_facts_free(). */
void hvo_fg_facts(struct svc_facts *f, const char *arch, unsigned major,
		  unsigned minor, unsigned build);

/* Adds an installed package (in Windows\servicing\Packages and the CBS
 * key, state installed). */
void hvo_fg_facts_package(struct svc_facts *f, const char *name,
			  const char *arch, const char *version);

/* Integration services of @version installed: vmbus.sys's file version. */
void hvo_fg_facts_vmbus(struct svc_facts *f, const char *version);

#endif /* HVO_TESTS_FAKEGUEST_H */
