// Package report renders a run record as the compact, human-readable report
// the CLI prints. Every figure carries its unit and says what it is
// (measured, modelled or estimated; gross or idle-subtracted); absent
// figures are shown as absent with the reason.
//
// It imports only the lab and energy vocabularies.
package report
