// SPDX-License-Identifier: MIT
/*
 * gen.c - writes a small C program from a seed, for the differential test
 * (tests/gen/README.md): stages nested to a random depth, recursion,
 * sleeps, mutex contention, file I/O, threads and allocations. The
 * program keeps its own books and writes them as JSON at exit.
 *
 *   gen SEED > prog.c
 *
 * The first line says what the program does: "/" "* pipetrace-gen seed=S
 * stages=N threads=T alloc=0|1 *" "/".
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_STAGES 6
#define MAX_OPS 5

enum op { OP_SPIN, OP_NAP, OP_LOCK, OP_IO, OP_ALLOC, OP_CALL, OP_RECURSE };

struct stage_plan {
	int nops;
	enum op op[MAX_OPS];
	int arg[MAX_OPS]; /* us, bytes, stage, blocks */
	int arg2[MAX_OPS];
};

struct plan {
	uint64_t seed;
	int nstages, nthreads, rounds, depth, alloc, fsync;
	struct stage_plan st[MAX_STAGES];
};

static uint64_t rng_state;

/* splitmix64 */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int pick(int lo, int hi)
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

/* One operation of stage i: calls only go to later stages (no cycles);
 * recursion is the stage calling itself, bounded by its depth argument. */
static void plan_op(struct plan *p, int i, int k)
{
	struct stage_plan *s = &p->st[i];
	int r = pick(0, 99);

	if (r < 25) {
		s->op[k] = OP_SPIN;
		s->arg[k] = pick(20, 400);
	} else if (r < 40) {
		s->op[k] = OP_NAP;
		s->arg[k] = pick(100, 2000);
	} else if (r < 50 && p->nthreads > 1) {
		s->op[k] = OP_LOCK;
		s->arg[k] = pick(20, 300);
	} else if (r < 60) {
		s->op[k] = OP_IO;
		s->arg[k] = pick(1, 16) * 512;
	} else if (r < 72) {
		s->op[k] = OP_ALLOC;
		s->arg[k] = pick(1, 6);
		s->arg2[k] = pick(1, 5000);
		p->alloc = 1;
	} else if (r < 90 && i + 1 < p->nstages) {
		s->op[k] = OP_CALL;
		s->arg[k] = pick(i + 1, p->nstages - 1);
	} else if (r < 96) {
		s->op[k] = OP_RECURSE;
	} else {
		s->op[k] = OP_SPIN;
		s->arg[k] = pick(5, 50);
	}
}

static void make_plan(struct plan *p, uint64_t seed)
{
	int i, k;

	rng_state = seed;
	p->seed = seed;
	p->nstages = pick(1, MAX_STAGES);
	p->nthreads = pick(1, 4);
	p->rounds = pick(2, 12);
	p->depth = pick(0, 3);
	p->alloc = 0;
	p->fsync = pick(0, 3) == 0;
	for (i = 0; i < p->nstages; i++) {
		p->st[i].nops = pick(1, MAX_OPS);
		for (k = 0; k < p->st[i].nops; k++)
			plan_op(p, i, k);
	}
}

