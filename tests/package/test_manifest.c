/*
 * test_manifest.c - manifest parsing: the model, and hostile XML.
 *
 * Manifests here are written in the test (small, our own text, shaped
 * like the IC ones); the real packages are covered by test_ic.c.
 * Hostile documents are generated at test time: billion laughs, an
 * external entity naming /etc/passwd, 10 000-deep nesting, a 100 MB
 * attribute.  Each must fail cleanly, with bounded memory: the peak RSS
 * may grow by the input's own size plus a margin, never by what an
 * expansion would cost (gigabytes).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "package/package.h"
#include "tests/lib/hvotest.h"
#include "tests/package/pkgtest.h"
#include "util/sha256.h"
#include "util/utf.h"

/* Peak RSS growth allowed beyond the input itself: libxml2's reader,
 * our tree and the test's own buffers fit in this many times over. */
#define RSS_MARGIN_KIB (64 * 1024)

static struct pkg_manifest *parse_ok(struct pkg_arena *a, const char *xml)
{
	struct pkg_manifest *m = NULL;
	struct pkg_error e = { 0 };
	enum pkg_err rc =
		pkg_manifest_parse(a, xml, strlen(xml), "t.manifest", &m, &e);
	if (rc != PKG_OK) {
		char buf[700];
		fail_msg("%s", pkg_errmsg(&e, buf, sizeof(buf)));
	}
	return m;
}

/* Parses @xml (of @len bytes), expecting failure @want; returns the
 * formatted message in @msg. */
static void parse_fails(const void *xml, size_t len, enum pkg_err want,
			char *msg, size_t size)
{
	struct pkg_arena *a = pkg_arena_new();
	struct pkg_manifest *m = NULL;
	struct pkg_error e = { 0 };
	enum pkg_err rc = pkg_manifest_parse(a, xml, len, "t.manifest", &m, &e);
	pkg_errmsg(&e, msg, size);
	if (rc != want)
		fail_msg("expected error %d, got %d: %s", want, rc, msg);
	assert_int_equal(e.code, want);
	assert_int_equal(pkg_exit_class(&e), rc == PKG_ERR_UNSUPPORTED
						     ? HVO_EXIT_FAILED
						     : HVO_EXIT_CORRUPT);
	pkg_arena_free(a);
}

#define HEAD                                                              \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" \
	"<assembly xmlns=\"urn:schemas-microsoft-com:asm.v3\" "           \
	"manifestVersion=\"1.0\">\n"

/* SHA-256 of "payload" in base64, computed with
 * printf payload | sha256sum | xxd -r -p | base64 */
#define PAYLOAD_B64 "I59Z7VXnN8dxR89VrQwbAwttfudIp0JpUvm4UtWpNeU="

