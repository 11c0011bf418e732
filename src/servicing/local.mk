# src/servicing: inspect, plan, apply, verify (ARCHITECTURE.md).
libhvo_internal_la_SOURCES += \
	%reldir%/error.c %reldir%/error.h \
	%reldir%/session.c %reldir%/session_image.c %reldir%/session.h %reldir%/session_report.c \
	%reldir%/session_int.h %reldir%/session_child.c %reldir%/session_wire.c \
	%reldir%/inspect.c %reldir%/inspect.h %reldir%/inspect_int.h \
	%reldir%/inspect_facts.c %reldir%/inspect_preflight.c \
	%reldir%/inspect_linux.c %reldir%/inspect_linux.h \
	%reldir%/inspect_linux_parse.c %reldir%/inspect_linux_report.c \
	%reldir%/inspect_linux_pkg.c %reldir%/inspect_linux_view.c \
	%reldir%/rpm.h %reldir%/rpm_header.c %reldir%/rpm_bdb.c %reldir%/rpm_sqlite.c \
	%reldir%/inspect_verdict.c \
	%reldir%/inspect_applicable.c %reldir%/inspect_applicable.h \
	%reldir%/inspect_hive.c %reldir%/inspect_hive.h \
	%reldir%/inspect_pending.c %reldir%/inspect_pending.h \
	%reldir%/inspect_report.c %reldir%/inspect_report.h \
	%reldir%/inspect_run.c %reldir%/inspect_run.h \
	%reldir%/inspect_source.c %reldir%/inspect_source.h \
	%reldir%/plan.c %reldir%/plan.h %reldir%/plan_int.h \
	%reldir%/plan_pool.c %reldir%/plan_ops.c %reldir%/plan_driver.c \
	%reldir%/plan_component.c %reldir%/plan_merge.c \
	%reldir%/plan_report.c \
	%reldir%/firstboot.c \
	%reldir%/apply.c %reldir%/apply.h %reldir%/apply_int.h \
	%reldir%/apply_common.c %reldir%/apply_hive.c \
	%reldir%/apply_record.c %reldir%/apply_switch.c \
	%reldir%/apply_sd.c \
	%reldir%/verify.c \
	%reldir%/verify_sd.c \
	%reldir%/rollback.c %reldir%/rollback.h \
	%reldir%/rollback_keep.c %reldir%/rollback_keep.h \
	%reldir%/rollback_state.c %reldir%/rollback_state.h \
	%reldir%/rollback_journal.c %reldir%/rollback_journal.h \
	%reldir%/services.c %reldir%/services.h \
	%reldir%/services_guest.c %reldir%/services_guest.h \
	%reldir%/services_open.c %reldir%/services_open.h \
	%reldir%/services_prepare.c \
	%reldir%/services_reg.c %reldir%/services_reg.h \
	%reldir%/services_set.c %reldir%/services_set.h \
	%reldir%/services_undo.c %reldir%/services_undo.h \
	%reldir%/services_child.c %reldir%/services_child.h \
	%reldir%/services_wire.c %reldir%/services_wire.h \
	%reldir%/child_paths.c %reldir%/child_paths.h

# hvoffline apply against guestfish doing the same uploads and hive edits.
BENCH_SCRIPTS += bench/apply.sh
# Progress records from the sandboxed children (session_child.c).
libhvo_internal_la_SOURCES += %reldir%/session_progress.c
