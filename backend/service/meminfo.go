package service

import "github.com/whetstone-ai/whetstone/backend/sysmem"

// availableMB is the memory a run can take (sysmem.Available), in MB; 0
// when unknown, which the UI shows as "unknown" rather than a false alarm.
func availableMB() float64 { return float64(sysmem.Available()) / (1 << 20) }
