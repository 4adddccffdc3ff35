// SPDX-License-Identifier: MIT
// Goroutines whose stacks grow: recursion 200 deep with a 512-byte local
// in 4 goroutines; built by test_unwind with go build. With "wait", waits
// for a byte on stdin first. Prints a checksum; exits 0.
package main

import (
	"fmt"
	"os"
	"sync"
)

//go:noinline
func deep(n int) int {
	var pad [512]byte
	pad[n%512] = byte(n)
	if n <= 1 {
		return int(pad[n%512])
	}
	return deep(n-1) + int(pad[n%512]&1)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		b := make([]byte, 1)
		os.Stdin.Read(b)
	}
	var wg sync.WaitGroup
	sums := make([]int, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				sums[g] += deep(200)
			}
		}(g)
	}
	wg.Wait()
	fmt.Println("sum", sums[0]+sums[1]+sums[2]+sums[3])
}
