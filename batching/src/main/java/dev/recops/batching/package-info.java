/**
 * The batching policy ({@link dev.recops.batching.BatchPolicy}: settings, the admission rule, when
 * a worker waits to fill a batch, the smoothed batch time), the split of a batch into model calls
 * ({@link dev.recops.batching.Grouping} under a {@link dev.recops.batching.CallCost} learned from
 * the calls), and the batcher simulated in virtual time ({@link dev.recops.batching.BatchSimulation}).
 * Shared by the engine's running batcher ({@code engine.batch.Batcher}) and the latency model
 * ({@code analysis.latency}), so what is simulated is what serves. Nothing but the JDK.
 */
package dev.recops.batching;
