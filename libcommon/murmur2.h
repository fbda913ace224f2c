/*
 * murmur2.h: Kafka's default partitioner for keyed records.
 *
 * The Java client hashes a record's key bytes with MurmurHash2 (32-bit,
 * seed 0x9747b28c) and picks partition (hash & 0x7fffffff) % count.
 * Doing exactly the same means a key lands in the same partition whether
 * slog-produce or a Java producer wrote it (kcat's default, CRC32, does
 * not).  Pure functions; thread-safe.
 */
#ifndef SLOG_MURMUR2_H
#define SLOG_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/* The 32-bit hash, as Kafka's Utils.murmur2() returns it (signed). */
int32_t murmur2(const void *key, size_t len);

/* The partition for a non-null key among count partitions (count > 0). */
int32_t murmur2_partition(const void *key, size_t len, int32_t count);

#endif
