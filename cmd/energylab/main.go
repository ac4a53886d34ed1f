// Command energylab measures the energy of LLM inference. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/llm-energy-lab/energylab/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], app.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv})
	stop()
	os.Exit(code)
}
