//go:build !unix

package app

import "context"

// measureLock does nothing where flock is not available; concurrent
// measurements are then the user's to avoid.
func measureLock(context.Context, string, func()) (func(), error) { return func() {}, nil }
