/*
 * fuzz_conf.c: libFuzzer target for configuration files and the broker's
 * config tables.
 *
 * The input is loaded as a slog-broker.conf file (conf_load_file() over
 * the broker's table, as the broker starts).  When it loads, every value
 * must say itself again: conf_format()'s text, set back, gives the same
 * value (what `slog-broker --print-config` prints must load).  The same
 * lines, read as topic overrides "key=value", go through
 * topic_config_check(); the ones it accepts must then resolve over the
 * loaded broker config, as topic_config_resolve() promises.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker_config.h"
#include "conf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_values_say_themselves(struct conf *c)
{
	char text[512];
	struct err e;

	for (size_t i = 0; i < c->ndefs; i++) {
		int64_t before = c->vals[i].num;
		/* As --print-config: a key with no value (no default, not set) is left out. */
		if (c->vals[i].source == CONF_SRC_DEFAULT && !c->defs[i].def)
			continue;
		conf_format(c, i, text, sizeof(text));
		FUZZ_CHECK(conf_set(c, c->defs[i].key, text, CONF_SRC_FILE, &e) == 0);
		FUZZ_CHECK(c->vals[i].num == before);
	}
}

/* Lines "key=value" (no trimming) that topic_config_check() accepts. */
static json_t *topic_overrides(const uint8_t *data, size_t size)
{
	json_t *o = json_object();
	char *text = strndup((const char *)data, size), *line, *next;

	FUZZ_CHECK(text);
	for (line = text; line; line = next) {
		char *eq;
		struct err e;
		json_t *v;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (topic_config_check(line, eq + 1, &e) != 0)
			continue;
		v = json_string(eq + 1);
		if (v)
			json_object_set_new(o, line, v);
	}
	free(text);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	struct topic_config tc;
	struct err e;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	json_t *overrides, *described;

	FUZZ_CHECK(conf_init(&c, broker_conf_defs, broker_conf_ndefs, &e) == 0);
	if (conf_load_file(&c, path, &e) == 0) {
		check_values_say_themselves(&c);
		overrides = topic_overrides(data, size);
		FUZZ_CHECK(topic_config_resolve(&c, overrides, &tc, &e) == 0);
		described = topic_config_describe(&c, overrides);
		FUZZ_CHECK(described);
		json_decref(described);
		json_decref(overrides);
	}
	conf_free(&c);
	close(fd);
	return 0;
}
