// Package profile writes diagnostic CPU and heap profiles of an akship run
// when the environment asks for them (AKSHIP_CPUPROFILE, AKSHIP_MEMPROFILE):
// akship run starts them, akship bench passes the variables to the agent it
// measures.
package profile

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// Diagnostic profiling of "akship run", for performance work (see the
// README's Performance section). They are environment variables rather than
// flags because they are not part of the supported interface and because
// "akship bench" passes them through to the agent it runs.
const (
	// EnvCPU names a file that receives a CPU profile of the run.
	EnvCPU = "AKSHIP_CPUPROFILE"
	// EnvMem names a file that receives a heap profile (allocations
	// since start and what is live) when the run ends; <file>.peak gets the
	// heap profile taken when the live heap was largest, for peak RSS.
	EnvMem = "AKSHIP_MEMPROFILE"
)

// Start starts the profiles the environment asks for. The returned
// function writes them; it must be called before the process exits.
func Start() (stop func() error, err error) {
	var cpu *os.File
	if p := os.Getenv(EnvCPU); p != "" {
		if cpu, err = os.Create(p); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCPU, err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("%s: %w", EnvCPU, err)
		}
	}
	memPath := os.Getenv(EnvMem)
	var peak *peakHeap
	if memPath != "" {
		peak = watchPeakHeap()
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return err
			}
		}
		if memPath == "" {
			return nil
		}
		f, err := os.Create(memPath)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvMem, err)
		}
		runtime.GC() // up-to-date live heap
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.WriteFile(memPath+".peak", peak.stop(), 0o600)
	}, nil
}

// peakHeap keeps the heap profile of the moment the live heap was largest.
type peakHeap struct {
	done chan struct{}
	out  chan []byte
}

// watchPeakHeap samples the heap size every 100ms and profiles the heap
// whenever it is 10% above the largest size seen so far.
func watchPeakHeap() *peakHeap {
	p := &peakHeap{done: make(chan struct{}), out: make(chan []byte, 1)}
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var best []byte
		var most uint64
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.done:
				p.out <- best
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > most+most/10 {
				most = v
				var b bytes.Buffer
				if pprof.Lookup("heap").WriteTo(&b, 0) == nil {
					best = b.Bytes()
				}
			}
		}
	}()
	return p
}

func (p *peakHeap) stop() []byte {
	close(p.done)
	return <-p.out
}
