// Package stats holds the statistics that the lab's experiments report:
// summaries of batches of repeated runs with bootstrap confidence intervals,
// ratios and differences of means (with Welch's t-test), least-squares fits
// for calibration and crossover sweeps, and log-spaced sweep points.
//
// Conventions used throughout the package:
//
//   - Non-finite inputs (NaN, ±Inf) are dropped by the sample statistics
//     (Describe, RatioOfSums, RatioOfMeans, DiffOfMeans) and are not counted
//     in N. The fits reject them with an error instead, since silently
//     dropping a design row would change the model.
//   - The standard deviation is the sample standard deviation with Bessel's
//     correction, s = sqrt(Σ(x−x̄)²/(n−1)).
//   - Percentiles are Hyndman–Fan type 7 (R's default, numpy's "linear"):
//     for p in [0,1] and n sorted values x[0..n−1], h = (n−1)p and the result
//     is x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
//   - Confidence intervals are nonparametric bootstrap percentile intervals:
//     B resamples (with replacement, same size as the sample) are drawn from a
//     PCG generator seeded by Options.Seed, the statistic is computed on each,
//     and the interval is the type-7 percentiles at (1−L)/2 and (1+L)/2 of
//     those B values, L being the confidence level. The same inputs and
//     Options therefore always give the same interval. Percentile intervals
//     are known to under-cover slightly for small samples (for the mean of n
//     values they are about as wide as a normal interval using a standard
//     error with divisor n instead of n−1), and more so for skewed data.
//   - p-values use the Student t distribution, computed from the regularized
//     incomplete beta function (continued fraction), implemented here.
//   - Least squares is solved by Householder QR on a column-scaled design.
package stats
