//go:build !unix

package runtimetest

import "os/exec"

// aws-lambda-rie runs only on Linux; elsewhere a process is killed alone.
func ownProcessGroup(*exec.Cmd) {}

func killGroup(cmd *exec.Cmd) { cmd.Process.Kill() }
