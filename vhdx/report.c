/*
 * report.c - `vhdx info` and `vhdx check` output, as text or JSON
 * (report.h).  The field names of the JSON are documented in the man page
 * (doc/hvoffline.pod); scripts depend on them.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>

#include "vhdx/report.h"

const char *vhdx_int_type_name(enum vhdx_type t)
{
	switch (t) {
	case VHDX_TYPE_FIXED:
		return "fixed";
	case VHDX_TYPE_DIFFERENCING:
		return "differencing";
	case VHDX_TYPE_DYNAMIC:
		break;
	}
	return "dynamic";
}

const char *vhdx_int_log_state_name(enum vhdx_log_state s)
{
	switch (s) {
	case VHDX_LOG_REPLAYED_MEMORY:
		return "replayed-in-memory";
	case VHDX_LOG_REPLAYED_FILE:
		return "replayed";
	case VHDX_LOG_EMPTY_GUID:
		return "empty";
	case VHDX_LOG_CLEAN:
		break;
	}
	return "clean";
}

void vhdx_int_report_info_json(struct json_writer *w,
			       const struct vhdx_image *img)
{
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	char g[37];
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "path", vhdx_path(img));
	hvo_int_json_kv_string(w, "type", vhdx_int_type_name(in.type));
	hvo_int_json_kv_uint(w, "virtual_size", in.virtual_size);
	hvo_int_json_kv_uint(w, "block_size", in.block_size);
	hvo_int_json_kv_uint(w, "logical_sector_size", in.logical_sector_size);
	hvo_int_json_kv_uint(w, "physical_sector_size",
			     in.physical_sector_size);
	hvo_int_json_kv_uint(w, "chunk_ratio", in.chunk_ratio);
	hvo_int_json_kv_uint(w, "payload_blocks", in.payload_blocks);
	hvo_int_json_kv_bool(w, "leave_block_allocated",
			     in.leave_block_allocated);
	vhdx_guid_format(&in.virtual_disk_id, g);
	hvo_int_json_kv_string(w, "virtual_disk_id", g);
	hvo_int_json_kv_string(w, "creator", in.creator);
	hvo_int_json_kv_uint(w, "file_size", in.file_size);
	hvo_int_json_key(w, "header");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_int(w, "current", in.current_header);
	hvo_int_json_kv_uint(w, "sequence", in.header_sequence);
	vhdx_guid_format(&in.file_write_guid, g);
	hvo_int_json_kv_string(w, "file_write_guid", g);
	vhdx_guid_format(&in.data_write_guid, g);
	hvo_int_json_kv_string(w, "data_write_guid", g);
	vhdx_guid_format(&in.log_guid, g);
	hvo_int_json_kv_string(w, "log_guid", g);
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "log");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "offset", in.log_offset);
	hvo_int_json_kv_uint(w, "length", in.log_length);
	hvo_int_json_kv_string(w, "state",
			       vhdx_int_log_state_name(in.log_state));
	hvo_int_json_kv_uint(w, "entries_replayed", in.log_entries_replayed);
	hvo_int_json_kv_uint(w, "head_sequence", in.log_head_sequence);
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "regions");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "bat_offset", in.bat_offset);
	hvo_int_json_kv_uint(w, "bat_length", in.bat_length);
	hvo_int_json_kv_uint(w, "metadata_offset", in.metadata_offset);
	hvo_int_json_kv_uint(w, "metadata_length", in.metadata_length);
	hvo_int_json_end_object(w);
	if (in.has_parent) {
		hvo_int_json_key(w, "parent_locator");
		hvo_int_json_begin_object(w);
		const char *k, *v;
		for (size_t i = 0; vhdx_parent_locator(img, i, &k, &v); i++)
			hvo_int_json_kv_string(w, k, v);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_object(w);
}

void vhdx_int_report_info_text(FILE *out, const struct vhdx_image *img)
{
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	char g[37];
	const char *ind = in.depth ? "  " : "";
	fprintf(out, "%simage:                %s\n", ind, vhdx_path(img));
	fprintf(out, "%stype:                 %s\n", ind,
		vhdx_int_type_name(in.type));
	fprintf(out, "%svirtual size:         %" PRIu64 " bytes\n", ind,
		in.virtual_size);
	fprintf(out, "%sblock size:           %" PRIu32 " bytes\n", ind,
		in.block_size);
	fprintf(out,
		"%ssector size:          %" PRIu32 " logical, %" PRIu32
		" physical\n",
		ind, in.logical_sector_size, in.physical_sector_size);
	vhdx_guid_format(&in.virtual_disk_id, g);
	fprintf(out, "%svirtual disk id:      %s\n", ind, g);
	fprintf(out, "%screator:              %s\n", ind, in.creator);
	fprintf(out, "%sfile size:            %" PRIu64 " bytes\n", ind,
		in.file_size);
	fprintf(out, "%scurrent header:       %d (sequence %" PRIu64 ")\n", ind,
		in.current_header, in.header_sequence);
	vhdx_guid_format(&in.data_write_guid, g);
	fprintf(out, "%sdata write guid:      %s\n", ind, g);
	switch (in.log_state) {
	case VHDX_LOG_CLEAN:
		fprintf(out, "%slog:                  clean\n", ind);
		break;
	case VHDX_LOG_EMPTY_GUID:
		fprintf(out,
			"%slog:                  no valid entry (nothing to "
			"replay)\n",
			ind);
		break;
	case VHDX_LOG_REPLAYED_MEMORY:
		fprintf(out,
			"%slog:                  needs replay: %" PRIu32
			" entries replayed in memory (file unchanged)\n",
			ind, in.log_entries_replayed);
		break;
	case VHDX_LOG_REPLAYED_FILE:
		fprintf(out,
			"%slog:                  replayed %" PRIu32
			" entries into the file\n",
			ind, in.log_entries_replayed);
		break;
	}
	const char *k, *v;
	for (size_t i = 0; vhdx_parent_locator(img, i, &k, &v); i++)
		fprintf(out, "%sparent locator:       %s = %s\n", ind, k, v);
}

/* At most this many problems or warnings are listed (check.c counts the
 * rest). */