static void test_component(void **state)
{
	(void)state;
	static const char xml[] = HEAD
		"  <assemblyIdentity name=\"Contoso-Service (Test)\" "
		"version=\"1.2.3.4\" processorArchitecture=\"amd64\" "
		"language=\"neutral\" buildType=\"release\" "
		"publicKeyToken=\"31bf3856ad364e35\" "
		"versionScope=\"nonSxS\"/>\n"
		"  <dependency discoverable=\"no\" "
		"resourceType=\"Resources\">\n"
		"    <dependentAssembly dependencyType=\"prerequisite\">\n"
		"      <assemblyIdentity name=\"Contoso.Resources\" "
		"version=\"1.2.3.4\" processorArchitecture=\"amd64\" "
		"language=\"*\" publicKeyToken=\"31bf3856ad364e35\"/>\n"
		"    </dependentAssembly>\n  </dependency>\n"
		"  <file name=\"svc.dll\" "
		"destinationPath=\"$(runtime.system32)\\\" "
		"sourceName=\"SVC.dll\" sourcePath=\".\\\">\n"
		"    <securityDescriptor name=\"WRP_FILE_DEFAULT_SDDL\"/>\n"
		"    <asmv2:hash "
		"xmlns:asmv2=\"urn:schemas-microsoft-com:asm.v2\" "
		"xmlns:dsig=\"http://www.w3.org/2000/09/xmldsig#\">\n"
		"      <dsig:DigestMethod Algorithm="
		"\"http://www.w3.org/2000/09/xmldsig#sha256\"/>\n"
		"      <dsig:DigestValue>" PAYLOAD_B64 "</dsig:DigestValue>\n"
		"    </asmv2:hash>\n  </file>\n"
		"  <memberships>\n    <categoryMembership>\n"
		"      <id name=\"Microsoft.Windows.Categories.Services\" "
		"typeName=\"Service\"/>\n      <categoryInstance>\n"
		"        <serviceData name=\"contoso\" displayName=\"Contoso\" "
		"errorControl=\"severe\" imagePath=\"%SystemRoot%\\system32\\"
		"svchost.exe -k ContosoGroup\" start=\"delayedAuto\" "
		"type=\"win32ShareProcess\" description=\"d\" "
		"objectName=\"NT AUTHORITY\\LocalService\" group=\"Extended "
		"Base\" sidType=\"unrestricted\" "
		"requiredPrivileges=\"SeA,SeB\" "
		"dependOnService=\"RpcSs, Tcpip\" dependOnGroup=\"NetGroup\">\n"
		"          <serviceTrigger action=\"start\" "
		"type=\"WnfStateEvent\" "
		"subtype=\"WNF_X\">\n"
		"            <triggerData type=\"binary\" value=\"7518\"/>\n"
		"          </serviceTrigger>\n"
		"          <failureActions resetPeriod=\"86400\"><actions>"
		"<action delay=\"10000\" type=\"restartService\"/>"
		"<action delay=\"0\" "
		"type=\"none\"/></actions></failureActions>\n"
		"        </serviceData>\n      </categoryInstance>\n"
		"    </categoryMembership>\n    <categoryMembership>\n"
		"      <id name=\"Microsoft.Windows.Categories\" "
		"typeName=\"SvcHost\"/>\n"
		"      <categoryInstance subcategory=\"ContosoGroup\">\n"
		"        <serviceGroup position=\"last\" "
		"serviceName=\"contoso\"/>\n"
		"      </categoryInstance>\n    </categoryMembership>\n"
		"    <categoryMembership>\n      <id name=\"x\" "
		"typeName=\"BootCritical\"/>\n    </categoryMembership>\n"
		"  </memberships>\n"
		"  <registryKeys>\n"
		"    <registryKey "
		"keyName=\"HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\" "
		"owner=\"true\">\n"
		"      <registryValue name=\"\" valueType=\"REG_SZ\" "
		"value=\"def\"/>\n"
		"      <registryValue name=\"Path\" "
		"valueType=\"REG_EXPAND_SZ\" "
		"value=\"$(runtime.system32)\\svc.dll\"/>\n"
		"      <registryValue name=\"Multi\" "
		"valueType=\"REG_MULTI_SZ\" "
		"value=\"&quot;a&quot;,&quot;b,c&quot;, "
		"&quot;d&quot;&quot;e&quot;\"/>\n"
		"      <registryValue name=\"D\" valueType=\"REG_DWORD\" "
		"value=\"0x0000000A\"/>\n"
		"      <registryValue name=\"Q\" valueType=\"REG_QWORD\" "
		"value=\"0x100000000\"/>\n"
		"      <registryValue name=\"B\" valueType=\"REG_BINARY\" "
		"value=\"01ff0A\"/>\n"
		"      <securityDescriptor name=\"KeySd\"/>\n"
		"    </registryKey>\n  </registryKeys>\n"
		"  <trustInfo><security><accessControl>"
		"<securityDescriptorDefinitions>"
		"<securityDescriptorDefinition name=\"KeySd\" "
		"sddl=\"D:P(A;;GA;;;SY)\" "
		"operationHint=\"replace\"/>"
		"</securityDescriptorDefinitions></accessControl></security>"
		"</trustInfo>\n"
		"  <taskScheduler><Task/></taskScheduler>\n"
		"  <deployment/>\n"
		"</assembly>\n";
	struct pkg_arena *a = pkg_arena_new();
	struct pkg_manifest *m = parse_ok(a, xml);

	assert_string_equal(m->identity.name, "Contoso-Service (Test)");
	assert_false(m->is_driver);
	/* Lower case, no spaces or parentheses, neutral -> "none". */
	assert_int_equal(
		strncmp(m->key,
			"amd64_contoso-servicetest_31bf3856ad364e35_"
			"1.2.3.4_none_",
			strlen("amd64_contoso-servicetest_31bf3856ad364e35"
			       "_1.2.3.4_none_")),
		0);

	assert_int_equal(m->nfiles, 1);
	const struct pkg_file *f = &m->files[0];
	assert_string_equal(f->name, "svc.dll");
	assert_string_equal(f->source_name, "SVC.dll");
	assert_string_equal(f->destination_path, "$(runtime.system32)\\");
	assert_string_equal(f->security_descriptor, "WRP_FILE_DEFAULT_SDDL");
	assert_true(f->has_sha256);
	uint8_t d[32];
	hvo_int_sha256_buf("payload", 7, d);
	assert_memory_equal(f->sha256, d, 32);

	assert_int_equal(m->nservices, 1);
	const struct pkg_service *s = &m->services[0];
	assert_string_equal(s->name, "contoso");
	assert_int_equal(s->type_value, 0x20);
	assert_int_equal(s->start_value, 2);
	assert_true(s->delayed_auto_start);
	assert_int_equal(s->error_control_value, 2);
	assert_string_equal(s->object_name, "NT AUTHORITY\\LocalService");
	assert_string_equal(s->group, "Extended Base");
	assert_int_equal(s->nrequired_privileges, 2);
	assert_string_equal(s->required_privileges[1], "SeB");
	assert_int_equal(s->ndepend_on_service, 2);
	assert_string_equal(s->depend_on_service[0], "RpcSs");
	assert_string_equal(s->depend_on_service[1], "Tcpip");
	assert_int_equal(s->ndepend_on_group, 1);
	assert_int_equal(s->ntriggers, 1);
	assert_string_equal(s->triggers[0].subtype, "WNF_X");
	assert_string_equal(s->triggers[0].data_value, "7518");
	assert_int_equal(s->failure_reset_period, 86400);
	assert_int_equal(s->nfailure_actions, 2);
	assert_int_equal(s->failure_actions[0].delay_ms, 10000);

	assert_int_equal(m->nsvchost, 1);
	assert_string_equal(m->svchost[0].group, "ContosoGroup");
	assert_string_equal(m->svchost[0].service, "contoso");

	assert_int_equal(m->nreg_keys, 1);
	const struct pkg_reg_key *k = &m->reg_keys[0];
	assert_string_equal(k->security_descriptor, "KeySd");
	assert_true(k->owner);
	assert_int_equal(k->nvalues, 6);
	assert_string_equal(k->values[0].name, "");
	assert_int_equal(k->values[0].data.type, PKG_REG_SZ);
	assert_int_equal(k->values[1].data.type, PKG_REG_EXPAND_SZ);
	assert_int_equal(k->values[2].data.type, PKG_REG_MULTI_SZ);
	assert_int_equal(k->values[2].data.nstrv, 3);
	assert_string_equal(k->values[2].data.strv[1], "b,c");
	assert_string_equal(k->values[2].data.strv[2], "d\"e");
	assert_int_equal(k->values[3].data.num, 10);
	assert_int_equal(k->values[4].data.type, PKG_REG_QWORD);
	assert_int_equal(k->values[4].data.num, 0x100000000ull);
	assert_int_equal(k->values[5].data.nbin, 3);
	assert_int_equal(k->values[5].data.bin[1], 0xff);
	assert_int_equal(k->values[5].data.bin[2], 0x0a);

	assert_int_equal(m->nsds, 1);
	assert_string_equal(m->sds[0].sddl, "D:P(A;;GA;;;SY)");
	assert_int_equal(m->ndeps, 1);
	assert_string_equal(m->deps[0].dependency_type, "prerequisite");
	assert_string_equal(m->deps[0].resource_type, "Resources");
	assert_false(m->deps[0].discoverable);

	/* Not modelled, but listed: the BootCritical membership and the
	 * task scheduler element. */
	assert_int_equal(m->nunmodelled, 2);
	assert_string_equal(m->unmodelled[0].element,
			    "assembly/memberships/categoryMembership");
	assert_string_equal(m->unmodelled[1].element, "assembly/taskScheduler");
	pkg_arena_free(a);
}

