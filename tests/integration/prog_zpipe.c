// SPDX-License-Identifier: MIT
/*
 * prog_zpipe.c - a pipeline stage that keeps its own truth: it compresses
 * (c) or decompresses (d) standard input to standard output with zlib and
 * writes how many times it called deflate() or inflate() to COUNTFILE.
 * zlib is loaded with dlopen() (its libz.so.1 mapped after the process
 * starts), so the probes must be on the file, not on a mapped copy.
 *
 *   prog_zpipe c|d COUNTFILE [wait]
 *
 * `wait`: reads one byte from file descriptor 3 before starting (so that a
 * test can attach with -p first), and the data to compress is generated
 * (2 MiB of text) instead of read from standard input.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK 16384

typedef int (*zfn)(z_streamp, int);
typedef int (*zinit_deflate)(z_streamp, int, const char *, int);
typedef int (*zinit_inflate)(z_streamp, const char *, int);
typedef int (*zend)(z_streamp);

struct zlib {
	zfn deflate, inflate;
	zinit_deflate deflate_init;
	zinit_inflate inflate_init;
	zend deflate_end, inflate_end;
};

static unsigned long calls;

static int load(struct zlib *z)
{
	void *h = dlopen("libz.so.1", RTLD_NOW);

	if (!h)
		return -1;
	z->deflate = (zfn)dlsym(h, "deflate");
	z->inflate = (zfn)dlsym(h, "inflate");
	z->deflate_init = (zinit_deflate)dlsym(h, "deflateInit_");
	z->inflate_init = (zinit_inflate)dlsym(h, "inflateInit_");
	z->deflate_end = (zend)dlsym(h, "deflateEnd");
	z->inflate_end = (zend)dlsym(h, "inflateEnd");
	return z->deflate && z->inflate && z->deflate_init && z->inflate_init &&
			       z->deflate_end && z->inflate_end ?
		       0 :
		       -1;
}

static int put(const unsigned char *buf, size_t n)
{
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

/* Fills buf with the next generated input (wait mode): 2 MiB in all. */
static size_t generate(unsigned char *buf, size_t cap, size_t *left)
{
	size_t n = cap < *left ? cap : *left, i;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)("pipeline stage "[(*left - i) % 15]);
	*left -= n;
	return n;
}

/* One deflate() pass over in[0..n) with flush, output written. */
static int deflate_some(struct zlib *z, z_stream *s, unsigned char *in,
			size_t n, int flush)
{
	unsigned char out[CHUNK];
	int ret;

	s->next_in = in;
	s->avail_in = (uInt)n;
	do {
		s->next_out = out;
		s->avail_out = CHUNK;
		ret = z->deflate(s, flush);
		calls++;
		if (ret == Z_STREAM_ERROR || put(out, CHUNK - s->avail_out))
			return -1;
	} while (s->avail_out == 0);
	return 0;
}

static int squeeze(struct zlib *z, bool generated)
{
	unsigned char in[CHUNK];
	size_t n, left = 2u << 20;
	z_stream s;
	int flush;

	memset(&s, 0, sizeof(s));
	if (z->deflate_init(&s, 6, ZLIB_VERSION, (int)sizeof(s)) != Z_OK)
		return -1;
	do {
		n = generated ? generate(in, sizeof(in), &left) :
				fread(in, 1, sizeof(in), stdin);
		flush = (generated ? !left : feof(stdin)) ? Z_FINISH :
							    Z_NO_FLUSH;
		if (deflate_some(z, &s, in, n, flush))
			return -1;
	} while (flush != Z_FINISH);
	z->deflate_end(&s);
	return 0;
}

static int unsqueeze(struct zlib *z)
{
	unsigned char in[CHUNK], out[CHUNK];
	int ret = Z_OK;
	z_stream s;

	memset(&s, 0, sizeof(s));
	if (z->inflate_init(&s, ZLIB_VERSION, (int)sizeof(s)) != Z_OK)
		return -1;
	while (ret != Z_STREAM_END) {
		s.avail_in = (uInt)fread(in, 1, sizeof(in), stdin);
		if (!s.avail_in)
			return -1; /* truncated */
		s.next_in = in;
		do {
			s.next_out = out;
			s.avail_out = CHUNK;
			ret = z->inflate(&s, Z_NO_FLUSH);
			calls++;
			if (ret != Z_OK && ret != Z_STREAM_END &&
			    ret != Z_BUF_ERROR)
				return -1;
			if (put(out, CHUNK - s.avail_out))
				return -1;
		} while (s.avail_out == 0 && ret != Z_STREAM_END);
	}
	z->inflate_end(&s);
	return 0;
}

int main(int argc, char **argv)
{
	bool wait = argc == 4 && !strcmp(argv[3], "wait");
	struct zlib z;
	FILE *f;
	char go;
	int ret;

	if (argc < 3 || (argv[1][0] != 'c' && argv[1][0] != 'd')) {
		fprintf(stderr, "usage: prog_zpipe c|d COUNTFILE [wait]\n");
		return 2;
	}
	if (wait && read(3, &go, 1) != 1)
		return 2;
	if (load(&z)) {
		fprintf(stderr, "prog_zpipe: cannot load libz.so.1\n");
		return 2;
	}
	ret = argv[1][0] == 'c' ? squeeze(&z, wait) : unsqueeze(&z);
	if (fflush(stdout) || ret) {
		fprintf(stderr, "prog_zpipe: failed\n");
		return 1;
	}
	f = fopen(argv[2], "w");
	if (!f || fprintf(f, "%lu\n", calls) < 0 || fclose(f))
		return 1;
	return 0;
}
