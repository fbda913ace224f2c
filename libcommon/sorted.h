/*
 * sorted.h: binary search in a sorted array.
 *
 * The broker keeps its topics, groups, members and offsets in arrays
 * sorted by name: lookups are a binary search and iteration comes out in
 * order, which listings want anyway.
 */
#ifndef SLOG_SORTED_H
#define SLOG_SORTED_H

#include <stddef.h>

/* Compares key with one element of the array (as bsearch's comparator). */
typedef int (*sorted_cmp_fn)(const void *key, const void *elem);

/*
 * The index of the element equal to key (*found = 1), or of where key
 * would be inserted to keep the array sorted (*found = 0).
 */
size_t sorted_locate(const void *base, size_t n, size_t size, const void *key,
		     sorted_cmp_fn cmp, int *found);

#endif
