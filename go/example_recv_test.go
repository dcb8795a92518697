package rshm_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	rshm "github.com/rshm/rshm/go"
)

// A receiver that waits for a message as long as its context allows. While
// it waits, its goroutine is parked on the netpoller and holds no thread.
func ExampleChannel_RecvContext() {
	name := fmt.Sprintf("/rshm-example-%d-recv", os.Getpid())
	tx, err := rshm.ChannelCreate(name, 4096, 0o600)
	if err != nil {
		log.Fatal(err)
	}
	defer rshm.ChannelUnlink(name)
	defer tx.Close()
	rx, err := rshm.ChannelOpen(name, time.Second) // in another process, as a rule
	if err != nil {
		log.Fatal(err)
	}
	defer rx.Close()

	time.AfterFunc(10*time.Millisecond, func() { _ = tx.Send([]byte("hello"), -1) })
	buf := make([]byte, rx.MaxMessage())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := rx.RecvContext(ctx, buf)
	fmt.Println(string(buf[:n]), err)

	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = rx.RecvContext(ctx, buf) // nothing comes
	fmt.Println(err)
	// Output:
	// hello <nil>
	// context deadline exceeded
}
