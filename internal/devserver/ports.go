package devserver

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// The server's own services (history, matching, worker, the frontend's
// HTTP API) listen on ports chosen before the server binds them. A port
// the kernel hands out for ":0" comes from its ephemeral range, the same
// range every outgoing connection of the machine takes its local port from,
// so on a busy machine an outgoing connection can take it in the moment
// between the choice and the bind, and the server dies with "address
// already in use". freePort therefore picks at random among the ports the
// kernel never hands out by itself, when it can tell which those are.

// ephemeralRangeFile is where Linux keeps its ephemeral port range.
const ephemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// quietPorts is the range freePort picks from: [low, high].
type quietPorts struct{ low, high int }

// quietRange returns the widest range of ports outside the kernel's
// ephemeral range, or false when the ephemeral range is unknown (not
// Linux) or leaves fewer than 1,000 ports on either side.
func quietRange() (quietPorts, bool) {
	b, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return quietPorts{}, false
	}
	return quietRangeFrom(string(b))
}

// quietRangeFrom parses the content of ip_local_port_range ("32768\t60999")
// and returns the wider side of it: above the ephemeral range, or from
// 10000 up to below it (ports under 10000 are where well-known services
// live).
func quietRangeFrom(content string) (quietPorts, bool) {
	fields := strings.Fields(content)
	if len(fields) != 2 {
		return quietPorts{}, false
	}
	low, err1 := strconv.Atoi(fields[0])
	high, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil || low < 1 || high > 65535 || low > high {
		return quietPorts{}, false
	}
	above := quietPorts{high + 1, 65535}
	below := quietPorts{10000, low - 1}
	best := above
	if below.high-below.low > above.high-above.low {
		best = below
	}
	if best.high-best.low+1 < 1000 {
		return quietPorts{}, false
	}
	return best, true
}

// freePort returns a port of 127.0.0.1 that was free a moment ago, outside
// the kernel's ephemeral range where that range is known.
func freePort() (int, error) {
	if r, ok := quietRange(); ok {
		for range 200 {
			p := r.low + rand.IntN(r.high-r.low+1)
			if checkPort(p) == nil {
				return p, nil
			}
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(localhost, "0"))
	if err != nil {
		return 0, fmt.Errorf("no free port on %s: %w", localhost, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
