/*
 * topic_name.c: what may name a topic.  See topic_name.h.
 */
#include "topic_name.h"

#include <string.h>

int topic_name_check(const char *name, struct err *e)
{
	size_t n = strlen(name);

	if (n == 0 || n > TOPIC_NAME_MAX)
		return err_set(e, SLOG_EINVALID_TOPIC, "a topic name has 1 to %d characters", TOPIC_NAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return err_set(e, SLOG_EINVALID_TOPIC, "'%s' cannot be a topic name", name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return err_set(e, SLOG_EINVALID_TOPIC,
				       "topic names use only letters, digits, '.', '_' and '-'");
	}
	return 0;
}