/* UTF-16LE with a BOM is read like UTF-8. */
static void test_utf16(void **state)
{
	(void)state;
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"utf-16\"?>"
		"<assembly><assemblyIdentity name=\"A\" version=\"1.0.0.0\" "
		"processorArchitecture=\"x86\"/></assembly>";
	uint8_t *u16;
	size_t n;
	assert_int_equal(hvo_int_utf8_to_utf16le(xml, strlen(xml), &u16, &n),
			 0);
	uint8_t *buf = malloc(n + 2);
	buf[0] = 0xFF; /* BOM */
	buf[1] = 0xFE;
	memcpy(buf + 2, u16, n);
	struct pkg_arena *a = pkg_arena_new();
	struct pkg_manifest *m;
	struct pkg_error e = { 0 };
	assert_int_equal(pkg_manifest_parse(a, buf, n + 2, "u", &m, &e), 0);
	assert_string_equal(m->identity.name, "A");
	pkg_arena_free(a);
	free(buf);
	free(u16);
}

static void test_invalid(void **state)
{
	(void)state;
	char msg[700];
	static const struct {
		const char *xml;
		enum pkg_err err;
		const char *text;
	} cases[] = {
		{ "", PKG_ERR_XML, "empty" },
		{ "DCM\x01xxxx", PKG_ERR_UNSUPPORTED, "DCM" },
		{ "<assembly><unclosed></assembly>", PKG_ERR_XML,
		  "t.manifest:1" },
		{ "<package/>", PKG_ERR_MANIFEST, "not <assembly>" },
		{ "<assembly/>", PKG_ERR_MANIFEST, "no assemblyIdentity" },
		{ "<assembly><assemblyIdentity name=\"a\" version=\"1.x\" "
		  "processorArchitecture=\"x86\"/></assembly>",
		  PKG_ERR_MANIFEST, "version" },
		{ "<assembly>\n<assemblyIdentity name=\"a\" version=\"1.0\" "
		  "processorArchitecture=\"x86\"/>\n<file name=\"a\" "
		  "sourceName=\"..\\x\"/></assembly>",
		  PKG_ERR_MANIFEST, "t.manifest:3: file a: sourceName" },
		{ "<assembly><assemblyIdentity name=\"a\" version=\"1.0\" "
		  "processorArchitecture=\"x86\"/><file name=\"a\"><hash>"
		  "<DigestMethod Algorithm=\"http://www.w3.org/2000/09/"
		  "xmldsig#sha256\"/><DigestValue>AAAA</DigestValue></hash>"
		  "</file></assembly>",
		  PKG_ERR_MANIFEST, "DigestValue" },
		{ "<assembly><assemblyIdentity name=\"a\" version=\"1.0\" "
		  "processorArchitecture=\"x86\"/><registryKeys><registryKey "
		  "keyName=\"k\"><registryValue name=\"v\" "
		  "valueType=\"REG_FOO\" "
		  "value=\"1\"/></registryKey></registryKeys></assembly>",
		  PKG_ERR_MANIFEST, "REG_FOO" },
		{ "<assembly><assemblyIdentity name=\"a\" version=\"1.0\" "
		  "processorArchitecture=\"x86\"/><registryKeys><registryKey "
		  "keyName=\"k\"><registryValue name=\"v\" "
		  "valueType=\"REG_DWORD\" "
		  "value=\"0x100000000\"/></registryKey>"
		  "</registryKeys></assembly>",
		  PKG_ERR_MANIFEST, "not a DWORD" },
		/* UTF-16 without a BOM is refused, not guessed. */
		{ "<\0a\0/\0>\0", PKG_ERR_XML, "byte-order mark" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = i == sizeof(cases) / sizeof(cases[0]) - 1
				     ? 8
				     : strlen(cases[i].xml);
		parse_fails(cases[i].xml, len, cases[i].err, msg, sizeof(msg));
		if (strstr(msg, cases[i].text) == NULL)
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].text,
				 msg);
	}
}

