// Package carbon turns energy into grams of CO2-equivalent. It embeds a
// table of grid emission factors (kg CO2e per kWh, by country, with source,
// year and method for every entry), looks grids up by ISO code or country
// name, accepts a user-supplied factor, validates PUE, and converts an
// energy.Energy to grams: Wh × kg/kWh × PUE = g.
//
// The table, grid_factors.json, is generated from the shared reference data
// by ./gen (see the go:generate line in carbon.go) and committed.
//
// A country the source records as 0 has no data: Lookup reports it with
// ErrNoData instead of returning a zero factor or silently substituting the
// global average.
//
// carbon imports only energy and the standard library. It must not import
// lab (callers copy a Factor into lab.Grid), store, server or any adapter,
// and it does no network I/O.
package carbon
