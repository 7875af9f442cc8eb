/**
 * Latency models for capacity planning: learned from {@code recops bench} runs and access logs
 * (Smile), judged by cross-validation grouped by configuration, and asked for percentiles, the
 * highest sustainable rate under an objective, or the replicas a rate needs.
 */
package dev.recops.analysis.latency;
