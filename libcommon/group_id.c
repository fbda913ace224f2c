/*
 * group_id.c: what may name a consumer group.  See group_id.h.
 */
#include "group_id.h"

#include <string.h>

int group_id_check(const char *id, struct err *e)
{
	size_t n = strlen(id);

	if (n == 0 || n > GROUP_ID_MAX)
		return err_set(e, SLOG_EINVALID_GROUP_ID, "a group id has 1 to %d bytes",
			       GROUP_ID_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return err_set(e, SLOG_EINVALID_GROUP_ID, "a group id has no control characters");
	if (memchr(id, '/', n))
		return err_set(e, SLOG_EINVALID_GROUP_ID, "a group id has no '/'");
	return 0;
}
