// SPDX-License-Identifier: MIT
/*
 * folded.c - see folded.h.
 *
 * Each unique stack is one heap block holding its count, the joined and
 * sanitized stack string (the hash key, and the text written out) and a
 * second copy split at the ';' into the frame strings handed out by
 * pt_folded__stack(). An open-addressing hash table (linear probing, at most
 * half full) maps a joined string to its stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "output/folded.h"
#include "util/atomicfile.h"
#include "util/log.h"

#define UNKNOWN_FRAME "[unknown]"
#define READ_CHUNK (64u << 10)

struct stack {
	uint64_t count;
	uint64_t hash;
	size_t keylen; /* strlen(key) */
	char *key; /* "a;b;c", NUL-terminated */
	size_t n; /* frames */
	const char *frames[]; /* into the split copy after them */
};

struct pt_folded {
	struct stack **v; /* in the order first added */
	size_t n, cap;
	size_t *slots; /* index + 1 into v; 0 is empty */
	size_t nslots; /* a power of two, or 0 */
	uint64_t total;
	/* scratch, reused from call to call */
	char *key;
	size_t keycap;
	struct span *spans;
	size_t spancap;
};

/* A frame as (pointer, length): not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

/* ------------------------------------------------------------ lifecycle */

int pt_folded__new(struct pt_folded **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void pt_folded__free(struct pt_folded *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	free(f->slots);
	free(f->key);
	free(f->spans);
	free(f);
}

size_t pt_folded__nr_stacks(const struct pt_folded *f)
{
	return f->n;
}

uint64_t pt_folded__total(const struct pt_folded *f)
{
	return f->total;
}

int pt_folded__stack(const struct pt_folded *f, size_t i,
		     const char *const **frames, size_t *n, uint64_t *count)
{
	if (i >= f->n)
		return -ERANGE;
	*frames = f->v[i]->frames;
	*n = f->v[i]->n;
	*count = f->v[i]->count;
	return 0;
}

/* ---------------------------------------------------------- hash table */

/* FNV-1a, 64 bits. */
static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The slot holding KEY, or the empty slot where it would go. */
static size_t *find_slot(const struct pt_folded *f, const char *key, size_t len,
			 uint64_t h)
{
	size_t mask = f->nslots - 1, i = (size_t)h & mask;

	for (;; i = (i + 1) & mask) {
		size_t *slot = &f->slots[i];
		const struct stack *s;

		if (!*slot)
			return slot;
		s = f->v[*slot - 1];
		if (s->hash == h && s->keylen == len &&
		    !memcmp(s->key, key, len))
			return slot;
	}
}

/* Make room for one more stack: v and the table at most half full. */
static int reserve_one(struct pt_folded *f)
{
	size_t i, nslots;
	size_t *slots;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct stack **v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	if ((f->n + 1) * 2 <= f->nslots)
		return 0;
	nslots = f->nslots ? f->nslots * 2 : 128;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(f->slots);
	f->slots = slots;
	f->nslots = nslots;
	for (i = 0; i < f->n; i++)
		*find_slot(f, f->v[i]->key, f->v[i]->keylen, f->v[i]->hash) =
			i + 1;
	return 0;
}

/* ------------------------------------------------------------- adding */

/* A frame name's byte as stored: no ';', no control character. */
static char sanitize(char c)
{
	unsigned char u = (unsigned char)c;

	if (c == ';')
		return ':';
	if (u < 0x20 || u == 0x7f)
		return '?';
	return c;
}

/* Grow a scratch buffer to hold at least NEED elements of SIZE bytes. */
static int grow(void **buf, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n * size);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/* Join the sanitized frames into f->key; the length goes to *len. */
static int build_key(struct pt_folded *f, const struct span *fr, size_t n,
		     size_t *len)
{
	size_t i, j, k = 0, total = n - 1;
	int ret;

	for (i = 0; i < n; i++) {
		total += fr[i].len ? fr[i].len : strlen(UNKNOWN_FRAME);
		if (total > PT_FOLDED_MAX_LINE)
			return -E2BIG;
	}
	ret = grow((void **)&f->key, &f->keycap, total + 1, 1);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (i)
			f->key[k++] = ';';
		if (!fr[i].len) {
			memcpy(f->key + k, UNKNOWN_FRAME,
			       strlen(UNKNOWN_FRAME));
			k += strlen(UNKNOWN_FRAME);
			continue;
		}
		for (j = 0; j < fr[i].len; j++)
			f->key[k++] = sanitize(fr[i].p[j]);
	}
	f->key[k] = '\0';
	*len = k;
	return 0;
}

