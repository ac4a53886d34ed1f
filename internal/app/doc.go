// Package app is the composition root: it turns the configuration into
// providers, meters and a store, runs the subcommands, and maps their errors
// to exit codes and "try" hints. It is the only package that imports every
// other; cmd/energylab only calls Main.
package app
