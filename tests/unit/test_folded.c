// SPDX-License-Identifier: MIT
/* test_folded.c - folded stacks: merging, sanitizing, parsing, writing,
 * reading plain and gzip files, atomic saving. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "output/folded.h"
#include "lib/ptest.h"

/* ------------------------------------------------------------------ helpers */

static struct pt_folded *new_folded(void)
{
	struct pt_folded *f = NULL;

	assert_int_equal(pt_folded__new(&f), 0);
	assert_non_null(f);
	return f;
}

/* Everything pt_folded__write gives, as a heap string. */
static char *dump(const struct pt_folded *f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(pt_folded__write(f, out), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

static int add_str(struct pt_folded *f, const char *line)
{
	return pt_folded__add_line(f, line, strlen(line));
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *out = fopen(path, "w");

	assert_non_null(out);
	assert_int_equal(fwrite(data, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
}

static void make_tmpdir(char *dir)
{
	assert_non_null(mkdtemp(dir));
}

/* ------------------------------------------------------------------- tests */

/* Equal stacks merge; counts and the total add up. */
static void test_merge_equal_stacks(void **state)
{
	const char *a[] = { "stage_parse", "parse_line", "strtod" };
	const char *b[] = { "stage_parse", "parse_line" };
	struct pt_folded *f = new_folded();
	const char *const *frames;
	uint64_t count;
	size_t n;
	char *text;

	assert_int_equal(pt_folded__add(f, a, 3, 5), 0);
	assert_int_equal(pt_folded__add(f, b, 2, 7), 0);
	assert_int_equal(pt_folded__add(f, a, 3, 10), 0);
	assert_int_equal(add_str(f, "stage_parse;parse_line;strtod 1\n"), 0);
	assert_int_equal(pt_folded__nr_stacks(f), 2);
	assert_int_equal(pt_folded__total(f), 23);
	assert_int_equal(pt_folded__stack(f, 0, &frames, &n, &count), 0);
	assert_int_equal(n, 3);
	assert_int_equal(count, 16);
	assert_string_equal(frames[0], "stage_parse");
	assert_string_equal(frames[2], "strtod");
	assert_int_equal(pt_folded__stack(f, 2, &frames, &n, &count), -ERANGE);
	text = dump(f);
	assert_string_equal(text, "stage_parse;parse_line 7\n"
				  "stage_parse;parse_line;strtod 16\n");
	free(text);
	pt_folded__free(f);
}

/* ';' and control characters are replaced, spaces kept, empty frames named. */
static void test_sanitize(void **state)
{
	const char *v[] = { "a;b",
			    "tab\there",
			    "nl\nx\x01\x7f",
			    "",
			    "operator new(unsigned long)",
			    "caf\xc3\xa9" };
	struct pt_folded *f = new_folded();
	const char *const *frames;
	uint64_t count;
	size_t n;
	char *text;

	assert_int_equal(pt_folded__add(f, v, 6, 3), 0);
	assert_int_equal(pt_folded__stack(f, 0, &frames, &n, &count), 0);
	assert_int_equal(n, 6);
	assert_string_equal(frames[0], "a:b");
	assert_string_equal(frames[1], "tab?here");
	assert_string_equal(frames[2], "nl?x??");
	assert_string_equal(frames[3], "[unknown]");
	assert_string_equal(frames[4], "operator new(unsigned long)");
	assert_string_equal(frames[5], "caf\xc3\xa9");
	text = dump(f);
	assert_string_equal(
		text,
		"a:b;tab?here;nl?x??;[unknown];operator new(unsigned long);caf\xc3\xa9 3\n");
	free(text);
	/* The same stack, as a line: empty frames and NULs too. */
	assert_int_equal(pt_folded__add_line(f, "x;;y\0z 2\n", 9), 0);
	assert_int_equal(pt_folded__stack(f, 1, &frames, &n, &count), 0);
	assert_int_equal(n, 3);
	assert_string_equal(frames[1], "[unknown]");
	assert_string_equal(frames[2], "y?z");
	pt_folded__free(f);
}

/* Bad arguments fail and leave the set as it was. */
static void test_add_errors(void **state)
{
	const char *ok[] = { "a", "b" }, *bad[] = { "a", NULL };
	struct pt_folded *f = new_folded();
	const char **deep;
	char *text;
	size_t i;

	assert_int_equal(pt_folded__add(f, ok, 0, 1), -EINVAL);
	assert_int_equal(pt_folded__add(f, ok, 2, 0), -EINVAL);
	assert_int_equal(pt_folded__add(f, bad, 2, 1), -EINVAL);
	deep = calloc(PT_FOLDED_MAX_FRAMES + 1, sizeof(*deep));
	assert_non_null(deep);
	for (i = 0; i <= PT_FOLDED_MAX_FRAMES; i++)
		deep[i] = "f";
	assert_int_equal(pt_folded__add(f, deep, PT_FOLDED_MAX_FRAMES + 1, 1),
			 -E2BIG);
	assert_int_equal(pt_folded__add(f, deep, PT_FOLDED_MAX_FRAMES, 1), 0);
	free(deep);
	/* Counts at the limit of 64 bits: a merge or a total past it. */
	assert_int_equal(pt_folded__add(f, ok, 2, UINT64_MAX), -EOVERFLOW);
	assert_int_equal(pt_folded__nr_stacks(f), 1);
	assert_int_equal(pt_folded__total(f), 1);
	pt_folded__free(f);
	f = new_folded();
	assert_int_equal(pt_folded__add(f, ok, 2, UINT64_MAX - 1), 0);
	assert_int_equal(pt_folded__add(f, ok, 1, 2), -EOVERFLOW);
	assert_int_equal(pt_folded__add(f, ok, 2, 2), -EOVERFLOW);
	assert_int_equal(pt_folded__add(f, ok, 2, 1), 0);
	assert_int_equal(pt_folded__nr_stacks(f), 1);
	assert_true(pt_folded__total(f) == UINT64_MAX);
	text = dump(f);
	assert_string_equal(text, "a;b 18446744073709551615\n");
	free(text);
	pt_folded__free(f);
}

static void test_parse_good(void **state)
{
	static const char buf[] = "x;y 3 trailing bytes not part of the line";
	struct pt_folded *f = new_folded();
	char *text;

	assert_int_equal(add_str(f, "stage;work 5"), 0);
	assert_int_equal(add_str(f, "stage;work 7\n"), 0);
	assert_int_equal(add_str(f, "stage;work 1\r\n"), 0);
	/* The count follows the last space; frames may hold spaces. */
	assert_int_equal(add_str(f, "stage;std::vector<int> push_back 2"), 0);
	assert_int_equal(add_str(f, "stage;two words  4"), 0);
	assert_int_equal(add_str(f, ";lead 1"), 0);
	assert_int_equal(add_str(f, "big 18446744073709551614"), -EOVERFLOW);
	assert_int_equal(add_str(f, "max 00000000000000000000000000042"), 0);
	/* LEN bounds the line, not a NUL. */
	assert_int_equal(pt_folded__add_line(f, buf, 5), 0);
	text = dump(f);
	assert_string_equal(text, "[unknown];lead 1\n"
				  "max 42\n"
				  "stage;std::vector<int> push_back 2\n"
				  "stage;two words  4\n"
				  "stage;work 13\n"
				  "x;y 3\n");
	free(text);
	assert_int_equal(pt_folded__total(f), 65);
	pt_folded__free(f);
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"stage;work",
		"stage;work ",
		"stage;work 0",
		"stage;work 000",
		"stage;work 18446744073709551616",
		"stage;work 99999999999999999999999",
		"stage;work 12x",
		"stage;work -3",
		"stage;work +3",
		"stage;work 1.5",
		"stage;work 5 ",
		"stage;work\t5",
		" 5",
		"5",
		"stage;work 5\n\n",
	};
	struct pt_folded *f = new_folded();
	size_t i, n = 2 * PT_FOLDED_MAX_LINE;
	char *line;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = add_str(f, bad[i]);

		if (ret != -EINVAL)
			fail_msg("'%s': got %d, want -EINVAL", bad[i], ret);
	}
	assert_int_equal(pt_folded__add_line(f, NULL, 3), -EINVAL);
	assert_int_equal(pt_folded__add_line(f, "a 1", 0), -EINVAL);
	/* Over-long lines and too many frames. */
	line = malloc(n + 3);
	assert_non_null(line);
	memset(line, 'a', n);
	memcpy(line + n, " 1", 3);
	assert_int_equal(pt_folded__add_line(f, line, n + 2), -E2BIG);
	memset(line, ';', 20000);
	memcpy(line + 20000, " 1", 3);
	assert_int_equal(pt_folded__add_line(f, line, 20002), -E2BIG);
	free(line);
	assert_int_equal(pt_folded__nr_stacks(f), 0);
	assert_int_equal(pt_folded__total(f), 0);
	pt_folded__free(f);
}

/* The same stacks in any order give byte-identical output. */
static void test_write_deterministic(void **state)
{
	static const char *const lines[] = {
		"s2;b 4", "s1;z 1", "s1;a;c 2", "s1;a 3", "s1;a;b 9", "s1 6",
	};
	struct pt_folded *x = new_folded(), *y = new_folded();
	size_t i, n = sizeof(lines) / sizeof(lines[0]);
	char *tx, *ty;

	for (i = 0; i < n; i++) {
		assert_int_equal(add_str(x, lines[i]), 0);
		assert_int_equal(add_str(y, lines[n - 1 - i]), 0);
	}
	tx = dump(x);
	ty = dump(y);
	assert_string_equal(tx, ty);
	assert_string_equal(tx, "s1 6\ns1;a 3\ns1;a;b 9\ns1;a;c 2\ns1;z 1\n"
				"s2;b 4\n");
	free(tx);
	free(ty);
	pt_folded__free(x);
	pt_folded__free(y);
}

/* Many stacks: the table grows, every stack stays findable. */
static void test_many_stacks(void **state)
{
	struct pt_folded *f = new_folded();
	const char *const *frames;
	uint64_t count;
	char line[64];
	size_t n;
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "stage;fn%d;leaf%d 1", i % 700, i);
		assert_int_equal(add_str(f, line), 0);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "stage;fn%d;leaf%d 2", i % 700, i);
		assert_int_equal(add_str(f, line), 0);
	}
	assert_int_equal(pt_folded__nr_stacks(f), 5000);
	assert_int_equal(pt_folded__total(f), 15000);
	assert_int_equal(pt_folded__stack(f, 4999, &frames, &n, &count), 0);
	assert_int_equal(count, 3);
	assert_string_equal(frames[2], "leaf4999");
	pt_folded__free(f);
}