#define REPORT_MAX_LISTED 100

static void json_strings(struct json_writer *w, const char *key,
			 char *const *list, size_t n)
{
	hvo_int_json_key(w, key);
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < n && i <= REPORT_MAX_LISTED; i++)
		hvo_int_json_string(w, list[i]);
	hvo_int_json_end_array(w);
}

void vhdx_int_report_check_json(struct json_writer *w,
				const struct vhdx_image *img,
				const struct vhdx_check_report *rep)
{
	json_strings(w, "problems", rep->problems, rep->nproblems);
	json_strings(w, "warnings", rep->warnings, rep->nwarnings);
	hvo_int_json_key(w, "blocks");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "fully_present", rep->blocks_fully_present);
	hvo_int_json_kv_uint(w, "partially_present",
			     rep->blocks_partially_present);
	hvo_int_json_kv_uint(w, "not_present", rep->blocks_not_present);
	hvo_int_json_kv_uint(w, "zero", rep->blocks_zero);
	hvo_int_json_kv_uint(w, "unmapped", rep->blocks_unmapped);
	hvo_int_json_kv_uint(w, "sector_bitmaps", rep->sector_bitmap_blocks);
	hvo_int_json_end_object(w);
	hvo_int_json_kv_uint(w, "unreferenced_bytes", rep->unreferenced_bytes);
	hvo_int_json_kv_uint(w, "leaked_bytes", rep->leaked_bytes);
	hvo_int_json_kv_uint(w, "referenced_end", rep->referenced_end);
	hvo_int_json_kv_uint(w, "file_size", rep->file_size);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	hvo_int_json_key(w, "log");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "state",
			       vhdx_int_log_state_name(in.log_state));
	hvo_int_json_kv_uint(w, "entries_replayed", in.log_entries_replayed);
	hvo_int_json_kv_uint(w, "stale_entries", rep->stale_log_entries);
	hvo_int_json_end_object(w);
	unsigned depth = 0;
	for (const struct vhdx_image *p = vhdx_parent(img); p;
	     p = vhdx_parent(p))
		depth++;
	hvo_int_json_kv_uint(w, "parents", depth);
}

void vhdx_int_report_check_text(FILE *out, const char *path,
				const struct vhdx_check_report *rep,
				uint64_t repaired)
{
	for (size_t i = 0; i < rep->nproblems && i <= REPORT_MAX_LISTED; i++)
		fprintf(out, "problem: %s\n", rep->problems[i]);
	for (size_t i = 0; i < rep->nwarnings && i <= REPORT_MAX_LISTED; i++)
		fprintf(out, "warning: %s\n", rep->warnings[i]);
	fprintf(out,
		"blocks: %" PRIu64 " fully present, %" PRIu64
		" partially present, %" PRIu64 " not present, %" PRIu64
		" zero, %" PRIu64 " unmapped; %" PRIu64 " sector bitmaps\n",
		rep->blocks_fully_present, rep->blocks_partially_present,
		rep->blocks_not_present, rep->blocks_zero, rep->blocks_unmapped,
		rep->sector_bitmap_blocks);
	if (rep->stale_log_entries)
		fprintf(out,
			"log: %u stale entries of an older log (ignored)\n",
			rep->stale_log_entries);
	if (rep->unreferenced_bytes > rep->leaked_bytes)
		fprintf(out,
			"unreferenced: %" PRIu64
			" bytes between referenced regions (free space; not "
			"reclaimed)\n",
			rep->unreferenced_bytes - rep->leaked_bytes);
	if (rep->leaked_bytes && repaired >= rep->leaked_bytes)
		fprintf(out,
			"repaired: truncated %" PRIu64
			" leaked bytes; the file now ends at %" PRIu64 "\n",
			repaired, rep->referenced_end);
	else if (rep->leaked_bytes)
		fprintf(out,
			"leaked: %" PRIu64 " bytes past the last referenced "
			"region (file size %" PRIu64
			", referenced up to %" PRIu64
			"); the next write reuses them, --repair truncates "
			"them\n",
			rep->leaked_bytes, rep->file_size, rep->referenced_end);
	fprintf(out, "%s: %s\n", path,
		rep->nproblems ? "corrupt"
		: rep->leaked_bytes > repaired
			? "no problems found, space leaked"
			: "no problems found");
}