/* ---- Hostile XML ---- */

static void test_billion_laughs(void **state)
{
	(void)state;
	/* Ten levels of ten: 10^9 "lol" if expanded. */
	char xml[4096];
	size_t n =
		(size_t)snprintf(xml, sizeof(xml),
				 "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
				 " <!ENTITY lol \"lol\">\n");
	for (int i = 1; i <= 9; i++) {
		n += (size_t)snprintf(xml + n, sizeof(xml) - n,
				      " <!ENTITY lol%d \"", i);
		for (int k = 0; k < 10; k++)
			n += (size_t)snprintf(xml + n, sizeof(xml) - n,
					      i == 1 ? "&lol;" : "&lol%d;",
					      i - 1);
		n += (size_t)snprintf(xml + n, sizeof(xml) - n, "\">\n");
	}
	n += (size_t)snprintf(xml + n, sizeof(xml) - n,
			      "]>\n<assembly a=\"&lol9;\">&lol9;</assembly>\n");
	long before = pkgtest_maxrss_kib();
	char msg[700];
	parse_fails(xml, n, PKG_ERR_HOSTILE, msg, sizeof(msg));
	assert_non_null(strstr(msg, "t.manifest:2:"));
	assert_true(pkgtest_maxrss_kib() - before < RSS_MARGIN_KIB);

	/* The same in UTF-16 (with a BOM) is caught after transcoding. */
	uint8_t *u16;
	size_t n16;
	assert_int_equal(hvo_int_utf8_to_utf16le(xml, n, &u16, &n16), 0);
	uint8_t *buf = malloc(n16 + 2);
	buf[0] = 0xFF;
	buf[1] = 0xFE;
	memcpy(buf + 2, u16, n16);
	parse_fails(buf, n16 + 2, PKG_ERR_HOSTILE, msg, sizeof(msg));
	free(buf);
	free(u16);
}

