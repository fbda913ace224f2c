/*
 * broker_list.c: the addresses a client knows.  See broker_list.h.
 */
#include "broker_list.h"

#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "xalloc.h"

int broker_list_add(struct broker_list *l, const char *base)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->url[i], base) == 0)
			return 0;
	l->url = xrealloc(l->url, (l->n + 1) * sizeof(*l->url));
	l->url[l->n++] = xstrdup(base);
	return 1;
}

size_t broker_list_parse(struct broker_list *l, const char *csv)
{
	size_t added = 0;

	for (const char *p = csv, *end; p; p = *end ? end + 1 : NULL) {
		char one[256], base[300];
		size_t n;

		end = p + strcspn(p, ",");
		while (p < end && *p == ' ')
			p++;
		n = (size_t)(end - p);
		while (n && p[n - 1] == ' ')
			n--;
		if (n == 0 || n >= sizeof(one))
			continue;
		memcpy(one, p, n);
		one[n] = '\0';
		if (http_broker_base(one, base, sizeof(base), NULL) == 0)
			added += (size_t)broker_list_add(l, base);
	}
	l->given = l->n;
	return added;
}

int broker_list_entry_url(json_t *broker, char *out, size_t len)
{
	const char *url = json_string_value(json_object_get(broker, "url"));
	const char *host = json_string_value(json_object_get(broker, "host"));
	json_int_t port = json_integer_value(json_object_get(broker, "port"));

	if (url)
		return http_broker_base(url, out, len, NULL) == 0 ? 0 : -1;
	if (!host || !*host || port < 1 || port > 65535)
		return -1;
	http_base_url(out, len, host, (long)port);
	return 0;
}

long long broker_list_entry_id(json_t *broker)
{
	json_t *id = json_object_get(broker, "id");

	if (!json_is_integer(id))
		id = json_object_get(broker, "node_id");
	return json_is_integer(id) ? (long long)json_integer_value(id) : -1;
}

size_t broker_list_learn(struct broker_list *l, json_t *brokers)
{
	size_t i, added = 0;
	json_t *b;
	char base[300];

	json_array_foreach(brokers, i, b)
		if (broker_list_entry_url(b, base, sizeof(base)) == 0)
			added += (size_t)broker_list_add(l, base);
	return added;
}

void broker_list_free(struct broker_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->url[i]);
	free(l->url);
	memset(l, 0, sizeof(*l));
}
