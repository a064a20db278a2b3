package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// RooflineResult compares the training step's useful work with what this
// machine's backend reaches on a plain float32 GEMM.
type RooflineResult struct {
	// GEMMSize is n of the n×n×n float32 matrix product measured.
	GEMMSize int `json:"gemm_size"`
	// GEMMGFLOPS is the best of GEMMRuns timed products, in GFLOP/s: the
	// machine's matmul roofline on this backend, measured in the same
	// process, half the runs before training and half after it (each half
	// after one compiling run). The best of both halves keeps a slow
	// moment of a shared machine from lowering the roofline and so
	// flattering the fraction.
	GEMMGFLOPS float64 `json:"gemm_gflops"`
	GEMMRuns   int     `json:"gemm_runs"`
	// StepFLOPs is one training step's matmul work (see StepFLOPs).
	StepFLOPs StepFLOPs `json:"step_flops"`
	// StepGFLOPS is StepFLOPs.Total over the median step time.
	StepGFLOPS float64 `json:"step_gflops"`
	// Fraction is StepGFLOPS / GEMMGFLOPS.
	Fraction float64 `json:"fraction"`
	// ExecutedFraction is the same with the recomputed products counted
	// (StepFLOPs.Total + StepFLOPs.Recomputed). Under gradient
	// checkpointing the step repeats its layers' forward pass, half again
	// the projections' counted work, so Fraction stays well under
	// ExecutedFraction (Gemma 3 1B: at most 74 % with every product at the
	// GEMM's rate).
	ExecutedFraction float64 `json:"executed_fraction"`
}

// DefaultGEMMSize is the roofline's matrix size: large enough for the GEMM
// kernels' steady state (17 GFLOP, ~0.1 s on two cores), like the big
// projections of the real-size models.
const DefaultGEMMSize = 2048

// gemmRuns is how many timed products each half of the roofline's
// measurement runs (about 0.6 s on two cores).
const gemmRuns = 5

// measureGEMM times an n×n×n float32 matrix product on backend and
// returns the best rate in GFLOP/s. The product is summed to a scalar that
// is read back, so an asynchronous backend has finished when the clock
// stops (the sum is n² adds against 2n³ FLOPs of the product).
func measureGEMM(backend compute.Backend, n int) (float64, error) {
	exec, err := graph.NewExec(backend, func(a, b *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.MatMul(a, b))
	})
	if err != nil {
		return 0, fmt.Errorf("bench: roofline GEMM: %w", err)
	}
	defer exec.Finalize()
	rng := rand.New(rand.NewPCG(benchSeed, 11))
	mk := func() *tensors.Tensor {
		v := make([]float32, n*n)
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		return tensors.FromFlatDataAndDimensions(v, n, n)
	}
	a, b := mk(), mk()
	var times []float64
	for i := range gemmRuns + 1 {
		began := time.Now()
		out, err := exec.Exec(a, b)
		if err != nil {
			return 0, fmt.Errorf("bench: roofline GEMM: %w", err)
		}
		_ = out[0].Value()
		if i > 0 {
			times = append(times, time.Since(began).Seconds())
		}
		for _, t := range out {
			_ = t.FinalizeAll()
		}
	}
	best := slices.Min(times)
	return 2 * float64(n) * float64(n) * float64(n) / best / 1e9, nil
}
