/**
 * The control plane's security: bearer tokens for the admin API ({@link dev.recops.engine.admin.BearerToken}:
 * read or generated into a 0600 file, compared in constant time, known in logs only by an id) and
 * the audit log of every admin call ({@link dev.recops.engine.admin.AuditLog}). No HTTP here; the
 * admin listener lives with the server in {@code engine.serve}.
 */
package dev.recops.engine.admin;
