/**
 * The product catalog and its vector index: loading catalogs from CSV (RFC 4180) or JSON Lines
 * with bad rows reported by line number, embedding them with a model version, caching those
 * embeddings on disk by content hash, and exact top-k retrieval by dot product.
 *
 * <p>Knows nothing of HTTP; takes a {@link dev.recops.engine.model.Encoder} to embed.
 */
package dev.recops.engine.catalog;
