// Package report renders a run record as the compact, human-readable report
// the CLI prints. Every figure carries its unit and says what it is
// (measured, modelled or estimated; gross or idle-subtracted); absent
// figures are shown as absent with the reason.
//
// It also builds the lab's charts (internal/chart) of runs, sessions and
// experiments, and writes experiment reports as self-contained HTML or
// Markdown.
package report
