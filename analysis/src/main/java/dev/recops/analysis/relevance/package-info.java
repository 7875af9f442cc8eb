/**
 * Search quality against human relevance judgments: loading judgments (qrels) and computing
 * nDCG@k, Recall@k and MRR@k over ranked product lists. Pure functions over ids; no models.
 */
package dev.recops.analysis.relevance;
