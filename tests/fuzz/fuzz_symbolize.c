// SPDX-License-Identifier: MIT
/*
 * fuzz_symbolize.c - libFuzzer harness for the symbolizer
 * (src/symbols/symbolize.c) on a hostile ELF object and debug file.
 *
 * The input is an object file and, after the first "PTDBG!" in it, a
 * debug file. Each run writes them to a scratch directory as oN (a new
 * name each run) and oN.debug (found as DIR/<name>.debug), maps the
 * object executable into this process, refreshes one long-lived pt_usyms
 * of this process (as a trace's symbolizer sees a library loaded) and
 * asks for every page's and some input-chosen addresses' name, kind,
 * object and frames. Besides memory safety (ASan/UBSan): answers are
 * NUL-terminated, kinds in range, errors negative; the names of this
 * process's own code still resolve after every hostile object.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/symbolize.h"
#include "fuzz.h"

#define SEP "PTDBG!"
#define MAX_PAGES 64

static struct pt_usyms *syms;
static char dir[64];
static unsigned long seq;

static void cleanup(void)
{
	pt_usyms__close(syms);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pt_usyms_opts o = { .debuginfo_path = "-:.debug" };
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/fuzz_symbolize.%d", (int)getpid());
	CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST);
	CHECK(pt_usyms__open_opts(getpid(), &o, &syms, err, sizeof(err)) == 0);
	atexit(cleanup);
	return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);

	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	CHECK(close(fd) == 0);
}

static int frame_cb(const struct pt_uframe *f, void *ctx)
{
	CHECK(f->name);
	(*(size_t *)ctx) += strlen(f->name) + (f->file ? strlen(f->file) : 0);
	return 0;
}

/* Every question about addr; the answers must be well-formed. */
static void ask(uint64_t addr)
{
	char buf[256];
	enum pt_ucode kind;
	size_t n = 0;
	int ret;

	memset(buf, 'x', sizeof(buf));
	ret = pt_usyms__name(syms, addr, buf, sizeof(buf));
	CHECK(ret <= 0 && memchr(buf, '\0', sizeof(buf)));
	ret = pt_usyms__kind(syms, addr, &kind);
	CHECK(ret < 0 ||
	      (kind >= PT_UCODE_SYMBOL && kind <= PT_UCODE_UNMAPPED));
	memset(buf, 'x', sizeof(buf));
	ret = pt_usyms__object(syms, addr, buf, sizeof(buf));
	CHECK(ret <= 0 && memchr(buf, '\0', sizeof(buf)));
	ret = pt_usyms__frames(syms, addr, frame_cb, &n);
	CHECK(ret <= 0);
}

/* This harness's own code is still named as itself. */
static void check_self(void)
{
	char buf[256];

	CHECK(pt_usyms__name(syms, (uint64_t)(uintptr_t)ask, buf,
			     sizeof(buf)) == 0);
	if (strcmp(buf, "ask"))
		fprintf(stderr, "ask named %s\n", buf);
	CHECK(!strcmp(buf, "ask"));
}

static void probe(uint8_t *map, size_t len, const uint8_t *data, size_t size)
{
	uint64_t base = (uint64_t)(uintptr_t)map, off;
	size_t i, page = (size_t)sysconf(_SC_PAGESIZE);

	for (i = 0; i < len && i / page < MAX_PAGES; i += page)
		ask(base + i);
	/* A few addresses the input picks: its last bytes as offsets. */
	for (i = 0; i + 4 <= size && i < 32; i += 4) {
		memcpy(&off, data + size - 4 - i, 4);
		ask(base + (off & 0xffffffu) % (len + page));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *dbg = memmem(data, size, SEP, strlen(SEP));
	size_t osize = dbg ? (size_t)(dbg - data) : size;
	char path[96], dpath[112];
	void *map;
	int fd;

	if (!osize)
		return 0;
	snprintf(path, sizeof(path), "%s/o%lu", dir, seq++);
	snprintf(dpath, sizeof(dpath), "%s.debug", path);
	write_file(path, data, osize);
	if (dbg)
		write_file(dpath, dbg + strlen(SEP),
			   size - osize - strlen(SEP));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	map = mmap(NULL, osize, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	CHECK(map != MAP_FAILED);
	close(fd);
	CHECK(pt_usyms__refresh(syms) == 0);
	probe(map, osize, data, size);
	munmap(map, osize);
	unlink(path);
	unlink(dpath);
	check_self();
	return 0;
}
