/*
 * controller_link.c: following the controller.  See controller_link.h.
 */
#include "cluster/controller_link.h"

#include <stdio.h>
#include <string.h>

#include "cluster/peer_client.h"

#define MAX_REDIRECTS 3

void controller_link_init(struct controller_link *l, struct broker *b)
{
	memset(l, 0, sizeof(*l));
	l->b = b;
	l->pc = peer_client_new();
}

void controller_link_free(struct controller_link *l)
{
	peer_client_free(l->pc);
	l->pc = NULL;
}

void controller_link_stop(struct controller_link *l)
{
	peer_client_stop(l->pc);
}

/* The controller's URL in an answer's (or an error's) "controller". */
static int named_controller(json_t *obj, char *url, size_t size)
{
	const char *u = json_string_value(json_object_get(json_object_get(obj, "controller"), "url"));

	if (!u || strncmp(u, "http://", 7) != 0 || strlen(u) >= size)
		return -1;
	snprintf(url, size, "%s", u);
	return 0;
}

/* Where to send: the controller that answered last, else the next
 * candidate. */
static void pick_target(struct controller_link *l, char *url, size_t size)
{
	struct peer_list pl;

	if (l->url[0]) {
		snprintf(url, size, "%s", l->url);
		return;
	}
	cluster_peers_controllers(l->b, &pl);
	if (pl.n == 0) {
		cluster_self_url(l->b, url, size);
		return;
	}
	snprintf(url, size, "%s", pl.url[l->next++ % pl.n]);
}

int controller_link_call(struct controller_link *l, const char *path, json_t *body,
			 int64_t deadline_ms, json_t **answer, char *used, size_t size,
			 struct err *e)
{
	char url[PEER_URL_MAX];
	json_t *ans = NULL;
	int rc;

	pick_target(l, url, sizeof(url));
	for (int hops = 0;; hops++) {
		json_decref(ans);
		ans = NULL;
		rc = peer_call(l->pc, url, "POST", path, body, deadline_ms, &ans, e);
		if (!rc) {
			if (named_controller(ans, l->url, sizeof(l->url)))
				snprintf(l->url, sizeof(l->url), "%s", url);
		} else if (rc == SLOG_ENOT_CONTROLLER && hops < MAX_REDIRECTS &&
			   !named_controller(json_object_get(ans, "error"), l->url,
					     sizeof(l->url)) &&
			   strcmp(l->url, url) != 0) {
			snprintf(url, sizeof(url), "%s", l->url);
			continue;
		} else if (rc == SLOG_ENOT_CONTROLLER || !ans) {
			l->url[0] = '\0'; /* ask the next candidate next time */
		} else {
			/* The controller refused: it is still the one to ask. */
			snprintf(l->url, sizeof(l->url), "%s", url);
		}
		break;
	}
	if (used)
		snprintf(used, size, "%s", url);
	if (answer)
		*answer = ans;
	else
		json_decref(ans);
	return rc;
}
