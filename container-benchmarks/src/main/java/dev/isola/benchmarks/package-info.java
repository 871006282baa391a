/**
 * The benchmark of issue 6: {@link dev.isola.benchmarks.StartLatency}, the jar's main class, measures
 * Isola's start latency, throughput and per-container cost next to ProcessBuilder, bubblewrap and crun.
 */
@NullMarked
package dev.isola.benchmarks;

import org.jspecify.annotations.NullMarked;