/* Saved with .gz: gzip on disk, the same stacks read back. */
static void test_gz_round_trip(void **state)
{
	char dir[] = "/tmp/pt-folded-XXXXXX", path[128], err[256];
	struct pt_folded *f = new_folded(), *g = new_folded();
	unsigned char magic[2];
	char *a, *b, line[64];
	struct stat st;
	FILE *in;
	int i;

	make_tmpdir(dir);
	for (i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "stage_%d;work;leaf_%d %d", i % 3,
			 i, i + 1);
		assert_int_equal(add_str(f, line), 0);
	}
	snprintf(path, sizeof(path), "%s/out.folded.gz", dir);
	assert_int_equal(pt_folded__save(f, path, err, sizeof(err)), 0);
	in = fopen(path, "rb");
	assert_non_null(in);
	assert_int_equal(fread(magic, 1, 2, in), 2);
	fclose(in);
	assert_int_equal(magic[0], 0x1f);
	assert_int_equal(magic[1], 0x8b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(pt_folded__read(g, path, err, sizeof(err)), 0);
	a = dump(f);
	b = dump(g);
	assert_string_equal(a, b);
	assert_int_equal(pt_folded__total(g), 300 * 301 / 2);
	/* Reading again merges: every count doubles. */
	assert_int_equal(pt_folded__read(g, path, err, sizeof(err)), 0);
	assert_int_equal(pt_folded__total(g), 300 * 301);
	assert_int_equal(pt_folded__nr_stacks(g), 300);
	free(a);
	free(b);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	pt_folded__free(f);
	pt_folded__free(g);
}

