/*
 * fuzz_batch.c: libFuzzer target for the batch decoder.
 *
 * Feeds arbitrary bytes to batch_validate() at every level, once as they
 * are and once with the length and CRC fields made consistent, so that
 * the fuzzer reaches the record decoder instead of stopping at the CRC.
 * Any crash, overread (ASan) or undefined behaviour (UBSan) is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "batch_check.h"
#include "buf.h"
#include "endian_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct buf scratch = BUF_INIT;
	uint8_t *copy;

	for (int level = BATCH_CHECK_CRC; level <= BATCH_CHECK_PRODUCE; level++)
		batch_validate(data, size, (enum batch_check)level, NULL, &scratch, NULL);
	if (size < BATCH_HEADER_SIZE)
		return 0;
	copy = malloc(size);
	memcpy(copy, data, size);
	be32_put(copy + BATCH_OFF_LENGTH, (uint32_t)(size - BATCH_LOG_OVERHEAD));
	copy[BATCH_OFF_MAGIC] = BATCH_MAGIC;
	be32_put(copy + BATCH_OFF_CRC, batch_crc_compute(copy, size));
	for (int level = BATCH_CHECK_CRC; level <= BATCH_CHECK_PRODUCE; level++)
		batch_validate(copy, size, (enum batch_check)level, NULL, &scratch, NULL);
	free(copy);
	return 0;
}
