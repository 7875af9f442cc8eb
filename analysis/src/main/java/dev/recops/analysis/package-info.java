/**
 * Offline analysis of the files recops writes and ships: relevance judgments and ranking quality
 * today; latency models and access-log review as they arrive. Reads files, never engine classes,
 * and never depends on picocli.
 */
package dev.recops.analysis;
