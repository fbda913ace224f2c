/*
 * test_checksums.c: CRC-32C against RFC 3720's vectors (both paths),
 * MurmurHash2 against Kafka's own test vectors, and zigzag varints.
 */
#include <limits.h>
#include <string.h>

#include "crc32c.h"
#include "murmur2.h"
#include "unit.h"
#include "varint.h"

static const uint8_t iscsi_read_pdu[48] = {
	0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn f)
{
	uint8_t b[32];

	/* RFC 3720, appendix B.4. */
	memset(b, 0, 32);
	CHECK_EQ(f(0, b, 32), 0x8a9136aa);
	memset(b, 0xff, 32);
	CHECK_EQ(f(0, b, 32), 0x62a8ab43);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	CHECK_EQ(f(0, b, 32), 0x46dd794e);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	CHECK_EQ(f(0, b, 32), 0x113fdb5c);
	CHECK_EQ(f(0, iscsi_read_pdu, sizeof(iscsi_read_pdu)), 0xd9963a56);
	/* The customary check value. */
	CHECK_EQ(f(0, "123456789", 9), 0xe3069283);
	CHECK_EQ(f(0, "", 0), 0);
}

static void test_crc32c_software_vectors(void)
{
	check_vectors(crc32c_sw);
}

static void test_crc32c_hardware_vectors(void)
{
	if (!crc32c_hw_available()) {
		unit_diag("no SSE4.2 on this CPU: hardware path not tested");
		return;
	}
	check_vectors(crc32c_hw);
}

/* Long buffers take the three-stream path; every length and split must
 * agree with the byte-at-a-time software result. */
static void test_crc32c_paths_agree_on_random_data(void)
{
	static uint8_t data[100000];

	unit_rand_bytes(data, sizeof(data));
	for (int i = 0; i < 300; i++) {
		size_t off = unit_rand_below(64);
		size_t len = unit_rand_below(sizeof(data) - off);
		size_t cut = unit_rand_below(len + 1);
		uint32_t whole = crc32c_sw(0, data + off, len);
		uint32_t chained = crc32c(crc32c(0, data + off, cut), data + off + cut, len - cut);

		if (!CHECK(crc32c(0, data + off, len) == whole) || !CHECK(chained == whole)) {
			unit_diag("off %zu len %zu cut %zu", off, len, cut);
			return;
		}
	}
}

static void test_murmur2_matches_kafka_vectors(void)
{
	/* org.apache.kafka.common.utils.UtilsTest#testMurmur2 */
	CHECK_EQ(murmur2("21", 2), -973932308);
	CHECK_EQ(murmur2("foobar", 6), -790332482);
	CHECK_EQ(murmur2("a-little-bit-long-string", 24), -985981536);
	CHECK_EQ(murmur2("a-little-bit-longer-string", 26), -1486304829);
	CHECK_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 48), -58897971);
	CHECK_EQ(murmur2("abc", 3), 479470107);
}

static void test_murmur2_partition_is_positive_hash_modulo(void)
{
	/* Kafka: Utils.toPositive(murmur2(key)) % numPartitions. */
	CHECK_EQ(murmur2_partition("21", 2, 10), (-973932308 & 0x7fffffff) % 10);
	CHECK_EQ(murmur2_partition("foobar", 6, 7), (-790332482 & 0x7fffffff) % 7);
	CHECK_EQ(murmur2_partition("abc", 3, 12), 479470107 % 12);
	for (int n = 1; n < 50; n++) {
		int32_t p = murmur2_partition("key", 3, n);
		CHECK(p >= 0 && p < n);
	}
}

static void test_varint_round_trips_and_matches_known_encodings(void)
{
	static const int64_t values[] = { 0, 1, -1, 63, -64, 64, -65, 127, 128, 300, -300,
					  INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN };
	uint8_t b[VARINT_MAX64];
	int64_t v64;
	int32_t v32;
	size_t n;

	/* zigzag: 0->0, -1->1, 1->2; 64 -> 128 = 0x80 0x01 */
	CHECK_EQ(varint_put_s64(b, -1), 1);
	CHECK_EQ(b[0], 1);
	CHECK_EQ(varint_put_s64(b, 64), 2);
	CHECK(b[0] == 0x80 && b[1] == 0x01);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		n = varint_put_s64(b, values[i]);
		CHECK_EQ(n, varint_len_s64(values[i]));
		CHECK_EQ(varint_get_s64(b, b + n, &v64), n);
		CHECK(v64 == values[i]);
		/* One byte short is an error, never a read past the end. */
		CHECK_EQ(varint_get_s64(b, b + n - 1, &v64), 0);
		if (values[i] >= INT32_MIN && values[i] <= INT32_MAX) {
			n = varint_put_s32(b, (int32_t)values[i]);
			CHECK_EQ(varint_get_s32(b, b + n, &v32), n);
			CHECK_EQ(v32, values[i]);
		}
	}
	for (int i = 0; i < 100000; i++) {
		int64_t v = (int64_t)unit_rand() >> unit_rand_below(64);
		n = varint_put_s64(b, v);
		if (!CHECK(varint_get_s64(b, b + n, &v64) == n && v64 == v))
			return;
	}
}

static void test_varint_rejects_overlong_encodings(void)
{
	uint8_t six[6] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
	uint8_t big32[5] = { 0xff, 0xff, 0xff, 0xff, 0x7f }; /* 35 bits */
	uint8_t eleven[11];
	int32_t v32;
	int64_t v64;

	CHECK_EQ(varint_get_s32(six, six + 6, &v32), 0);
	CHECK_EQ(varint_get_s32(big32, big32 + 5, &v32), 0);
	memset(eleven, 0x80, sizeof(eleven));
	eleven[10] = 0;
	CHECK_EQ(varint_get_s64(eleven, eleven + 11, &v64), 0);
	CHECK_EQ(varint_get_s64(eleven, eleven, &v64), 0);
}

int main(void)
{
	unit_run("crc32c software path matches RFC 3720 vectors", test_crc32c_software_vectors);
	unit_run("crc32c hardware path matches RFC 3720 vectors", test_crc32c_hardware_vectors);
	unit_run("crc32c paths agree on random data and chain", test_crc32c_paths_agree_on_random_data);
	unit_run("murmur2 matches Kafka's test vectors", test_murmur2_matches_kafka_vectors);
	unit_run("murmur2 partition is the positive hash modulo the count",
		 test_murmur2_partition_is_positive_hash_modulo);
	unit_run("varints round-trip and match known encodings",
		 test_varint_round_trips_and_matches_known_encodings);
	unit_run("varints reject overlong encodings", test_varint_rejects_overlong_encodings);
	return unit_done();
}
