/**
 * Load generation (recops bench): open-loop load at a target rate, measured from each request's
 * intended start so a stalled server cannot hide its tail (no coordinated omission), or
 * closed-loop load with HdrHistogram's expected-interval correction; against an HTTP URL through
 * a small HTTP/1.1 client of its own, or against the engine in this JVM. Latency comes from
 * HdrHistogram only. Also SLO objectives, comparison with a baseline run, the runs CSV that
 * {@code train} learns from, and merging of {@code .hlog} interval logs.
 *
 * <p>Knows nothing of picocli or terminals: progress is a callback, results are records.
 */
package dev.recops.engine.load;
