/**
 * Dynamic batching for one model version: a bounded queue, admission control (shed at once when
 * the queue is full or the deadline cannot be met), inference workers on platform threads that
 * take whatever is queued up to the batch limit, grouping by sequence length so little compute
 * goes to padding, and deadlines enforced before inference (expired work is never computed). The
 * policy itself (admission, waiting to fill, splitting into calls) is {@code dev.recops.batching},
 * which the latency model simulates.
 *
 * <p>No HTTP and no metrics library here: callers observe through {@link
 * dev.recops.engine.batch.Batcher.Observer}.
 */
package dev.recops.engine.batch;