/* A new stack block for the joined key f->key[0..len) of N frames. */
static struct stack *new_stack(const struct pt_folded *f, size_t len, size_t n,
			       uint64_t h, uint64_t count)
{
	struct stack *s;
	char *split;
	size_t i, k = 0;

	s = malloc(sizeof(*s) + n * sizeof(s->frames[0]) + 2 * (len + 1));
	if (!s)
		return NULL;
	s->count = count;
	s->hash = h;
	s->keylen = len;
	s->n = n;
	s->key = (char *)&s->frames[n];
	memcpy(s->key, f->key, len + 1);
	split = s->key + len + 1;
	memcpy(split, f->key, len + 1);
	/* Sanitized frames hold no ';': every one is a separator. */
	s->frames[k++] = split;
	for (i = 0; i < len; i++) {
		if (split[i] == ';') {
			split[i] = '\0';
			s->frames[k++] = &split[i + 1];
		}
	}
	return s;
}

/* pt_folded__add on (pointer, length) frames; f unchanged on error. */
static int add_spans(struct pt_folded *f, const struct span *fr, size_t n,
		     uint64_t count)
{
	struct stack *s;
	size_t len, *slot;
	uint64_t h;
	int ret;

	if (!n || !count)
		return -EINVAL;
	if (n > PT_FOLDED_MAX_FRAMES)
		return -E2BIG;
	if (f->total > UINT64_MAX - count)
		return -EOVERFLOW;
	ret = build_key(f, fr, n, &len);
	if (ret)
		return ret;
	h = hash_bytes(f->key, len);
	if (f->nslots) {
		slot = find_slot(f, f->key, len, h);
		if (*slot) {
			s = f->v[*slot - 1];
			if (s->count > UINT64_MAX - count)
				return -EOVERFLOW;
			s->count += count;
			f->total += count;
			return 0;
		}
	}
	ret = reserve_one(f);
	if (ret)
		return ret;
	s = new_stack(f, len, n, h, count);
	if (!s)
		return -ENOMEM;
	f->v[f->n++] = s;
	*find_slot(f, s->key, len, h) = f->n;
	f->total += count;
	return 0;
}

int pt_folded__add(struct pt_folded *f, const char *const *frames, size_t n,
		   uint64_t count)
{
	size_t i;
	int ret;

	if (!n || !frames)
		return -EINVAL;
	if (n > PT_FOLDED_MAX_FRAMES)
		return -E2BIG;
	ret = grow((void **)&f->spans, &f->spancap, n, sizeof(*f->spans));
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (!frames[i])
			return -EINVAL;
		f->spans[i] = (struct span){ frames[i], strlen(frames[i]) };
	}
	return add_spans(f, f->spans, n, count);
}

/* ------------------------------------------------------------- parsing */

/* Parse and add one line; on a bad line *why says what is wrong. */
static int parse_line(struct pt_folded *f, const char *line, size_t len,
		      const char **why)
{
	size_t i, sp, n = 1, start;
	uint64_t count = 0;
	int ret;

	*why = "out of memory";
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len > PT_FOLDED_MAX_LINE) {
		*why = "line longer than 1 MiB";
		return -E2BIG;
	}
	for (sp = len; sp > 0 && line[sp - 1] != ' '; sp--)
		;
	if (sp == 0 || sp == len) {
		*why = "no count after the last space";
		return -EINVAL;
	}
	for (i = sp; i < len; i++) {
		uint64_t d;

		if (line[i] < '0' || line[i] > '9') {
			*why = "the count is not a decimal integer";
			return -EINVAL;
		}
		d = (uint64_t)(line[i] - '0');
		if (count > (UINT64_MAX - d) / 10) {
			*why = "the count is above 2^64-1";
			return -EINVAL;
		}
		count = count * 10 + d;
	}
	if (!count) {
		*why = "the count is 0";
		return -EINVAL;
	}
	sp--; /* the stack is line[0..sp) */
	if (!sp) {
		*why = "empty stack before the count";
		return -EINVAL;
	}
	for (i = 0; i < sp; i++)
		n += line[i] == ';';
	if (n > PT_FOLDED_MAX_FRAMES) {
		*why = "stack deeper than 8192 frames";
		return -E2BIG;
	}
	ret = grow((void **)&f->spans, &f->spancap, n, sizeof(*f->spans));
	if (ret)
		return ret;
	n = 0;
	for (i = start = 0; i <= sp; i++) {
		if (i == sp || line[i] == ';') {
			f->spans[n++] =
				(struct span){ line + start, i - start };
			start = i + 1;
		}
	}
	ret = add_spans(f, f->spans, n, count);
	if (ret == -EOVERFLOW)
		*why = "the counts add up to more than 2^64-1";
	return ret;
}

