// Package sampler reads one energy meter at marked instants (request sent,
// first token, last token) and polls it in the background between them, so
// that every counter wrap is seen and a power timeline exists for live
// charts. Wrap arithmetic is delegated to energy.Accumulator.
//
// It imports only the energy vocabulary; it knows nothing of providers,
// stores or servers.
package sampler
