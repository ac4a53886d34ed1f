// Package preset provides system-prompt presets: a few written for this
// project and embedded in the binary, plus any the user drops into a presets
// directory (the published frontier system prompts, for example).
//
// It reads only the file system it is given; it imports no other internal
// package.
package preset