int pt_folded__add_line(struct pt_folded *f, const char *line, size_t len)
{
	const char *why;

	if (!line && len)
		return -EINVAL;
	return parse_line(f, line ? line : "", len, &why);
}

/* True if LINE[0..len) holds only blanks and line ends. */
static bool blank_line(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", line[i]) || !line[i])
			return false;
	return true;
}

/* The message for a gzread/gzclose failure; sets *ret. */
static const char *gz_failure(gzFile gz, int *ret)
{
	int errnum = Z_OK;
	const char *msg = gzerror(gz, &errnum);

	if (errnum == Z_ERRNO) {
		*ret = errno ? -errno : -EIO;
		return strerror(-*ret);
	}
	if (errnum == Z_MEM_ERROR) {
		*ret = -ENOMEM;
		return "out of memory";
	}
	*ret = errnum == Z_OK ? 0 : -EBADMSG;
	/* zlib prefixes the "path", here "<fd:N>: ". */
	if (!strncmp(msg, "<fd:", 4) && strstr(msg, ": "))
		msg = strstr(msg, ": ") + 2;
	return msg;
}

/* A folded file being read: its name, where it is, what is buffered. */
struct folded_reader {
	struct pt_folded *f;
	const char *path;
	bool gzip; /* only to name the format in errors */
	gzFile gz;
	char *buf;
	size_t used, cap;
	unsigned long lineno;
};

/* Opens path for reading, gzip or not; 0 or -errno with a message. */
static int reader_open(struct folded_reader *r, char *err, size_t errlen)
{
	unsigned char magic[2];
	struct stat st;
	int fd, ret;

	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return pt_errf(err, errlen, ret, "cannot open %s: %s; %s",
			       r->path, strerror(-ret),
			       ret == -ENOENT ? "check the path" :
						"check its permissions");
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return pt_errf(err, errlen, -EISDIR,
			       "%s is a directory; give a folded file",
			       r->path);
	}
	/* Only to name the format in errors: zlib reads both alike. A pipe
	 * cannot pread; it is then read as whatever it turns out to be. */
	r->gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f &&
		  magic[1] == 0x8b;
	r->gz = gzdopen(fd, "rb");
	if (!r->gz) {
		close(fd);
		return pt_errf(err, errlen, -ENOMEM, "%s: out of memory",
			       r->path);
	}
	gzbuffer(r->gz, READ_CHUNK);
	return 0;
}

/* Reads the next chunk after what is buffered: the bytes read (0 at the
 * end) or -errno with a message. */
static int reader_fill(struct folded_reader *r, char *err, size_t errlen)
{
	const char *why;
	int ret, got;

	ret = grow((void **)&r->buf, &r->cap, r->used + READ_CHUNK, 1);
	if (ret)
		return pt_errf(err, errlen, ret, "%s: out of memory", r->path);
	got = gzread(r->gz, r->buf + r->used, READ_CHUNK);
	if (got > 0) {
		r->used += (size_t)got;
		return got;
	}
	/* The end, a read error, or damaged gzip data (a truncated stream
	 * shows as Z_BUF_ERROR at the end). */
	why = gz_failure(r->gz, &ret);
	if (got < 0 && !ret)
		ret = -EIO;
	if (!ret)
		return 0;
	return pt_errf(err, errlen, ret,
		       "cannot read %s%s: %s (after %lu lines); %s", r->path,
		       r->gzip ? " (gzip)" : "", why, r->lineno,
		       r->gzip ? "the compressed file is damaged or truncated" :
				 "check the file");
}

/* Parses every complete line buffered (at eof, the last one too) and keeps
 * the rest; 0 or -errno with a message. */
