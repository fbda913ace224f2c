/*
 * test_file_tail.c: following files through rename and copytruncate
 * rotations, truncation, globs, short files and equal first bytes.
 *
 * A harness drives the tailer as file_source does (scan, then events
 * until none) and keeps, per file it opened, what it read, and a log of
 * the events ("open a.log@0 trunc a.log close a.log ").
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "connectors/file_tail.h"
#include "unit.h"
#include "xalloc.h"

#define MAXF 16

struct harness {
	struct file_tail *t;
	struct buf data[MAXF];  /* what each opened file gave */
	char *names[MAXF];
	int n;
	struct buf log;
	/* a saved position for start_at: by inode, with a fingerprint */
	ino_t saved_ino;
	uint32_t saved_fp;
	size_t saved_fp_len;
	int64_t saved_pos;
	char dir[512];
};

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int64_t start_at(void *arg, const struct tail_file *f)
{
	struct harness *h = arg;
	if (h->saved_ino && f->ino == h->saved_ino && tail_fp_matches(f, h->saved_fp, h->saved_fp_len))
		return h->saved_pos;
	return -1;
}

static void setup(struct harness *h, const char *pattern, int from_end, int inotify,
		  int64_t rotate_wait_ms)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "%s", unit_tmpdir());
	char paths[2048];
	snprintf(paths, sizeof(paths), "%s/%s", h->dir, pattern);
	struct tail_opts o = { .paths = paths, .poll_ms = 10, .rotate_wait_ms = rotate_wait_ms,
			       .inotify = inotify, .from_end = from_end, .start_at = start_at, .arg = h };
	struct err e;
	if (strchr(pattern, ',')) {
		/* "a,b": both under dir */
		char a[256], b[256];
		sscanf(pattern, "%255[^,],%255s", a, b);
		snprintf(paths, sizeof(paths), "%s/%s, %s/%s", h->dir, a, h->dir, b);
	}
	CHECK_EQ(file_tail_new(&o, &h->t, &e), 0);
}

static void teardown(struct harness *h)
{
	file_tail_free(h->t);
	for (int i = 0; i < h->n; i++) {
		buf_free(&h->data[i]);
		free(h->names[i]);
	}
	buf_free(&h->log);
}

static void on_event(struct harness *h, struct tail_event *ev)
{
	struct tail_file *f = ev->f;
	struct err e;
	switch (ev->type) {
	case TAIL_OPENED:
		REQUIRE(h->n < MAXF);
		h->names[h->n] = xstrdup(base(f->path));
		f->user = &h->data[h->n++];
		buf_addf(&h->log, "open %s@%lld ", base(f->path), (long long)f->pos);
		break;
	case TAIL_READABLE: {
		char chunk[7]; /* small reads: the loop must come back */
		ssize_t n = file_tail_read(h->t, f, chunk, sizeof(chunk), &e);
		if (n > 0)
			buf_add(f->user, chunk, (size_t)n);
		break;
	}
	case TAIL_TRUNCATED:
		buf_addf(&h->log, "trunc %s ", base(f->path));
		buf_adds(f->user, "|");
		break;
	case TAIL_CLOSING:
		buf_addf(&h->log, "close %s ", base(f->path));
		break;
	}
}

static void pump(struct harness *h)
{
	struct err e;
	CHECK_EQ(file_tail_scan(h->t, &e), 0);
	struct tail_event ev;
	while (file_tail_next(h->t, &ev))
		on_event(h, &ev);
}

static const char *path_in(struct harness *h, const char *name)
{
	static char p[2][600];
	static int k;
	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", h->dir, name);
	return p[k];
}

