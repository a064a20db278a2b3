package runs

import "os"

// selfOwner describes the current process, for display in the record.
func selfOwner() Owner {
	host, _ := os.Hostname()
	return Owner{PID: os.Getpid(), Host: host}
}
