/*
 * dir_claim.c: a process-wide table of claimed directories.  See
 * dir_claim.h.  A broker holds thousands of partitions at most; a linear
 * table keeps this simple, and a claim is made once per log opened.
 */
#include "storage/dir_claim.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"

struct claim {
	dev_t dev;
	ino_t ino;
	const void *owner;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct claim *claims;
static size_t nclaims, cap;

int dir_claim(const char *dir, const void *owner, struct err *e)
{
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) != 0)
		return err_set(e, SLOG_ESTORAGE, "%s: %s", dir, strerror(errno));
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nclaims; i++) {
		if (claims[i].dev == st.st_dev && claims[i].ino == st.st_ino) {
			rc = err_set(e, SLOG_ESTORAGE,
				     "%s: another log of this broker has this directory open", dir);
			goto out;
		}
	}
	claims = xgrow(claims, &cap, nclaims + 1, sizeof(*claims));
	claims[nclaims++] = (struct claim){ st.st_dev, st.st_ino, owner };
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

int dir_claimed(const char *dir)
{
	struct stat st;
	int held = 0;

	if (stat(dir, &st) != 0)
		return 0;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nclaims && !held; i++)
		held = claims[i].dev == st.st_dev && claims[i].ino == st.st_ino;
	pthread_mutex_unlock(&lock);
	return held;
}

void dir_claim_release(const void *owner)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nclaims; i++) {
		if (claims[i].owner == owner) {
			claims[i] = claims[--nclaims];
			break;
		}
	}
	if (nclaims == 0) {
		free(claims);
		claims = NULL;
		cap = 0;
	}
	pthread_mutex_unlock(&lock);
}