static void test_external_entity(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE assembly [<!ENTITY x SYSTEM "
		"\"file:///etc/passwd\">]>\n"
		"<assembly><assemblyIdentity name=\"&x;\" version=\"1.0\" "
		"processorArchitecture=\"x86\"/>&x;</assembly>\n",
		/* A parameter entity and an external DTD. */
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE assembly SYSTEM \"http://127.0.0.1:9/x.dtd\" "
		"[<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>\n"
		"<assembly/>\n",
		/* An entity declared without a DOCTYPE (not well-formed) is
		 * still refused before libxml2 sees it. */
		"<!ENTITY x SYSTEM \"file:///etc/passwd\"><assembly/>",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char msg[700];
		parse_fails(docs[i], strlen(docs[i]), PKG_ERR_HOSTILE, msg,
			    sizeof(msg));
		assert_null(strstr(msg, "root:"));
	}
	/* UTF-7 could spell the DOCTYPE in other bytes; the text is read as
	 * UTF-8 whatever it declares, so this is merely malformed. */
	static const char utf7[] = "<?xml version=\"1.0\" encoding=\"UTF-7\"?>"
				   "+ADw-!DOCTYPE a +AFs-+ADw-!ENTITY x SYSTEM "
				   "+ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-"
				   "<assembly>+ACY-x;</assembly>";
	char msg[700];
	parse_fails(utf7, strlen(utf7), PKG_ERR_XML, msg, sizeof(msg));
	assert_null(strstr(msg, "root:"));
}