/* The books and helpers every program has, before its stages. */
static const char *const runtime =
	"#define _GNU_SOURCE\n"
	"#include <fcntl.h>\n#include <pthread.h>\n#include <stdint.h>\n"
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	"#include <time.h>\n#include <unistd.h>\n"
	"#include <pipetrace/stage.h>\n\n"
	"#define NS %d\n#define NT %d\n#define ROUNDS %d\n#define DEPTH %d\n"
	"#define FSYNC %d\n\n"
	"static uint64_t ns_of(clockid_t c)\n{\n\tstruct timespec t;\n\n"
	"\tclock_gettime(c, &t);\n"
	"\treturn (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;\n}\n\n"
	"#define MONO() ns_of(CLOCK_MONOTONIC)\n"
	"#define CPU() ns_of(CLOCK_THREAD_CPUTIME_ID)\n"
	"#define ADD(x, v) __atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)\n\n"
	"struct fr { int s; uint64_t w0, c0, cw, cc; };\n"
	"static __thread struct fr stk[64];\nstatic __thread int sp, act[NS];\n"
	"static struct { uint64_t calls, lat, wall, self, self_cpu, sleep, "
	"allocs, frees, naps, kids; } bk[NS];\n"
	"static struct { int tid; uint64_t cpu, rq; } tbk[NT + 1];\n"
	"static pthread_mutex_t work_mu = PTHREAD_MUTEX_INITIALIZER;\n"
	"static int io_fd = -1;\nstatic char io_buf[8192];\n\n"
	"static void enter(int s)\n{\n\tstruct fr *f = &stk[sp++];\n\n"
	"\tif (sp > 1)\n\t\tADD(bk[stk[sp - 2].s].kids, 1);\n"
	"\tf->s = s;\n\tf->cw = f->cc = 0;\n\tact[s]++;\n\tf->c0 = CPU();\n"
	"\tf->w0 = MONO();\n}\n\n"
	"static void leave(int s)\n{\n\tuint64_t w1 = MONO(), c1 = CPU();\n"
	"\tstruct fr *f = &stk[--sp];\n\tuint64_t w = w1 - f->w0, c = c1 - f->c0;\n\n"
	"\tADD(bk[s].calls, 1);\n\tADD(bk[s].lat, w);\n"
	"\tADD(bk[s].self, w - f->cw);\n\tADD(bk[s].self_cpu, c - f->cc);\n"
	"\tif (act[s] == 1)\n\t\tADD(bk[s].wall, w);\n\tact[s]--;\n"
	"\tif (sp) {\n\t\tstk[sp - 1].cw += w;\n\t\tstk[sp - 1].cc += c;\n\t}\n}\n\n"
	"static __attribute__((unused)) void spin(uint64_t us)\n{\n\tuint64_t end = CPU() + us * 1000;\n\n"
	"\twhile (CPU() < end)\n\t\t;\n}\n\n"
	"static __thread int rq_fd = -1;\n\n"
	"/* This thread's run-queue wait so far (schedstat's run_delay). */\n"
	"static uint64_t rq_now(void)\n{\n\tunsigned long long c = 0, r = 0;\n"
	"\tchar b[96];\n\tssize_t n;\n\n"
	"\tif (rq_fd < 0)\n"
	"\t\trq_fd = open(\"/proc/thread-self/schedstat\", O_RDONLY | O_CLOEXEC);\n"
	"\tn = pread(rq_fd, b, sizeof(b) - 1, 0);\n"
	"\tif (n <= 0)\n\t\texit(3);\n\tb[n] = 0;\n"
	"\tif (sscanf(b, \"%%llu %%llu\", &c, &r) != 2)\n\t\texit(3);\n"
	"\treturn r;\n}\n\n"
	"/* Sleeps us; books the time blocked: the wall time less what the\n"
	" * thread ran and waited to run meanwhile. */\n"
	"static __attribute__((unused)) void nap(int s, long us)\n{\n"
	"\tstruct timespec ts = { 0, us * 1000 };\n"
	"\tuint64_t c = CPU(), t = MONO(), q = rq_now(), dq, dc;\n\n"
	"\twhile (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts))\n\t\t;\n"
	"\t/* run_delay grows when a wait ends, and a wait can begin at any\n"
	"\t * syscall's return: each read of it follows the wall clock's\n"
	"\t * with no syscall between them, so a wait that ends before a\n"
	"\t * read is on the same side of both. */\n"
	"\tt = MONO() - t;\n\tdq = rq_now() - q;\n\tdc = CPU() - c;\n"
	"\tt -= dc + dq;\n"
	"\tADD(bk[s].sleep, t);\n\tADD(bk[s].naps, 1);\n}\n\n"

	"static __attribute__((unused)) void locked(long us)\n{\n\tpthread_mutex_lock(&work_mu);\n"
	"\tspin((uint64_t)us);\n\tpthread_mutex_unlock(&work_mu);\n}\n\n"
	"static __attribute__((unused)) void io(size_t n)\n{\n"
	"\tif (pwrite(io_fd, io_buf, n, 0) != (ssize_t)n)\n\t\texit(3);\n"
	"\tif (FSYNC && fdatasync(io_fd))\n\t\texit(3);\n}\n\n"
	"static __attribute__((unused)) void allocs(int s, int n, size_t size)\n{\n\tvoid *p[8];\n"
	"\tint i;\n\n\tfor (i = 0; i < n; i++) {\n\t\tp[i] = malloc(size);\n"
	"\t\tif (!p[i])\n\t\t\texit(3);\n\t\tmemset(p[i], i, size);\n\t}\n"
	"\tfor (i = 0; i < n; i++)\n\t\tfree(p[i]);\n"
	"\tADD(bk[s].allocs, (uint64_t)n);\n\tADD(bk[s].frees, (uint64_t)n);\n}\n\n";

static void emit_op(const struct plan *p, int i, int k)
{
	const struct stage_plan *s = &p->st[i];

	switch (s->op[k]) {
	case OP_SPIN:
		printf("\tspin(%d);\n", s->arg[k]);
		break;
	case OP_NAP:
		printf("\tnap(%d, %d);\n", i, s->arg[k]);
		break;
	case OP_LOCK:
		printf("\tlocked(%d);\n", s->arg[k]);
		break;
	case OP_IO:
		printf("\tio(%d);\n", s->arg[k]);
		break;
	case OP_ALLOC:
		printf("\tallocs(%d, %d, %d);\n", i, s->arg[k], s->arg2[k]);
		break;
	case OP_CALL:
		printf("\tstage_%d(d);\n", s->arg[k]);
		break;
	case OP_RECURSE:
		printf("\tif (d > 0)\n\t\tstage_%d(d - 1);\n", i);
		break;
	}
}

static void emit_stages(const struct plan *p)
{
	int i, k;

	for (i = 0; i < p->nstages; i++)
		printf("long stage_%d(int d);\n", i);
	for (i = 0; i < p->nstages; i++) {
		printf("\nPIPETRACE_NOINLINE long stage_%d(int d)\n{\n", i);
		printf("\tenter(%d);\n", i);
		for (k = 0; k < p->st[i].nops; k++)
			emit_op(p, i, k);
		printf("\tleave(%d);\n\treturn d;\n}\n", i);
		printf("PIPETRACE_STAGE_NOITEMS(stage_%d);\n", i);
	}
}

