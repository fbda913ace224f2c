/*
 * fuzz_http.c: libFuzzer target for HTTP requests below libmicrohttpd.
 *
 * The input is a request as text:
 *
 *   METHOD /path?query
 *   Content-Type: ...          (optional header lines)
 *
 *   body
 *
 * libmicrohttpd parses the wire format; what the broker itself does with
 * a request is what this target runs: http_route() picks the handler and
 * the path's variable segments, which go through the handlers' own
 * argument checks (api_partition_arg(), topic_name_check(),
 * group_id_check()), the query's values through the number parser the
 * handlers use, and the body goes to the parser its route uses:
 * NDJSON lines for a produce, batch_validate() for a batch body, JSON for
 * the others.  Routing's promises are checked: a handler and a 405
 * "Allow" list never both, args point inside the path.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch.h"
#include "batch_check.h"
#include "fuzz.h"
#include "group_id.h"
#include "http/api.h"
#include "meta/meta_state.h"
#include "ndjson.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_request {
	char *method, *path, *query, *content_type;
	const char *body;
	size_t body_len;
};

/* Split the text form in place; 0 when it has a request line. */
static int split_request(char *text, size_t size, struct fuzz_request *fr)
{
	char *end = text + size, *line = text, *nl, *sp;

	memset(fr, 0, sizeof(*fr));
	fr->body = end;
	nl = memchr(line, '\n', size);
	if (!nl)
		return -1;
	*nl = '\0';
	sp = strchr(line, ' ');
	if (!sp)
		return -1;
	*sp = '\0';
	fr->method = line;
	fr->path = sp + 1;
	fr->query = strchr(fr->path, '?');
	if (fr->query)
		*fr->query++ = '\0';
	for (line = nl + 1; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		*nl = '\0';
		if (*line == '\0') {
			fr->body = nl + 1 < end ? nl + 1 : end;
			break;
		}
		if (strncasecmp(line, "Content-Type: ", 14) == 0)
			fr->content_type = line + 14;
	}
	fr->body_len = (size_t)(end - fr->body);
	return 0;
}

static void check_args(enum api api, char **args, int nargs)
{
	struct err e;

	if (api == API_GROUPS && nargs > 0)
		group_id_check(args[0], &e);
	else if (nargs > 0)
		topic_name_check(args[0], &e);
	if (nargs > 1)
		api_partition_arg(args[1]);
}

/*
 * The handlers' numeric query parameters (offset, max_bytes, max_wait_ms,
 * at) all go through units_parse_int(); each "name=value" of the query
 * does here, as libmicrohttpd hands it over (already split, not decoded
 * again).
 */
static void parse_query(char *q)
{
	int64_t v;

	for (char *pair = q, *next; pair; pair = next) {
		char *eq;
		next = strchr(pair, '&');
		if (next)
			*next++ = '\0';
		eq = strchr(pair, '=');
		if (eq)
			units_parse_int(eq + 1, 0, INT64_MAX, &v, NULL);
	}
}

static void parse_ndjson_line(const char *line, size_t len, void *nr)
{
	struct err e;

	ndjson_parse(nr, line, len, &e);
}

static void parse_body(const struct fuzz_request *fr, enum api api)
{
	static struct buf scratch = BUF_INIT;
	struct batch_header h;
	const uint8_t *p = (const uint8_t *)fr->body;
	size_t left = fr->body_len;
	json_error_t je;
	json_t *j;
	struct err e;

	if (api == API_PRODUCE && fr->content_type &&
	    strncasecmp(fr->content_type, "application/x-slog-batch", 24) == 0) {
		while (left && batch_next_in(p, left, &h, &e) == 0) {
			batch_validate(p, batch_size(&h), BATCH_CHECK_PRODUCE, NULL, &scratch, &e);
			p += batch_size(&h);
			left -= batch_size(&h);
		}
	} else if (api == API_PRODUCE) {
		struct ndjson_record nr;
		ndjson_record_init(&nr);
		fuzz_lines(fr->body, fr->body_len, parse_ndjson_line, &nr);
		ndjson_record_free(&nr);
	} else {
		j = json_loadb(fr->body, fr->body_len, 0, &je);
		json_decref(j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *args[HTTP_MAX_ARGS], allow[64];
	struct fuzz_request fr;
	enum api api = API_OTHER;
	http_handler fn;
	int nargs = 0;

	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	if (split_request(text, size, &fr) == 0) {
		char *path_end = fr.path + strlen(fr.path);
		memset(args, 0, sizeof(args));
		fn = http_route(fr.method, fr.path, args, &api, allow, sizeof(allow));
		FUZZ_CHECK(!(fn && *allow));
		FUZZ_CHECK(strlen(allow) < sizeof(allow));
		while (nargs < HTTP_MAX_ARGS && args[nargs]) {
			FUZZ_CHECK(args[nargs] >= fr.path && args[nargs] <= path_end);
			nargs++;
		}
		if (fn) {
			check_args(api, args, nargs);
			if (fr.query)
				parse_query(fr.query);
			parse_body(&fr, api);
		}
	}
	free(text);
	return 0;
}