static void test_deep_nesting(void **state)
{
	(void)state;
	const size_t depth = 10000;
	size_t len = depth * 7 + 64;
	char *xml = malloc(len);
	size_t n = 0;
	for (size_t i = 0; i < depth; i++)
		n += (size_t)sprintf(xml + n, "<a>");
	for (size_t i = 0; i < depth; i++)
		n += (size_t)sprintf(xml + n, "</a>");
	long before = pkgtest_maxrss_kib();
	char msg[700];
	parse_fails(xml, n, PKG_ERR_LIMIT, msg, sizeof(msg));
	assert_non_null(strstr(msg, "nested deeper than 64"));
	assert_true(pkgtest_maxrss_kib() - before < RSS_MARGIN_KIB);
	free(xml);
}

static void test_huge_attribute(void **state)
{
	(void)state;
	/* 100 MB: refused by size before any parsing. */
	const size_t big = 100u << 20;
	char *xml = malloc(big + 64);
	assert_non_null(xml);
	size_t n = (size_t)sprintf(xml, "<assembly a=\"");
	memset(xml + n, 'x', big);
	n += big;
	n += (size_t)sprintf(xml + n, "\"/>");
	long before = pkgtest_maxrss_kib();
	char msg[700];
	parse_fails(xml, n, PKG_ERR_LIMIT, msg, sizeof(msg));
	assert_non_null(strstr(msg, "the limit is"));
	/* The test's own 100 MB buffer, and nothing like it again. */
	assert_true(pkgtest_maxrss_kib() - before <
		    (long)(big / 1024) + RSS_MARGIN_KIB);

	/* 1 MB inside a document under the size cap: the attribute limit. */
	n = (size_t)sprintf(xml, "<assembly a=\"");
	memset(xml + n, 'x', 1u << 20);
	n += 1u << 20;
	n += (size_t)sprintf(xml + n, "\"/>");
	parse_fails(xml, n, PKG_ERR_LIMIT, msg, sizeof(msg));
	assert_non_null(strstr(msg, "attribute a of <assembly>"));
	/* And as text content. */
	n = (size_t)sprintf(xml, "<assembly>");
	memset(xml + n, 'x', 1u << 20);
	n += 1u << 20;
	n += (size_t)sprintf(xml + n, "</assembly>");
	parse_fails(xml, n, PKG_ERR_LIMIT, msg, sizeof(msg));
	assert_non_null(strstr(msg, "text of <assembly>"));
	free(xml);
}

static void test_many_elements(void **state)
{
	(void)state;
	const size_t count = PKG_XML_MAX_ELEMENTS + 10;
	char *xml = malloc(count * 4 + 64);
	size_t n = (size_t)sprintf(xml, "<assembly>");
	for (size_t i = 0; i < count; i++)
		n += (size_t)sprintf(xml + n, "<a/>");
	n += (size_t)sprintf(xml + n, "</assembly>");
	char msg[700];
	parse_fails(xml, n, PKG_ERR_LIMIT, msg, sizeof(msg));
	assert_non_null(strstr(msg, "elements"));
	free(xml);
}

/* ---- update.mum and linking ---- */

#define ID(name, extra)                                                      \
	"<assemblyIdentity name=\"" name "\" version=\"1.0.0.0\" "           \
	"processorArchitecture=\"amd64\" language=\"neutral\" "              \
	"publicKeyToken=\"31bf3856ad364e35\" versionScope=\"nonSxS\" " extra \
	"/>"

static struct pkg_manifest *component(struct pkg_arena *a, const char *body)
{
	char *xml;
	assert_true(asprintf(&xml, HEAD "%s</assembly>", body) > 0);
	struct pkg_manifest *m = parse_ok(a, xml);
	free(xml);
	return m;
}

