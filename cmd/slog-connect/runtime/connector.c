/*
 * connector.c: finding a connector class by name, the names of task
 * states, and the log lines of a task.
 *
 * The classes are connector_classes.c's list.  A unit test may register
 * a class of its own (connector_class_register): the runtime is tested
 * with a class whose behaviour the test controls, and that class never
 * ships in the program.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"

extern const struct connector_class *const connector_class_list[];

#define EXTRA_CLASSES 8

/* Written before any thread starts (tests only), read after. */
static const struct connector_class *extra[EXTRA_CLASSES];
static size_t nextra;

static size_t builtin_count(void)
{
	size_t n = 0;

	while (connector_class_list[n])
		n++;
	return n;
}

int connector_class_register(const struct connector_class *cls)
{
	if (nextra == EXTRA_CLASSES)
		return -1;
	extra[nextra++] = cls;
	return 0;
}

static int class_named(const struct connector_class *c, const char *name)
{
	if (strcmp(c->name, name) == 0)
		return 1;
	/* Kafka's class names are written with their case, but a user who
	 * types filestreamsource means the same class. */
	for (const char *const *a = c->aliases; a && *a; a++)
		if (strcasecmp(*a, name) == 0)
			return 1;
	return 0;
}

const struct connector_class *connector_class_find(const char *name)
{
	size_t n = builtin_count();

	for (size_t i = 0; i < n; i++)
		if (class_named(connector_class_list[i], name))
			return connector_class_list[i];
	for (size_t i = 0; i < nextra; i++)
		if (class_named(extra[i], name))
			return extra[i];
	return NULL;
}

const struct connector_class *const *connector_classes(size_t *n)
{
	*n = builtin_count();
	return connector_class_list;
}

const char *task_state_name(enum task_state s)
{
	switch (s) {
	case TASK_UNASSIGNED: return "UNASSIGNED";
	case TASK_RUNNING: return "RUNNING";
	case TASK_PAUSED: return "PAUSED";
	case TASK_FAILED: return "FAILED";
	case TASK_STOPPED: return "STOPPED";
	}
	return "UNASSIGNED";
}

void task_log(const struct connect_task *t, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > (int)log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (t->cc && t->id > 0)
		log_msg((enum log_level)level, "%s[%d]: %s", t->cc->name, t->id, line);
	else
		log_msg((enum log_level)level, "%s: %s", t->cc ? t->cc->name : "connector", line);
}
