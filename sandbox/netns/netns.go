package netns

import "errors"

// ErrUnavailable means no private network namespace can be made here;
// the message says why and how to fix it.
var ErrUnavailable = errors.New("no private network namespace")
