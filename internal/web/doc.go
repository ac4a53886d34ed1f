// Package web is the web lab: the Energy Lab, Comparison Lab and docs pages
// (embedded, hand-written HTML, CSS and JavaScript), the JSON API and the
// WebSocket protocol of the original lab's paths, and the server's
// protections (loopback by default, an access token elsewhere, origin
// checks, size limits). It knows nothing of providers, meters or the store:
// a Backend, supplied by the app package, does the work.
package web
