/*
 * connector_classes.c: the connector classes built into slog-connect.
 *
 * One line per class: its declaration, and its entry in the list (kept
 * in the order `connector-plugins` lists them).  A class is defined in
 * its own file under connectors/; nothing here knows more than its name.
 */
#include <stddef.h>

#include "runtime/connector.h"

extern const struct connector_class file_source_class;
extern const struct connector_class file_sink_class;
extern const struct connector_class exec_source_class;
extern const struct connector_class exec_sink_class;
extern const struct connector_class http_source_class;
extern const struct connector_class http_sink_class;
extern const struct connector_class mirror_class;

const struct connector_class *const connector_class_list[] = {
	&file_source_class,
	&file_sink_class,
	&exec_source_class,
	&exec_sink_class,
	&http_source_class,
	&http_sink_class,
	&mirror_class,
	NULL,
};
