/**
 * Chaos and disaster-recovery drills: experiment files ({@link dev.recops.engine.drill.Experiment}),
 * the deployments they run against (replicas behind HAProxy, or a URL), the faults, and the
 * measurements (time to detect, time to recover, lost requests) written as a journal.
 */
package dev.recops.engine.drill;
