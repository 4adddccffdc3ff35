// SPDX-License-Identifier: MIT
// Two destructors that demangle alike: Circle has a virtual destructor, so
// g++ emits its deleting destructor (D0: destroys, then frees) apart from
// its complete-object one (D1, which D2 aliases): both demangle to
// "Circle::~Circle()".
//
//   shapes N
//	deletes N Circles through a Shape pointer (each one D0 call) and
//	destroys 2*N on the stack (the complete destructor, not D0).
//	Prints "deleted N", "destroyed 2N" and the area sum; exits 0.
#include <cstdio>
#include <cstdlib>

class Shape {
    public:
	virtual ~Shape();
	virtual double area() const = 0;
};

class Circle : public Shape {
    public:
	explicit Circle(double r);
	~Circle() override;
	double area() const override;

    private:
	double r;
};

static volatile unsigned long destroyed;

Shape::~Shape() = default;

__attribute__((noinline)) Circle::Circle(double radius)
	: r(radius)
{
}

__attribute__((noipa)) Circle::~Circle()
{
	destroyed = destroyed + 1;
}

__attribute__((noinline)) double Circle::area() const
{
	return 3.0 * r * r;
}

__attribute__((noipa)) static double on_stack(int i)
{
	Circle c(i);

	return c.area();
}

/* Its dynamic type hidden from the caller: the delete goes through the
 * vtable, to D0. */
__attribute__((noipa)) static Shape *make(int i)
{
	return new Circle(i);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, i;
	unsigned long deleted = 0;
	double sum = 0;

	for (i = 0; i < n; i++) {
		Shape *s = make(i);

		sum += s->area();
		delete s;
		deleted++;
	}
	for (i = 0; i < 2 * n; i++)
		sum += on_stack(i);
	printf("deleted %lu\ndestroyed %lu\nsum %.0f\n", deleted,
	       (unsigned long)destroyed - deleted, sum);
	return 0;
}
