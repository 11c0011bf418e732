# fuzz/: one libFuzzer target per parser, all declared here.
#
# Each target NAME is fuzz/fuzz_NAME.c, which defines
# LLVMFuzzerTestOneInput, and a seed corpus in fuzz/corpus/NAME/ (plus,
# optionally, a list of fixture files in fuzz/corpus/NAME.fixtures).  Two
# programs are built from it:
#
#   fuzz/fuzz_NAME_replay  with fuzz/replay.c as its main: `make check` runs
#                          it over the corpus (and the listed fixtures);
#   fuzz/fuzz_NAME         with libFuzzer, only under
#                          `./configure --enable-fuzzing CC=clang`
#                          (fuzz/README.md).
#
# To add a parser's target, add one block below; the module's own fragment
# needs no fuzz rules.
EXTRA_DIST += fuzz/replay.c fuzz/README.md fuzz/corpus fuzz/corpus/vhdx-seeds.py

# cab/: cabinets, every codec
check_PROGRAMS += fuzz/fuzz_cab_replay
TESTS += fuzz/fuzz_cab_replay
fuzz_fuzz_cab_replay_SOURCES = fuzz/fuzz_cab.c fuzz/replay.c
fuzz_fuzz_cab_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_cab_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_cab
fuzz_fuzz_cab_SOURCES = fuzz/fuzz_cab.c
fuzz_fuzz_cab_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_cab_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_cab_LDADD = $(TEST_LDADD)
endif

# vhdx/: headers, region tables, metadata, BAT, log (seeds: fuzz/corpus/vhdx-seeds.py)
check_PROGRAMS += fuzz/fuzz_vhdx_replay
TESTS += fuzz/fuzz_vhdx_replay
fuzz_fuzz_vhdx_replay_SOURCES = fuzz/fuzz_vhdx.c fuzz/replay.c
fuzz_fuzz_vhdx_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_vhdx_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_vhdx
fuzz_fuzz_vhdx_SOURCES = fuzz/fuzz_vhdx.c
fuzz_fuzz_vhdx_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_vhdx_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_vhdx_LDADD = $(TEST_LDADD)
endif

# src/package/: component manifests and update.mum
check_PROGRAMS += fuzz/fuzz_manifest_replay
TESTS += fuzz/fuzz_manifest_replay
fuzz_fuzz_manifest_replay_SOURCES = fuzz/fuzz_manifest.c fuzz/replay.c
fuzz_fuzz_manifest_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_manifest_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_manifest
fuzz_fuzz_manifest_SOURCES = fuzz/fuzz_manifest.c
fuzz_fuzz_manifest_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_manifest_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_manifest_LDADD = $(TEST_LDADD)
endif

# src/package/: INF files
check_PROGRAMS += fuzz/fuzz_inf_replay
TESTS += fuzz/fuzz_inf_replay
fuzz_fuzz_inf_replay_SOURCES = fuzz/fuzz_inf.c fuzz/replay.c
fuzz_fuzz_inf_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_inf_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_inf
fuzz_fuzz_inf_SOURCES = fuzz/fuzz_inf.c
fuzz_fuzz_inf_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_inf_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_inf_LDADD = $(TEST_LDADD)
endif

# src/guest/: PE headers and VS_VERSIONINFO
check_PROGRAMS += fuzz/fuzz_pe_replay
TESTS += fuzz/fuzz_pe_replay
fuzz_fuzz_pe_replay_SOURCES = fuzz/fuzz_pe.c fuzz/replay.c
fuzz_fuzz_pe_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_pe_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_pe
fuzz_fuzz_pe_SOURCES = fuzz/fuzz_pe.c
fuzz_fuzz_pe_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_pe_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_pe_LDADD = $(TEST_LDADD)
endif

# src/guest/: NTFS boot sector and $Volume record
check_PROGRAMS += fuzz/fuzz_ntfs_replay
TESTS += fuzz/fuzz_ntfs_replay
fuzz_fuzz_ntfs_replay_SOURCES = fuzz/fuzz_ntfs.c fuzz/replay.c
fuzz_fuzz_ntfs_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ntfs_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_ntfs
fuzz_fuzz_ntfs_SOURCES = fuzz/fuzz_ntfs.c
fuzz_fuzz_ntfs_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ntfs_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ntfs_LDADD = $(TEST_LDADD)
endif

# src/guest/: MBR/GPT partition tables and the disk head
check_PROGRAMS += fuzz/fuzz_ptable_replay
TESTS += fuzz/fuzz_ptable_replay
fuzz_fuzz_ptable_replay_SOURCES = fuzz/fuzz_ptable.c fuzz/replay.c
fuzz_fuzz_ptable_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ptable_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_ptable
fuzz_fuzz_ptable_SOURCES = fuzz/fuzz_ptable.c
fuzz_fuzz_ptable_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ptable_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ptable_LDADD = $(TEST_LDADD)
endif

