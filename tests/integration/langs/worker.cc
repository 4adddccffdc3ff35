// SPDX-License-Identifier: MIT
// A C++ stage: class Worker whose step(int) does ~5 us of arithmetic and
// times each of its own calls (issue 12: calibration, C++).
//
//   worker CALLS [THREADS]
//	THREADS (default 1) threads, each with its own Worker, call step()
//	CALLS times each. Prints on stdout "calls N", "wall_mean NS",
//	"wall_min NS" and "wall_p50 NS" (CLOCK_MONOTONIC from step's first
//	statement to its last), "cpu_mean NS" (CLOCK_THREAD_CPUTIME_ID,
//	likewise) and a checksum; exits 0. Built by test_calib with g++ -O2.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <pthread.h>
#include <vector>
#include <algorithm>

namespace
{
uint64_t now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
} // namespace

class Worker {
    public:
	uint64_t calls = 0, wall = 0, cpu = 0, min = UINT64_MAX;
	uint64_t x = 1;
	std::vector<uint64_t> walls;

	__attribute__((noinline)) uint64_t step(int rounds);
	void record();

    private:
	uint64_t last_wall = 0, last_cpu = 0; /* the previous call's */
};

/* Counts the previous call. Called inside step's timed part, so that the
 * code of step that its clock does not see is as short as can be: a
 * preemption there is the call's time, but not in the program's truth. */
void Worker::record()
{
	if (!last_wall)
		return;
	calls++;
	walls.push_back(last_wall);
	wall += last_wall;
	cpu += last_cpu;
	if (last_wall < min)
		min = last_wall;
	last_wall = 0;
}

uint64_t Worker::step(int rounds)
{
	uint64_t w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
	uint64_t v = x;

	record();
	for (int i = 0; i < rounds; i++) {
		v = v * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(v));
	}
	x = v;
	last_cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
	last_wall = now(CLOCK_MONOTONIC) - w0;
	return v;
}

namespace
{
long g_calls;

void *run(void *arg)
{
	Worker *w = static_cast<Worker *>(arg);
	w->walls.reserve(g_calls);
	for (long i = 0; i < g_calls; i++)
		w->step(3000);
	w->record();
	return nullptr;
}
} // namespace

int main(int argc, char **argv)
{
	long nthreads = argc > 2 ? atol(argv[2]) : 1;
	uint64_t calls = 0, wall = 0, cpu = 0, min = UINT64_MAX, sum = 0;

	g_calls = argc > 1 ? atol(argv[1]) : 0;
	if (g_calls <= 0 || nthreads <= 0 || nthreads > 16) {
		fprintf(stderr, "usage: worker CALLS [THREADS]\n");
		return 2;
	}
	Worker *ws = new Worker[nthreads];
	pthread_t tids[16];

	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&tids[t], nullptr, run, &ws[t]))
			return 1;
	std::vector<uint64_t> all;
	for (long t = 0; t < nthreads; t++) {
		pthread_join(tids[t], nullptr);
		all.insert(all.end(), ws[t].walls.begin(), ws[t].walls.end());
		calls += ws[t].calls;
		wall += ws[t].wall;
		cpu += ws[t].cpu;
		sum += ws[t].x;
		if (ws[t].min < min)
			min = ws[t].min;
	}
	std::sort(all.begin(), all.end());
	printf("calls %llu\nwall_mean %llu\nwall_min %llu\nwall_p50 %llu\n"
	       "cpu_mean %llu\nchecksum %llu\n",
	       (unsigned long long)calls, (unsigned long long)(wall / calls),
	       (unsigned long long)min,
	       (unsigned long long)all[all.size() / 2],
	       (unsigned long long)(cpu / calls),
	       (unsigned long long)sum);
	delete[] ws;
	return 0;
}