static void append(struct harness *h, const char *name, const char *s)
{
	int fd = open(path_in(h, name), O_WRONLY | O_CREAT | O_APPEND, 0644);
	REQUIRE(fd >= 0);
	CHECK_EQ(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static const char *got(struct harness *h, int i)
{
	return i < h->n ? buf_cstr(&h->data[i]) : "(none)";
}

/* Scan until things settle; then the two files' bytes and the events were these. */
static void settle_and_expect(struct harness *h, const char *first, const char *second,
			      const char *log)
{
	for (int i = 0; i < 3; i++)
		pump(h);
	CHECK(strcmp(got(h, 0), first) == 0);
	CHECK(strcmp(got(h, 1), second) == 0);
	if (!CHECK(strcmp(buf_cstr(&h->log), log) == 0))
		unit_diag("%s", buf_cstr(&h->log));
}

static void test_appended_lines_and_read_from_end(void)
{
	struct harness h;
	setup(&h, "a.log", 1, 1, 100000);
	append(&h, "a.log", "old\n");
	pump(&h);
	CHECK(strcmp(buf_cstr(&h.log), "open a.log@4 ") == 0);
	append(&h, "a.log", "new1\n");
	pump(&h);
	append(&h, "a.log", "new2\n");
	pump(&h);
	CHECK(strcmp(got(&h, 0), "new1\nnew2\n") == 0);
	CHECK(file_tail_idle(h.t));
	teardown(&h);
}

static void test_rename_rotation_drains_the_old_file_before_the_new_opens(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 1, 100000);
	append(&h, "a.log", "1\n2\n");
	pump(&h);
	int old = open(path_in(&h, "a.log"), O_WRONLY | O_APPEND);
	REQUIRE(old >= 0);
	REQUIRE(rename(path_in(&h, "a.log"), path_in(&h, "a.log.1")) == 0);
	CHECK_EQ(write(old, "3\n", 2), 2); /* the writer has not reopened yet */
	pump(&h);
	CHECK_EQ(h.n, 1); /* no new file yet */
	append(&h, "a.log", "4\n");      /* the writer moved on */
	CHECK_EQ(write(old, "3b\n", 3), 3); /* a last line to the old one */
	close(old);
	settle_and_expect(&h, "1\n2\n3\n3b\n", "4\n", "open a.log@0 close a.log open a.log@0 ");
	teardown(&h);
}

static void test_a_deleted_file_closes_after_the_rotate_wait(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 0, 100000);
	append(&h, "a.log", "x\n");
	pump(&h);
	REQUIRE(unlink(path_in(&h, "a.log")) == 0);
	pump(&h);
	CHECK(strstr(buf_cstr(&h.log), "close") == NULL);
	teardown(&h);

	/* rotate_wait 0: closes once read to its end */
	setup(&h, "a.log", 0, 0, 0);
	append(&h, "a.log", "x\n");
	pump(&h);
	REQUIRE(unlink(path_in(&h, "a.log")) == 0);
	pump(&h);
	pump(&h);
	CHECK(strstr(buf_cstr(&h.log), "close a.log") != NULL);
	teardown(&h);
}

static void test_a_rename_inside_the_glob_is_the_same_file(void)
{
	struct harness h;
	setup(&h, "a.log*", 0, 1, 100000);
	append(&h, "a.log", "1\n");
	pump(&h);
	REQUIRE(rename(path_in(&h, "a.log"), path_in(&h, "a.log.1")) == 0);
	append(&h, "a.log.1", "2\n");
	append(&h, "a.log", "3\n");
	pump(&h);
	CHECK_EQ(h.n, 2);
	CHECK(strcmp(got(&h, 0), "1\n2\n") == 0);
	CHECK(strcmp(got(&h, 1), "3\n") == 0);
	CHECK(strstr(buf_cstr(&h.log), "close") == NULL);
	teardown(&h);
}

static void test_copytruncate_restarts_at_zero_and_counts(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 1, 100000);
	append(&h, "a.log", "one\ntwo\n");
	pump(&h);
	REQUIRE(truncate(path_in(&h, "a.log"), 0) == 0);
	append(&h, "a.log", "x\n");
	struct tail_event ev;
	struct err e;
	file_tail_scan(h.t, &e);
	REQUIRE(file_tail_next(h.t, &ev) == 1);
	CHECK_EQ(ev.type, TAIL_TRUNCATED);
	CHECK_EQ(ev.f->pos, 0);
	CHECK_EQ(ev.f->truncations, 1);
	on_event(&h, &ev);
	pump(&h);
	CHECK(strcmp(got(&h, 0), "one\ntwo\n|x\n") == 0);
	teardown(&h);
}

