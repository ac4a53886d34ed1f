// Package config is the lab's one configuration struct, layered in a fixed
// order — defaults, then the YAML file, then ENERGYLAB_* (and the providers'
// conventional) environment variables, then only the flags the user set —
// and validated once with field-by-field errors.
//
// No other package reads the environment. config imports no other internal
// package.
package config
