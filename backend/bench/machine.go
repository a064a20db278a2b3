package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/sysmem"
)

// Machine describes where a result was measured: enough to tell whether two
// result files are comparable.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	MemTotalMB int    `json:"mem_total_mb,omitempty"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	GoVersion  string `json:"go_version"`
	// GOEXPERIMENT is the experiments the binary was built with ("simd"
	// enables the Go backend's AVX kernels).
	GOEXPERIMENT string `json:"goexperiment"`
	// Backend is the GoMLX backend's configuration and description.
	Backend string `json:"backend"`
	// CPUFlags notes the vector extensions that matter to the kernels.
	CPUFlags []string `json:"cpu_flags,omitempty"`
}

// DescribeMachine fills a Machine for this process; backend is the
// backend's description (accel.Info.String()).
func DescribeMachine(backend string) Machine {
	m := Machine{
		Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(),
		Backend: backend,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOEXPERIMENT" {
				m.GOEXPERIMENT = s.Value
			}
		}
	}
	m.CPU, m.CPUFlags = cpuInfo()
	m.MemTotalMB = memTotalMB()
	return m
}

// cpuInfo reads the model name and the relevant vector flags from
// /proc/cpuinfo (Linux); elsewhere it reports the architecture only.
func cpuInfo() (string, []string) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH, nil
	}
	defer f.Close()
	var name string
	var flags []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() && (name == "" || flags == nil) {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "model name":
			if name == "" {
				name = val
			}
		case "flags":
			if flags == nil {
				flags = []string{}
				for _, fl := range strings.Fields(val) {
					switch fl {
					case "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_bf16", "f16c":
						flags = append(flags, fl)
					}
				}
			}
		}
	}
	if name == "" {
		name = runtime.GOARCH
	}
	return name, flags
}

func memTotalMB() int { return int(sysmem.Total() >> 20) }

// memAvailableMB is MemAvailable: what a run can take without swapping; 0
// when unknown.
func memAvailableMB() int { return int(sysmem.Available() >> 20) }
