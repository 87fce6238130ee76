package proxy

import (
	"net"
	"syscall"
)

// quickAck acknowledges what was read at once. A client with Nagle's
// algorithm on (Python's urllib3 leaves it on for a proxy tunnel) sends a
// request's body, or its first request after the TLS handshake, only once
// the segment before is acknowledged; the kernel's delayed ACK would hold
// each of those 40 ms. Real front doors answer the same client without
// that stall, so the sandbox should too (tunnelConn says when).
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