/* Threads: each runs ROUNDS rounds of stage_0 (the root of every nest),
 * then records its own schedstat. */
static const char *const tail =
	"\nstatic void own_schedstat(int k)\n{\n\tunsigned long long c = 0, r = 0;\n"
	"\tchar path[64];\n\tFILE *f;\n\n\ttbk[k].tid = gettid();\n"
	"\tsnprintf(path, sizeof(path), \"/proc/self/task/%%d/schedstat\", "
	"tbk[k].tid);\n"
	"\tf = fopen(path, \"r\");\n"
	"\tif (f && fscanf(f, \"%%llu %%llu\", &c, &r) != 2)\n\t\tc = r = 0;\n"
	"\tif (f)\n\t\tfclose(f);\n\ttbk[k].cpu = c;\n\ttbk[k].rq = r;\n}\n\n"
	"static void *worker(void *arg)\n{\n\tint k = (int)(long)arg, r;\n\n"
	"\tfor (r = 0; r < ROUNDS; r++)\n\t\tstage_0(DEPTH);\n"
	"\town_schedstat(k);\n\treturn NULL;\n}\n\n"
	"static void books(FILE *f)\n{\n\tint s, k;\n\n"
	"\tfprintf(f, \"{\\\"stages\\\":[\");\n"
	"\tfor (s = 0; s < NS; s++)\n"
	"\t\tfprintf(f, \"%%s{\\\"name\\\":\\\"stage_%%d\\\",\\\"calls\\\":%%llu,"
	"\\\"lat_ns\\\":%%llu,\\\"wall_ns\\\":%%llu,\\\"self_ns\\\":%%llu,"
	"\\\"self_cpu_ns\\\":%%llu,\\\"sleep_ns\\\":%%llu,\\\"allocs\\\":%%llu,"
	"\\\"frees\\\":%%llu,\\\"naps\\\":%%llu,\\\"kids\\\":%%llu}\",\n"
	"\t\t\ts ? \",\" : \"\", s, (unsigned long long)bk[s].calls,\n"
	"\t\t\t(unsigned long long)bk[s].lat, (unsigned long long)bk[s].wall,\n"
	"\t\t\t(unsigned long long)bk[s].self,\n"
	"\t\t\t(unsigned long long)bk[s].self_cpu,\n"
	"\t\t\t(unsigned long long)bk[s].sleep,\n"
	"\t\t\t(unsigned long long)bk[s].allocs,\n"
	"\t\t\t(unsigned long long)bk[s].frees,\n"
	"\t\t\t(unsigned long long)bk[s].naps,\n"
	"\t\t\t(unsigned long long)bk[s].kids);\n"
	"\tfprintf(f, \"],\\\"threads\\\":[\");\n"
	"\tfor (k = 1; k <= NT; k++)\n"
	"\t\tfprintf(f, \"%%s{\\\"tid\\\":%%d,\\\"cpu_ns\\\":%%llu,"
	"\\\"rq_ns\\\":%%llu}\",\n"
	"\t\t\tk > 1 ? \",\" : \"\", tbk[k].tid,\n"
	"\t\t\t(unsigned long long)tbk[k].cpu,\n"
	"\t\t\t(unsigned long long)tbk[k].rq);\n"
	"\tfprintf(f, \"]}\\n\");\n}\n\n"
	"int main(int argc, char **argv)\n{\n\tpthread_t th[NT + 1];\n"
	"\tchar path[4096];\n\tFILE *f;\n\tint k;\n\n"
	"\tif (argc != 2)\n\t\treturn 2;\n"
	"\tsnprintf(path, sizeof(path), \"%%s.io\", argv[1]);\n"
	"\tio_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);\n"
	"\tif (io_fd < 0)\n\t\treturn 1;\n\tunlink(path);\n"
	"\tfor (k = 1; k <= NT; k++)\n"
	"\t\tif (pthread_create(&th[k], NULL, worker, (void *)(long)k))\n"
	"\t\t\treturn 1;\n"
	"\tfor (k = 1; k <= NT; k++)\n\t\tpthread_join(th[k], NULL);\n"
	"\tf = fopen(argv[1], \"w\");\n\tif (!f)\n\t\treturn 1;\n\tbooks(f);\n"
	"\treturn fclose(f) ? 1 : 0;\n}\n";

int main(int argc, char **argv)
{
	struct plan p;
	char *end;
	uint64_t seed;

	if (argc != 2)
		return 2;
	seed = strtoull(argv[1], &end, 0);
	if (*end)
		return 2;
	make_plan(&p, seed);
	printf("/* pipetrace-gen seed=%" PRIu64
	       " stages=%d threads=%d alloc=%d */\n",
	       seed, p.nstages, p.nthreads, p.alloc);
	printf(runtime, p.nstages, p.nthreads, p.rounds, p.depth, p.fsync);
	emit_stages(&p);
	printf(tail);
	return 0;
}