static void test_mum_and_link(void **state)
{
	(void)state;
	static const char mum[] = HEAD ID(
		"Pkg",
		"") "\n"
		    "<package identifier=\"KB1\" releaseType=\"Update\" "
		    "restart=\"possible\">\n"
		    "<parent integrate=\"delegate\">" ID(
			    "Parent",
			    "") "</parent>\n"
				"<update name=\"drv\"><driver inf=\"d.inf\" "
				"ranking=\"force\">" ID(
					"d.inf",
					"type=\"driverUpdate\"") "</driver></"
								 "update>\n"
								 "<update "
								 "name="
								 "\"comp\"><"
								 "component"
								 ">" ID("Top",
									"") "</"
									    "co"
									    "mp"
									    "on"
									    "en"
									    "t>"
									    "</"
									    "up"
									    "da"
									    "te"
									    ">"
									    "\n"
									    "<s"
									    "el"
									    "ec"
									    "ta"
									    "bl"
									    "e/"
									    ">"
									    "\n"
									    "</"
									    "pa"
									    "ck"
									    "ag"
									    "e>"
									    "</"
									    "as"
									    "se"
									    "mb"
									    "ly"
									    ">";
	struct pkg_arena *a = pkg_arena_new();
	struct pkg_package *p;
	struct pkg_error e = { 0 };
	assert_int_equal(
		pkg_mum_parse(a, mum, strlen(mum), "update.mum", &p, &e),
		PKG_OK);
	assert_string_equal(p->identifier, "KB1");
	assert_string_equal(p->restart, "possible");
	assert_int_equal(p->nupdates, 2);
	assert_string_equal(p->updates[0].ranking, "force");
	assert_int_equal(p->nunmodelled, 1);
	assert_string_equal(p->unmodelled[0].element, "assembly/package/"
						      "selectable");

	/* Top -> Mid -> Leaf -> Mid (a cycle), Top -> Leaf, and a
	 * prerequisite that is not in the package. */
	struct pkg_manifest *ms[4];
	ms[0] = component(
		a,
		ID("d.inf",
		   "type=\"driverUpdate\"") "<file "
					    "name=\"d.inf\"><infFile/></file>");
	ms[1] = component(
		a,
		ID("Top",
		   "") "<dependency><dependentAssembly "
		       "dependencyType=\"install\">" ID(
			       "Mid",
			       "") "</dependentAssembly></"
				   "dependency><dependency>"
				   "<dependentAssembly "
				   "dependencyType=\"install\">" ID(
					   "Leaf",
					   "") "</dependentAssembly></"
					       "dependency>"
					       "<dependency><dependentAssembly "
					       "dependencyType="
					       "\"prerequisite\">" ID(
						       "Absent",
						       "") "</"
							   "dependentAssembly><"
							   "/dependency>");
	ms[2] = component(
		a,
		ID("Mid", "") "<dependency><dependentAssembly "
			      "dependencyType=\"install\">" ID(
				      "Leaf",
				      "") "</dependentAssembly></dependency>");
	ms[3] = component(
		a,
		ID("Leaf", "") "<dependency><dependentAssembly "
			       "dependencyType=\"install\">" ID(
				       "Mid",
				       "") "</dependentAssembly></dependency>");
	struct pkg_manifest arr[4];
	for (int i = 0; i < 4; i++)
		arr[i] = *ms[i];
	p->manifests = arr;
	p->nmanifests = 4;
	assert_int_equal(pkg_package_link(a, p, &e), PKG_OK);
	assert_ptr_equal(p->updates[0].manifest, &arr[0]);
	const struct pkg_update *u = &p->updates[1];
	assert_int_equal(u->nclosure, 3);
	assert_string_equal(u->closure[0]->identity.name, "Top");
	assert_string_equal(u->closure[1]->identity.name, "Mid");
	assert_string_equal(u->closure[2]->identity.name, "Leaf");
	assert_ptr_equal(pkg_package_find(p, &ms[2]->identity), &arr[2]);

	/* Without Leaf, its install dependency is missing. */
	p->nmanifests = 3;
	pkg_error_clear(&e);
	assert_int_equal(pkg_package_link(a, p, &e), PKG_ERR_MISSING);
	assert_non_null(strstr(e.msg, "dependency Leaf"));
	/* Without the driver's component, the update is missing. */
	arr[0] = *ms[1];
	pkg_error_clear(&e);
	assert_int_equal(pkg_package_link(a, p, &e), PKG_ERR_MISSING);
	assert_non_null(strstr(e.msg, "update drv"));
	pkg_arena_free(a);
}

