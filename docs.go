// Package energylab holds the project's own documentation, embedded so that
// the web lab can render it at /docs; the program is cmd/energylab.
package energylab

import _ "embed"

// README is the project's README: set-up, commands, methodology, figures.
//
//go:embed README.md
var README string
