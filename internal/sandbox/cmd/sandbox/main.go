// Command sandbox serves the fake payments, shipping and email providers
// on their own, for trying workflows by hand or for tests that keep the
// providers in another process than the one they kill:
//
//	go run ./internal/sandbox/cmd/sandbox -addr 127.0.0.1:4010
//
// It prints the environment that points the built-in activities at it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/internal/sandbox"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4010", "listen address; port 0 picks a free one")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	base, err := sandbox.New().Start(ctx, *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("export %s=%s/payments\n", activities.EnvPaymentsURL, base)
	fmt.Printf("export %s=%s/shipping\n", activities.EnvShippingURL, base)
	fmt.Printf("export %s=%s/email\n", activities.EnvEmailURL, base)
	<-ctx.Done()
}
