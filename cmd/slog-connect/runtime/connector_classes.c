/*
 * connector_classes.c: the connector classes built into slog-connect.
 *
 * One line per class: its declaration, and its entry in the list (kept
 * in the order `connector-plugins` lists them).  A class is defined in
 * its own file under connectors/; nothing here knows more than its name.
 */
#include <stddef.h>

#include "runtime/connector.h"

extern const struct connector_class mirror_class;

const struct connector_class *const connector_class_list[] = {
	&mirror_class,
	NULL,
};
