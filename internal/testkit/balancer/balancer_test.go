package balancer_test

import (
	"bufio"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/balancer"
)

// nameServer answers every connection with its name.
func nameServer(t *testing.T, name string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(name + "\n"))
			c.Close()
		}
	}()
	return l.Addr().String()
}

func ask(t *testing.T, b *balancer.Balancer) string {
	c, err := net.Dial("tcp", b.URL()[len("http://"):])
	require.NoError(t, err)
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	return line[:len(line)-1]
}

func TestRoundRobinSkippingABackendThatIsDown(t *testing.T) {
	down, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	downAddr := down.Addr().String()
	down.Close()

	b, err := balancer.Start(nameServer(t, "a"), downAddr, nameServer(t, "c"))
	require.NoError(t, err)
	defer b.Close()
	var got []string
	for range 4 {
		got = append(got, ask(t, b))
	}
	assert.Equal(t, []string{"a", "c", "c", "a"}, got)
	assert.Equal(t, []int{2, 0, 2}, b.Accepted())
}
