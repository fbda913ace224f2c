/*
 * quorum_voters.c: controller.quorum.voters, read.  See quorum.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/quorum.h"

static int parse_one_voter(const char *item, size_t len, struct quorum_voter *v, struct err *e)
{
	char text[QUORUM_ADDR_MAX + 16], *at, *end, *colon;
	long id, port;

	if (len == 0 || len >= sizeof(text))
		return err_set(e, SLOG_EINVALID_CONFIG, "a voter is id@host:port, not '%.*s'",
			       (int)len, item);
	memcpy(text, item, len);
	text[len] = 0;
	at = strchr(text, '@');
	errno = 0;
	id = at ? strtol(text, &end, 10) : 0;
	if (!at || end != at || errno || id < 1 || id > INT32_MAX)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "a voter is id@host:port with an id from 1, not '%s'", text);
	colon = strrchr(at + 1, ':');
	port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || colon == at + 1 || *end || colon[1] == 0 || port < 0 || port > 65535)
		return err_set(e, SLOG_EINVALID_CONFIG, "voter '%s' needs host:port after the '@'",
			       text);
	v->id = (int32_t)id;
	snprintf(v->addr, sizeof(v->addr), "%s", at + 1);
	return 0;
}

int quorum_parse_voters(const char *text, struct quorum_voter *voters, size_t *n,
			struct err *e)
{
	const char *p = text;

	*n = 0;
	while (p && *p) {
		size_t len = strcspn(p, ",");
		int rc;

		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (*n == QUORUM_MAX_VOTERS)
			return err_set(e, SLOG_EINVALID_CONFIG, "at most %d voters",
				       QUORUM_MAX_VOTERS);
		rc = parse_one_voter(p, len, &voters[*n], e);
		if (rc)
			return rc;
		for (size_t i = 0; i < *n; i++)
			if (voters[i].id == voters[*n].id)
				return err_set(e, SLOG_EINVALID_CONFIG, "voter id %d is listed twice",
					       voters[i].id);
		(*n)++;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (*n == 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "no voters in '%s'", text ? text : "");
	return 0;
}

