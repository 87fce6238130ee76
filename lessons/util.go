package lessons

import (
	"io"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// streamString is a rewindable request body.
func streamString(s string) io.ReadSeekCloser {
	return streaming.NopCloser(strings.NewReader(s))
}

// mask shows the first three characters of a secret value, as the portal
// shows a client secret's hint.
func mask(v string) string {
	if len(v) <= 3 {
		return strings.Repeat("•", len(v))
	}
	return v[:3] + strings.Repeat("•", min(len(v)-3, 12))
}