static void test_truncated_and_rewritten_past_our_position_is_seen(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 0, 100000);
	append(&h, "a.log", "aaaa\n");
	pump(&h);
	REQUIRE(truncate(path_in(&h, "a.log"), 0) == 0);
	append(&h, "a.log", "bbbbbbbbbb\n");
	pump(&h);
	CHECK(strcmp(got(&h, 0), "aaaa\n|bbbbbbbbbb\n") == 0);
	teardown(&h);
}

static void test_equal_first_bytes_in_two_files_are_two_files(void)
{
	struct harness h;
	setup(&h, "*.log", 0, 1, 100000);
	char header[300];
	memset(header, 'H', sizeof(header) - 1);
	header[sizeof(header) - 1] = '\n';
	char line[400];
	snprintf(line, sizeof(line), "%.*sA\n", (int)sizeof(header), header);
	append(&h, "a.log", line);
	snprintf(line, sizeof(line), "%.*sB\n", (int)sizeof(header), header);
	append(&h, "b.log", line);
	pump(&h);
	REQUIRE_EQ(h.n, 2);
	CHECK(strchr(got(&h, 0), 'A') || strchr(got(&h, 1), 'A'));
	CHECK(strchr(got(&h, 0), 'B') || strchr(got(&h, 1), 'B'));
	teardown(&h);

	/* A saved position is found by inode, then checked by fingerprint:
	 * d.log with the same first bytes but another inode starts at 0. */
	setup(&h, "[cd].log", 1, 1, 100000);
	snprintf(line, sizeof(line), "%.*sA\n", (int)sizeof(header), header);
	append(&h, "c.log", line);
	snprintf(line, sizeof(line), "%.*sB\n", (int)sizeof(header), header);
	append(&h, "d.log", line);
	struct stat st;
	REQUIRE(stat(path_in(&h, "c.log"), &st) == 0);
	h.saved_ino = st.st_ino;
	int fd = open(path_in(&h, "d.log"), O_RDONLY);
	REQUIRE(tail_fingerprint(fd, &h.saved_fp, &h.saved_fp_len) == 0); /* equal to a's */
	close(fd);
	CHECK_EQ(h.saved_fp_len, TAIL_FP_BYTES);
	h.saved_pos = 300;
	pump(&h);
	/* c.log resumes at 300; d.log has no saved position: read.from=end */
	const char *log = buf_cstr(&h.log);
	CHECK(strstr(log, "open c.log@300") != NULL);
	if (!CHECK(strstr(log, "open d.log@302") != NULL))
		unit_diag("%s", log);
	teardown(&h);
}

static void test_a_saved_position_of_another_file_on_the_same_inode_is_ignored(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 1, 100000);
	append(&h, "a.log", "new content\n");
	struct stat st;
	REQUIRE(stat(path_in(&h, "a.log"), &st) == 0);
	h.saved_ino = st.st_ino; /* same inode, as after a delete and reuse */
	h.saved_fp = 0x12345678;
	h.saved_fp_len = 5;
	h.saved_pos = 7;
	pump(&h);
	CHECK(strstr(buf_cstr(&h.log), "open a.log@0") != NULL);
	teardown(&h);
}

