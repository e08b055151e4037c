// Command notifier is the EventBridge-triggered function: PAI task-state
// events in, signed DingTalk robot messages out. It runs on Function Compute
// (FC_RUNTIME_API), AWS Lambda (AWS_LAMBDA_RUNTIME_API) or, with neither
// set, locally: `notifier [-explain] [-dry-run] [FILE...]` handles each file
// (stdin when none) as one invocation and prints its result as a JSON line;
// -dry-run prints each message as the group would see it and sends nothing.
package main

import (
	"context"
	"flag"
	"os"

	"github.com/pai-notifier/pai-notifier/internal/notify"
	"github.com/pai-notifier/pai-notifier/internal/platform"
)

func main() {
	explain := flag.Bool("explain", false, "add every rule's verdict for each event to the result")
	dryRun := flag.Bool("dry-run", false, "match and render, print each message to stdout as the group would see it, send nothing")
	flag.Parse()
	logger := platform.Logger(os.Stderr, platform.LogLevel(os.Getenv("LOG_LEVEL")))
	flags := notify.Flags{Explain: *explain}
	if *dryRun {
		flags.DryRun = os.Stdout
	}
	n := notify.FromEnv(os.Getenv, logger, flags)
	platform.RunEvents(func(ctx context.Context, payload []byte) (any, error) {
		return n.Handle(ctx, payload)
	}, flag.Args())
}
