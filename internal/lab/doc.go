// Package lab holds the run record: the one vocabulary the CLI JSON, the
// store, exports and the web lab share. It has no behaviour beyond
// validation; it imports only energy and provider types.
package lab