# registry/: hive files and their transaction logs
check_PROGRAMS += fuzz/fuzz_reg_hive_replay
TESTS += fuzz/fuzz_reg_hive_replay
fuzz_fuzz_reg_hive_replay_SOURCES = fuzz/fuzz_reg_hive.c fuzz/replay.c
fuzz_fuzz_reg_hive_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_reg_hive_replay_LDADD = $(REGTEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_reg_hive
fuzz_fuzz_reg_hive_SOURCES = fuzz/fuzz_reg_hive.c
fuzz_fuzz_reg_hive_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_reg_hive_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_reg_hive_LDADD = $(REGTEST_LDADD)
endif

# registry/: .reg files
check_PROGRAMS += fuzz/fuzz_reg_file_replay
TESTS += fuzz/fuzz_reg_file_replay
fuzz_fuzz_reg_file_replay_SOURCES = fuzz/fuzz_reg_file.c fuzz/replay.c
fuzz_fuzz_reg_file_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_reg_file_replay_LDADD = $(REGTEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_reg_file
fuzz_fuzz_reg_file_SOURCES = fuzz/fuzz_reg_file.c
fuzz_fuzz_reg_file_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_reg_file_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_reg_file_LDADD = $(REGTEST_LDADD)
endif

# src/guest/native_*.c: NTFS volumes through libntfs-3g (read and write)
check_PROGRAMS += fuzz/fuzz_native_replay
TESTS += fuzz/fuzz_native_replay
fuzz_fuzz_native_replay_SOURCES = fuzz/fuzz_native.c fuzz/replay.c
fuzz_fuzz_native_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_native_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_native
fuzz_fuzz_native_SOURCES = fuzz/fuzz_native.c
fuzz_fuzz_native_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_native_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_native_LDADD = $(TEST_LDADD)
endif

# src/trust/: Authenticode of cabinets (header reserve, digest, PKCS#7,
# RFC 3161 token); non-cabinet inputs are wrapped as signature blobs
check_PROGRAMS += fuzz/fuzz_authenticode_replay
TESTS += fuzz/fuzz_authenticode_replay
fuzz_fuzz_authenticode_replay_SOURCES = fuzz/fuzz_authenticode.c fuzz/replay.c
fuzz_fuzz_authenticode_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_authenticode_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_authenticode
fuzz_fuzz_authenticode_SOURCES = fuzz/fuzz_authenticode.c
fuzz_fuzz_authenticode_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_authenticode_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_authenticode_LDADD = $(TEST_LDADD)
endif

# registry/: value data spelt as words (reg_value_parse, `reg set`)
check_PROGRAMS += fuzz/fuzz_reg_value_replay
TESTS += fuzz/fuzz_reg_value_replay
fuzz_fuzz_reg_value_replay_SOURCES = fuzz/fuzz_reg_value.c fuzz/replay.c
fuzz_fuzz_reg_value_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_reg_value_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_reg_value
fuzz_fuzz_reg_value_SOURCES = fuzz/fuzz_reg_value.c
fuzz_fuzz_reg_value_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_reg_value_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_reg_value_LDADD = $(TEST_LDADD)
endif

# src/secdesc/: SDDL and self-relative security descriptors
check_PROGRAMS += fuzz/fuzz_sddl_replay
TESTS += fuzz/fuzz_sddl_replay
fuzz_fuzz_sddl_replay_SOURCES = fuzz/fuzz_sddl.c fuzz/replay.c
fuzz_fuzz_sddl_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_sddl_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_sddl
fuzz_fuzz_sddl_SOURCES = fuzz/fuzz_sddl.c
fuzz_fuzz_sddl_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_sddl_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_sddl_LDADD = $(TEST_LDADD)
endif

# src/servicing/: the undo data kept beside the in-guest records
check_PROGRAMS += fuzz/fuzz_undo_replay
TESTS += fuzz/fuzz_undo_replay
fuzz_fuzz_undo_replay_SOURCES = fuzz/fuzz_undo.c fuzz/replay.c
fuzz_fuzz_undo_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_undo_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_undo
fuzz_fuzz_undo_SOURCES = fuzz/fuzz_undo.c
fuzz_fuzz_undo_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_undo_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_undo_LDADD = $(TEST_LDADD)
endif

# src/servicing/: a Linux guest's os-release, dpkg status, modules.builtin
# and modules.dep
check_PROGRAMS += fuzz/fuzz_linux_replay
TESTS += fuzz/fuzz_linux_replay
fuzz_fuzz_linux_replay_SOURCES = fuzz/fuzz_linux.c fuzz/replay.c
fuzz_fuzz_linux_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_linux_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_linux
fuzz_fuzz_linux_SOURCES = fuzz/fuzz_linux.c
fuzz_fuzz_linux_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_linux_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_linux_LDADD = $(TEST_LDADD)
endif

# src/servicing/rpm_*.c: RPM header blobs, Berkeley DB hash Packages,
# rpmdb.sqlite (a Linux guest's RPM database)
check_PROGRAMS += fuzz/fuzz_rpm_replay
TESTS += fuzz/fuzz_rpm_replay
fuzz_fuzz_rpm_replay_SOURCES = fuzz/fuzz_rpm.c fuzz/replay.c
fuzz_fuzz_rpm_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_rpm_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_rpm
fuzz_fuzz_rpm_SOURCES = fuzz/fuzz_rpm.c
fuzz_fuzz_rpm_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_rpm_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_rpm_LDADD = $(TEST_LDADD)
endif

# src/servicing/session_wire.c: what a sandboxed child sends its parent
check_PROGRAMS += fuzz/fuzz_wire_replay
TESTS += fuzz/fuzz_wire_replay
fuzz_fuzz_wire_replay_SOURCES = fuzz/fuzz_wire.c fuzz/replay.c
fuzz_fuzz_wire_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_wire_replay_LDADD = $(TEST_LDADD)
# Its seeds, from real runs (fuzz/corpus/wire-seeds.sh): session_child.c
# again with the test hooks, which keep each child's bytes.
check_PROGRAMS += fuzz/wire_seeds
fuzz_wire_seeds_SOURCES = fuzz/wire_seeds.c src/servicing/session_child.c
fuzz_wire_seeds_CPPFLAGS = $(AM_CPPFLAGS) -DHVO_TEST_HOOKS
fuzz_wire_seeds_CFLAGS = $(TEST_CFLAGS)
fuzz_wire_seeds_LDADD = $(TEST_LDADD)
EXTRA_DIST += fuzz/corpus/wire-seeds.sh
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_wire
fuzz_fuzz_wire_SOURCES = fuzz/fuzz_wire.c
fuzz_fuzz_wire_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_wire_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_wire_LDADD = $(TEST_LDADD)
endif

# src/servicing/services_wire.c: what a managing command's sandboxed
# child sends its parent
check_PROGRAMS += fuzz/fuzz_mwire_replay
TESTS += fuzz/fuzz_mwire_replay
fuzz_fuzz_mwire_replay_SOURCES = fuzz/fuzz_mwire.c fuzz/replay.c
fuzz_fuzz_mwire_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_mwire_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_mwire
fuzz_fuzz_mwire_SOURCES = fuzz/fuzz_mwire.c
fuzz_fuzz_mwire_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_mwire_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_mwire_LDADD = $(TEST_LDADD)
endif

# src/guest/iso9660.c: ISO 9660 images (vmguest.iso); seeds made by
# fuzz/corpus/iso-seeds.sh
check_PROGRAMS += fuzz/fuzz_iso_replay
TESTS += fuzz/fuzz_iso_replay
fuzz_fuzz_iso_replay_SOURCES = fuzz/fuzz_iso.c fuzz/replay.c
fuzz_fuzz_iso_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_iso_replay_LDADD = $(TEST_LDADD)
EXTRA_DIST += fuzz/corpus/iso-seeds.sh
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_iso
fuzz_fuzz_iso_SOURCES = fuzz/fuzz_iso.c
fuzz_fuzz_iso_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_iso_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_iso_LDADD = $(TEST_LDADD)
endif

# src/servicing/session_progress.c: a sandboxed child's progress records
check_PROGRAMS += fuzz/fuzz_progress_replay
TESTS += fuzz/fuzz_progress_replay
fuzz_fuzz_progress_replay_SOURCES = fuzz/fuzz_progress.c fuzz/replay.c
fuzz_fuzz_progress_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_progress_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_progress
fuzz_fuzz_progress_SOURCES = fuzz/fuzz_progress.c
fuzz_fuzz_progress_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_progress_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_progress_LDADD = $(TEST_LDADD)
endif

# src/guest/native_xfs*.c: XFS volumes, read-only (seeds: fuzz/corpus/xfs-seeds.sh)
check_PROGRAMS += fuzz/fuzz_xfs_replay
TESTS += fuzz/fuzz_xfs_replay
fuzz_fuzz_xfs_replay_SOURCES = fuzz/fuzz_xfs.c fuzz/replay.c
fuzz_fuzz_xfs_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_xfs_replay_LDADD = $(TEST_LDADD)
EXTRA_DIST += fuzz/corpus/xfs-seeds.sh
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_xfs
fuzz_fuzz_xfs_SOURCES = fuzz/fuzz_xfs.c
fuzz_fuzz_xfs_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_xfs_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_xfs_LDADD = $(TEST_LDADD)
endif

# src/guest/: LVM2 PV labels, metadata areas and VG metadata text
check_PROGRAMS += fuzz/fuzz_lvm_replay
TESTS += fuzz/fuzz_lvm_replay
fuzz_fuzz_lvm_replay_SOURCES = fuzz/fuzz_lvm.c fuzz/replay.c
fuzz_fuzz_lvm_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_lvm_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_lvm
fuzz_fuzz_lvm_SOURCES = fuzz/fuzz_lvm.c
fuzz_fuzz_lvm_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_lvm_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_lvm_LDADD = $(TEST_LDADD)
endif
