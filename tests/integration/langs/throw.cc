// SPDX-License-Identifier: MIT
// C++ exceptions through traced functions, caught and rethrown, recursion
// 200 deep (10 times), a jump table and tail calls; built by test_unwind
// with g++ -O2. With "wait", waits for a byte on stdin first. Prints a
// checksum; exits 5.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

extern "C" {
__attribute__((noipa)) long thrower(int x)
{
	if (x % 2)
		throw std::runtime_error("odd");
	return x;
}

__attribute__((noipa)) long middle(int x)
{
	return thrower(x) + 1;
}

__attribute__((noipa)) long rethrower(int x)
{
	try {
		return middle(x);
	} catch (const std::runtime_error &) {
		throw;
	}
}

__attribute__((noipa)) long plain(int x)
{
	return x * 2L;
}

__attribute__((noipa)) long leaf(long x)
{
	if (x == -1)
		throw std::runtime_error("never");
	return x + 7;
}

/* A jump table (jmp *%reg inside the function: no exit) and tail calls
 * (jmp leaf: an exit). */
__attribute__((noipa)) long sw(long x)
{
	switch (x & 7) {
	case 0:
		return x * 3;
	case 1:
		return leaf(x);
	case 2:
		return x ^ 0x55;
	case 3:
		return x - 9;
	case 4:
		return leaf(x + 1);
	case 5:
		return x << 2;
	case 6:
		return x / 3;
	default:
		return x + 1000;
	}
}

long recurse(int n);
}

/* Called through a volatile pointer: gcc -O2 would make a loop of it. */
static long (*volatile self)(int) = recurse;

extern "C" __attribute__((noipa)) long recurse(int n)
{
	volatile char pad[64];

	pad[0] = (char)n;
	if (n <= 1)
		return pad[0];
	return self(n - 1) + 1;
}

int main(int argc, char **argv)
{
	long sum = 0;
	int caught = 0;
	char c;

	if (argc > 1 && !strcmp(argv[1], "wait") && read(0, &c, 1) < 0)
		return 1;
	for (int i = 0; i < 100; i++) {
		try {
			sum += rethrower(i);
		} catch (const std::exception &e) {
			caught++;
		}
		sum += plain(i);
	}
	for (int i = 0; i < 10; i++)
		sum += recurse(200);
	for (long i = 0; i < 800; i++)
		sum += sw(i);
	std::printf("sum %ld caught %d\n", sum, caught);
	return 5;
}
