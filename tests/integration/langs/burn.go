// SPDX-License-Identifier: MIT
// A Go stage that burns the CPU: 2 goroutines each call burn 100 times;
// burn spends its time in mix, which is no stage. Built by test_stacks
// with go build; prints its own call count.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
)

var nburn int64
var sink uint64

//go:noinline
func mix(h uint64, i int) uint64 {
	h ^= uint64(i)
	return h * 1099511628211
}

//go:noinline
func burn(n int) uint64 {
	atomic.AddInt64(&nburn, 1)
	var h uint64 = 1469598103934665603
	for i := 0; i < n; i++ {
		h = mix(h, i)
	}
	return h
}

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex

	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				h := burn(2000000)
				mu.Lock()
				sink += h
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Println("burn", nburn)
}