static int reader_lines(struct folded_reader *r, bool eof, char *err,
			size_t errlen)
{
	size_t i, start = 0;
	const char *why;
	int ret;

	for (i = 0; i < r->used; i++) {
		if (r->buf[i] != '\n' && !(eof && i == r->used - 1))
			continue;
		r->lineno++;
		if (!blank_line(r->buf + start, i + 1 - start)) {
			ret = parse_line(r->f, r->buf + start, i + 1 - start,
					 &why);
			if (ret)
				return pt_errf(
					err, errlen, ret,
					"%s:%lu: %s; folded lines are 'frame;frame;...;frame COUNT'",
					r->path, r->lineno, why);
		}
		start = i + 1;
	}
	memmove(r->buf, r->buf + start, r->used - start);
	r->used -= start;
	if (r->used > PT_FOLDED_MAX_LINE + 2)
		return pt_errf(
			err, errlen, -E2BIG,
			"%s:%lu: line longer than 1 MiB; is this a folded file?",
			r->path, r->lineno + 1);
	return 0;
}

int pt_folded__read(struct pt_folded *f, const char *path, char *err,
		    size_t errlen)
{
	struct folded_reader r = { .f = f, .path = path };
	int ret, got;

	ret = reader_open(&r, err, errlen);
	if (ret)
		return ret;
	do {
		got = reader_fill(&r, err, errlen);
		ret = got < 0 ? got : reader_lines(&r, got == 0, err, errlen);
	} while (!ret && got > 0);
	free(r.buf);
	gzclose_r(r.gz);
	return ret;
}

/* ------------------------------------------------------------- writing */

typedef int (*put_fn)(void *ctx, const char *s, size_t len);

static int put_file(void *ctx, const char *s, size_t len)
{
	return fwrite(s, 1, len, ctx) == len ? 0 : -EIO;
}

static int put_gz(void *ctx, const char *s, size_t len)
{
	int ret;

	if (!len)
		return 0;
	if (gzwrite(ctx, s, (unsigned int)len) == (int)len)
		return 0;
	gz_failure(ctx, &ret);
	return ret ? ret : -EIO;
}

static int cmp_stack(const void *a, const void *b)
{
	const struct stack *x = *(const struct stack *const *)a;
	const struct stack *y = *(const struct stack *const *)b;

	return strcmp(x->key, y->key);
}

/* Every stack, sorted, through PUT. */
static int emit(const struct pt_folded *f, put_fn put, void *ctx)
{
	struct stack **v;
	char num[32];
	size_t i;
	int ret = 0, len;

	v = malloc((f->n ? f->n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (f->n)
		memcpy(v, f->v, f->n * sizeof(*v));
	qsort(v, f->n, sizeof(*v), cmp_stack);
	for (i = 0; i < f->n && !ret; i++) {
		len = snprintf(num, sizeof(num), " %llu\n",
			       (unsigned long long)v[i]->count);
		ret = put(ctx, v[i]->key, v[i]->keylen);
		if (!ret)
			ret = put(ctx, num, (size_t)len);
	}
	free(v);
	return ret;
}

int pt_folded__write(const struct pt_folded *f, FILE *out)
{
	int ret = emit(f, put_file, out);

	if (!ret && ferror(out))
		ret = -EIO;
	return ret;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Write f compressed to FD (which stays open), with gzip framing. */
static int write_gz(const struct pt_folded *f, int fd)
{
	int dupfd, ret, zret;
	gzFile gz;

	dupfd = dup(fd);
	if (dupfd < 0)
		return -errno;
	gz = gzdopen(dupfd, "wb");
	if (!gz) {
		close(dupfd);
		return -ENOMEM;
	}
	ret = emit(f, put_gz, gz);
	zret = gzclose_w(gz);
	if (!ret && zret != Z_OK)
		ret = zret == Z_ERRNO && errno ? -errno : -EIO;
	return ret;
}

int pt_folded__write_to(const struct pt_folded *f, FILE *out, bool gz)
{
	if (!gz)
		return pt_folded__write(f, out);
	/* The compressed bytes go to out's file descriptor, after out's. */
	if (fflush(out))
		return errno ? -errno : -EIO;
	return write_gz(f, fileno(out));
}

bool pt_folded__gz_path(const char *path)
{
	return ends_with(path, ".gz");
}

int pt_folded__save(const struct pt_folded *f, const char *path, char *err,
		    size_t errlen)
{
	struct pt_afile *a;
	int ret;

	ret = pt_afile__open(path, 0, &a, err, errlen);
	if (ret)
		return ret;
	ret = pt_folded__write_to(f, pt_afile__file(a), ends_with(path, ".gz"));
	if (ret) {
		pt_afile__abort(a);
		return pt_errf(err, errlen, ret, "cannot write %s: %s; %s",
			       path, strerror(-ret),
			       ret == -ENOSPC ? "free some space" :
						"check the file system");
	}
	return pt_afile__commit(a, err, errlen);
}
