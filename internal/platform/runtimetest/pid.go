package runtimetest

// PID returns the function process's id, e.g. to read its memory and CPU
// figures from /proc while it runs; 0 when no process was started.
func (r *Runtime) PID() int {
	if r.cmd == nil || r.cmd.Process == nil {
		return 0
	}
	return r.cmd.Process.Pid
}
