// SPDX-License-Identifier: MIT
// gomicro: the Go side of scripts/bench-go.sh. f1us, a non-inlined Go
// function spinning about 1 us, called N times in a loop.
//
//	gomicro calibrate   print the spin count of about 1 us (the fastest
//	                    of 21 trials of 1000 calls)
//	gomicro N LOOPS     call f1us(LOOPS) N times; print ns_per_call=X
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var sink int

//go:noinline
func f1us(loops int) int {
	s := 0
	for i := 0; i < loops; i++ {
		s += i ^ (s >> 3)
	}
	return s
}

func perCall(n, loops int) float64 {
	start := time.Now()
	for i := 0; i < n; i++ {
		sink += f1us(loops)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func calibrate() int {
	loops := 1000
	best := perCall(1000, loops)
	for t := 0; t < 20; t++ {
		if ns := perCall(1000, loops); ns < best {
			best = ns
		}
	}
	return int(float64(loops) * 1000 / best)
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "calibrate" {
		fmt.Println(calibrate())
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gomicro calibrate | gomicro N LOOPS")
		os.Exit(2)
	}
	n, err1 := strconv.Atoi(os.Args[1])
	loops, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || n <= 0 || loops < 0 {
		fmt.Fprintln(os.Stderr, "gomicro: bad N or LOOPS")
		os.Exit(2)
	}
	fmt.Printf("ns_per_call=%.1f\n", perCall(n, loops))
}