/* A plain file: blank lines skipped, CRLF and a last line without '\n'. */
static void test_read_plain(void **state)
{
	static const char text[] = "# not a comment, a stack 1\n"
				   "\n"
				   "stage;a 2\r\n"
				   "   \n"
				   "stage;b 3\n"
				   "stage;a 4";
	char dir[] = "/tmp/pt-folded-XXXXXX", path[128], err[256];
	struct pt_folded *f = new_folded();
	char *out;

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/in.folded", dir);
	write_file(path, text, sizeof(text) - 1);
	assert_int_equal(pt_folded__read(f, path, err, sizeof(err)), 0);
	out = dump(f);
	assert_string_equal(out, "# not a comment, a stack 1\n"
				 "stage;a 6\n"
				 "stage;b 3\n");
	free(out);
	/* The saved plain file reads back the same. */
	assert_int_equal(pt_folded__save(f, path, err, sizeof(err)), 0);
	pt_folded__free(f);
	f = new_folded();
	assert_int_equal(pt_folded__read(f, path, err, sizeof(err)), 0);
	assert_int_equal(pt_folded__total(f), 10);
	pt_folded__free(f);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_read_errors(void **state)
{
	static const char bad[] = "stage;a 1\nstage;b 2\nstage;c\nstage;d 4\n";
	char dir[] = "/tmp/pt-folded-XXXXXX", path[128], gz[160], err[512];
	struct pt_folded *f = new_folded(), *g = new_folded();
	char *whole, want[200];
	long n;
	FILE *in;
	int i;

	make_tmpdir(dir);
	/* Missing file: -ENOENT, the message names it. */
	snprintf(path, sizeof(path), "%s/missing.folded", dir);
	assert_int_equal(pt_folded__read(f, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "; "));
	/* A directory. */
	assert_int_equal(pt_folded__read(f, dir, err, sizeof(err)), -EISDIR);
	/* A bad line: file and line number. */
	snprintf(path, sizeof(path), "%s/bad.folded", dir);
	write_file(path, bad, sizeof(bad) - 1);
	assert_int_equal(pt_folded__read(f, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: no count", path);
	assert_non_null(strstr(err, want));
	assert_int_equal(pt_folded__nr_stacks(f), 2);
	/* A truncated gzip file. */
	for (i = 0; i < 2000; i++) {
		snprintf(want, sizeof(want), "stage;f%d 1", i);
		assert_int_equal(add_str(g, want), 0);
	}
	snprintf(gz, sizeof(gz), "%s/cut.folded.gz", dir);
	assert_int_equal(pt_folded__save(g, gz, err, sizeof(err)), 0);
	in = fopen(gz, "rb");
	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	whole = malloc(n);
	assert_non_null(whole);
	assert_int_equal(fread(whole, 1, n, in), n);
	fclose(in);
	write_file(gz, whole, n / 2);
	pt_folded__free(f);
	f = new_folded();
	assert_true(pt_folded__read(f, gz, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, gz));
	assert_non_null(strstr(err, "gzip"));
	/* Damaged gzip data. */
	memset(whole + 20, 0xff, 40);
	write_file(gz, whole, n);
	assert_true(pt_folded__read(f, gz, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, gz));
	free(whole);
	/* Binary junk, not folded text. */
	write_file(path,
		   "\x7f"
		   "ELF\x02\x01\x01\0\0\0",
		   10);
	assert_int_equal(pt_folded__read(f, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:", path);
	assert_non_null(strstr(err, want));
	unlink(path);
	unlink(gz);
	assert_int_equal(rmdir(dir), 0);
	pt_folded__free(f);
	pt_folded__free(g);
}

/* No temporary is left behind, on success or failure. */
static void test_save_atomic(void **state)
{
	char dir[] = "/tmp/pt-folded-XXXXXX", path[128], sub[128], err[512];
	struct pt_folded *f = new_folded(), *g;
	struct stat st;
	char *a, *b;

	make_tmpdir(dir);
	assert_int_equal(add_str(f, "stage;x 1"), 0);
	snprintf(path, sizeof(path), "%s/out.folded", dir);
	write_file(path, "old contents\n", 13);
	assert_int_equal(pt_folded__save(f, path, err, sizeof(err)), 0);
	assert_int_equal(ptest_count_entries(dir), 1);
	g = new_folded();
	assert_int_equal(pt_folded__read(g, path, err, sizeof(err)), 0);
	a = dump(f);
	b = dump(g);
	assert_string_equal(a, b);
	free(a);
	free(b);
	pt_folded__free(g);

	/* A missing directory: -ENOENT, a message, nothing created. */
	snprintf(sub, sizeof(sub), "%s/no-such-dir/out.folded.gz", dir);
	err[0] = '\0';
	assert_int_equal(pt_folded__save(f, sub, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-dir"));
	assert_int_equal(ptest_count_entries(dir), 1);

	/* The rename fails (a directory has the name): the temp is gone. */
	snprintf(sub, sizeof(sub), "%s/taken.gz", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_true(pt_folded__save(f, sub, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "taken.gz"));
	assert_int_equal(ptest_count_entries(dir), 2);
	assert_int_equal(ptest_count_entries(sub), 0);
	assert_int_equal(rmdir(sub), 0);

	/* A FIFO (or a device) is not replaced by a file. */
	snprintf(sub, sizeof(sub), "%s/fifo", dir);
	assert_int_equal(mkfifo(sub, 0644), 0);
	assert_int_equal(pt_folded__save(f, sub, err, sizeof(err)), -EINVAL);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(ptest_count_entries(dir), 2);
	assert_int_equal(unlink(sub), 0);

	/* A path naming a directory. */
	snprintf(sub, sizeof(sub), "%s/", dir);
	assert_int_equal(pt_folded__save(f, sub, err, sizeof(err)), -EISDIR);
	assert_int_equal(ptest_count_entries(dir), 1);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	pt_folded__free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_equal_stacks),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_write_deterministic),
		cmocka_unit_test(test_many_stacks),
		cmocka_unit_test(test_gz_round_trip),
		cmocka_unit_test(test_read_plain),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_save_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
