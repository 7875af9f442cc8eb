/**
 * Telemetry: Prometheus metrics (seconds, bytes, {@code _total} counters, no high-cardinality
 * labels) and their exposition. Never blocks a request: recording is lock-free.
 */
package dev.recops.engine.telemetry;
