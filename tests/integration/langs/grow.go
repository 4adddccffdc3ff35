// SPDX-License-Identifier: MIT
// Goroutines whose stacks grow, and panics recovered through traced
// functions; built by test_unwind with go build. 8 goroutines each call
// work 500 times, recurse 200 deep 5 times with a 512-byte local (the
// stack grows: runtime.morestack re-enters deep from the top), and call
// guard 100 times, which calls middle, which calls thrower, which panics
// on odd calls; guard's deferred function recovers. Before them, 8
// goroutines run quitter, which calls leaver, which ends the goroutine
// with runtime.Goexit. With "wait", waits for a byte on stdin first.
// Prints its own call counts; exits 3.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	goroutines = 8
	works      = 500
	recursions = 5
	depth      = 200
	guards     = 100
)

var nwork, ndeep, nguard, nmiddle, nthrower, npanic, nquit, nleave int64

//go:noinline
func work(i int) int {
	atomic.AddInt64(&nwork, 1)
	return i*7 + 1
}

//go:noinline
func deep(n int) int {
	var pad [512]byte

	atomic.AddInt64(&ndeep, 1)
	pad[n%512] = byte(n)
	if n <= 1 {
		return int(pad[n%512])
	}
	return deep(n-1) + int(pad[n%512]&1)
}

//go:noinline
func thrower(i int) int {
	atomic.AddInt64(&nthrower, 1)
	if i%2 == 1 {
		atomic.AddInt64(&npanic, 1)
		panic(fmt.Sprintf("odd %d", i))
	}
	return i
}

//go:noinline
func middle(i int) int {
	atomic.AddInt64(&nmiddle, 1)
	return thrower(i) + 1
}

//go:noinline
func guard(i int) (r int) {
	atomic.AddInt64(&nguard, 1)
	defer func() {
		if recover() != nil {
			r = -1
		}
	}()
	return middle(i)
}

//go:noinline
func leaver() {
	atomic.AddInt64(&nleave, 1)
	runtime.Goexit()
}

//go:noinline
func quitter() {
	atomic.AddInt64(&nquit, 1)
	leaver()
}

// Runs quitter in 8 goroutines and waits until they are gone (past
// runtime.goexit1: no longer counted by runtime.NumGoroutine).
func quitters() {
	base := runtime.NumGoroutine()
	for g := 0; g < goroutines; g++ {
		go quitter()
	}
	for atomic.LoadInt64(&nleave) < goroutines ||
		runtime.NumGoroutine() > base {
		runtime.Gosched()
	}
}

//go:noinline
func worker(g int, sum *int) {
	for i := 0; i < works; i++ {
		*sum += work(i)
	}
	for i := 0; i < recursions; i++ {
		*sum += deep(depth)
	}
	for i := 0; i < guards; i++ {
		*sum += guard(i)
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		b := make([]byte, 1)
		os.Stdin.Read(b)
	}
	quitters()
	var wg sync.WaitGroup
	sums := make([]int, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			worker(g, &sums[g])
		}(g)
	}
	wg.Wait()
	total := 0
	for _, s := range sums {
		total += s
	}
	fmt.Printf("work %d\n", nwork)
	fmt.Printf("deep %d\n", ndeep)
	fmt.Printf("guard %d\n", nguard)
	fmt.Printf("middle %d\n", nmiddle)
	fmt.Printf("thrower %d\n", nthrower)
	fmt.Printf("panic %d\n", npanic)
	fmt.Printf("quitter %d\n", nquit)
	fmt.Printf("leaver %d\n", nleave)
	fmt.Printf("sum %d\n", total)
	os.Exit(3)
}