static void test_mum_invalid(void **state)
{
	(void)state;
	struct {
		const char *xml;
		enum pkg_err err;
	} cases[] = {
		/* A component manifest is not a package. */
		{ HEAD ID("A", "") "</assembly>", PKG_ERR_NOT_PACKAGE },
		{ HEAD ID("A", "") "<package><parent/></package></assembly>",
		  PKG_ERR_MANIFEST },
		{ HEAD ID("A", "") "<package><update><driver>" ID(
			  "d", "") "</driver></update></package></assembly>",
		  PKG_ERR_MANIFEST },
		{ HEAD ID("A", "") "<package><update><driver "
				   "inf=\"..\\x.inf\">" ID(
					   "d", "") "</driver></update></"
						    "package></assembly>",
		  PKG_ERR_MANIFEST },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkg_arena *a = pkg_arena_new();
		struct pkg_package *p;
		struct pkg_error e = { 0 };
		assert_int_equal(pkg_mum_parse(a, cases[i].xml,
					       strlen(cases[i].xml), "u.mum",
					       &p, &e),
				 cases[i].err);
		pkg_arena_free(a);
	}
	/* A nested package cannot be linked. */
	static const char nested[] =
		HEAD ID("A", "") "<package><update name=\"n\"><package>" ID(
			"Inner", "") "</package></update></package></assembly>";
	struct pkg_arena *a = pkg_arena_new();
	struct pkg_package *p;
	struct pkg_error e = { 0 };
	assert_int_equal(
		pkg_mum_parse(a, nested, strlen(nested), "u.mum", &p, &e),
		PKG_OK);
	assert_int_equal(pkg_package_link(a, p, &e), PKG_ERR_UNSUPPORTED);
	pkg_arena_free(a);
}

/* ---- Component keys ---- */

static void test_keys(void **state)
{
	(void)state;
	struct pkg_arena *a = pkg_arena_new();
	/* From the cabextract listing of the 6.2 x64 cabinet: the
	 * Deployment component's manifest name. */
	struct pkg_identity dep = {
		.name = "Microsoft-Hyper-V-Integration-Services-Deployment",
		.version = "6.3.9600.19456",
		.arch = "amd64",
		.language = "neutral",
		.public_key_token = "31bf3856ad364e35",
		.build_type = "release",
		.version_scope = "nonSxS",
	};
	assert_string_equal(pkg_component_key(a, &dep),
			    "amd64_microsoft-hyper-v-i..services-deployment_"
			    "31bf3856ad364e35_6.3.9600.19456_none_"
			    "0c12a1dabcfc537c");
	/* buildType takes no part in the hash; type does. */
	dep.build_type = NULL;
	assert_string_equal(pkg_component_key(a, &dep) +
				    strlen(pkg_component_key(a, &dep)) - 16,
			    "0c12a1dabcfc537c");
	uint64_t h = pkg_identity_hash(&dep);
	dep.type = "driverUpdate";
	assert_true(pkg_identity_hash(&dep) != h);
	/* A culture is hashed, and shortened past 8 characters. */
	dep.type = NULL;
	dep.language = "en-US";
	char *k = pkg_component_key(a, &dep);
	assert_non_null(strstr(k, "_en-us_"));
	assert_true(pkg_identity_hash(&dep) != h);
	dep.language = "sr-Latn-RS-x";
	k = pkg_component_key(a, &dep);
	assert_non_null(strstr(k, "_sr-..s-x_"));
	/* Exactly 40 characters: not shortened. */
	dep.name = "abcdefghijabcdefghijabcdefghijabcdefghij";
	assert_non_null(strstr(pkg_component_key(a, &dep),
			       "_abcdefghijabcdefghijabcdefghijabcdefghij_"));
	dep.name = NULL;
	assert_null(pkg_component_key(a, &dep));
	pkg_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_component),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_external_entity),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_attribute),
		cmocka_unit_test(test_many_elements),
		cmocka_unit_test(test_mum_and_link),
		cmocka_unit_test(test_mum_invalid),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
