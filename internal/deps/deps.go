// Package deps pins the modules the packages being written in parallel will
// import; it is removed once they do.
package deps

import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/ollama/ollama/api"
	_ "go.yaml.in/yaml/v3"
	_ "modernc.org/sqlite"
)