static void test_short_files_grow_their_fingerprint(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 1, 100000);
	append(&h, "a.log", "tiny\n");
	pump(&h);
	char big[300];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	append(&h, "a.log", big);
	append(&h, "a.log", "\n");
	pump(&h);
	CHECK(strstr(buf_cstr(&h.log), "trunc") == NULL);
	CHECK_EQ(h.data[0].len, 5 + 300);

	/* A saved short fingerprint still matches the file once it grew. */
	int fd = open(path_in(&h, "a.log"), O_RDONLY);
	struct tail_file tf = { .fd = fd };
	uint32_t fp;
	size_t len;
	char text[32];
	int sfd = open(path_in(&h, "short"), O_RDWR | O_CREAT, 0644);
	CHECK_EQ(write(sfd, "tiny\n", 5), 5);
	REQUIRE(tail_fingerprint(sfd, &fp, &len) == 0);
	CHECK_EQ(len, 5);
	tail_fp_format(fp, len, text, sizeof(text));
	CHECK(strchr(text, '/') != NULL);
	uint32_t fp2;
	size_t len2;
	CHECK_EQ(tail_fp_parse(text, &fp2, &len2), 0);
	CHECK(fp2 == fp && len2 == 5);
	CHECK(tail_fp_matches(&tf, fp, len));
	CHECK(tail_fp_parse("nothex!!", &fp2, &len2) < 0);
	CHECK(tail_fp_parse("0000000a/999", &fp2, &len2) < 0);
	close(sfd);
	close(fd);
	teardown(&h);
}

static void test_globs_are_rescanned_and_comma_separated(void)
{
	struct harness h;
	setup(&h, "*.log,*.txt", 1, 1, 100000);
	append(&h, "skip.dat", "no\n");
	pump(&h);
	CHECK_EQ(h.n, 0);
	append(&h, "later.log", "L\n"); /* found after the first scan: read from 0 */
	append(&h, "later.txt", "T\n");
	pump(&h);
	REQUIRE_EQ(h.n, 2);
	CHECK(strcmp(got(&h, 0), "L\n") == 0);
	CHECK(strcmp(got(&h, 1), "T\n") == 0);
	teardown(&h);
}

static void test_polling_without_inotify_sees_the_same(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 0, 100000);
	CHECK_EQ(file_tail_fd(h.t), -1);
	append(&h, "a.log", "p\n");
	pump(&h);
	CHECK(strcmp(got(&h, 0), "p\n") == 0);
	teardown(&h);
}

static void test_an_adopted_file_outside_the_globs_is_read_to_its_end_and_closed(void)
{
	struct harness h;
	setup(&h, "a.log", 0, 0, 0);
	struct err e;
	append(&h, "a.log.1", "old\n");
	CHECK_EQ(file_tail_adopt(h.t, path_in(&h, "a.log.1"), &e), 0);
	CHECK_EQ(file_tail_adopt(h.t, path_in(&h, "a.log.1"), &e), 1);
	CHECK_EQ(file_tail_adopt(h.t, path_in(&h, "none"), &e), SLOG_EIO);
	append(&h, "a.log", "new\n");
	settle_and_expect(&h, "old\n", "new\n", "open a.log.1@0 open a.log@0 close a.log.1 ");
	teardown(&h);
}

int main(void)
{
	unit_run("appended lines, and read.from=end", test_appended_lines_and_read_from_end);
	unit_run("rename rotation drains the old file before the new opens",
		 test_rename_rotation_drains_the_old_file_before_the_new_opens);
	unit_run("a deleted file closes after the rotate wait", test_a_deleted_file_closes_after_the_rotate_wait);
	unit_run("a rename inside the glob is the same file", test_a_rename_inside_the_glob_is_the_same_file);
	unit_run("copytruncate restarts at zero and counts", test_copytruncate_restarts_at_zero_and_counts);
	unit_run("truncated and rewritten past our position is seen",
		 test_truncated_and_rewritten_past_our_position_is_seen);
	unit_run("equal first bytes in two files are two files",
		 test_equal_first_bytes_in_two_files_are_two_files);
	unit_run("a saved position of another file on the same inode is ignored",
		 test_a_saved_position_of_another_file_on_the_same_inode_is_ignored);
	unit_run("short files grow their fingerprint", test_short_files_grow_their_fingerprint);
	unit_run("globs are rescanned and comma separated", test_globs_are_rescanned_and_comma_separated);
	unit_run("polling without inotify sees the same", test_polling_without_inotify_sees_the_same);
	unit_run("an adopted file outside the globs is read to its end and closed",
		 test_an_adopted_file_outside_the_globs_is_read_to_its_end_and_closed);
	return unit_done();
}
