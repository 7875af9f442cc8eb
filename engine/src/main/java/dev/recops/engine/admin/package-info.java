/**
 * The control plane's security and its client: bearer tokens for the admin API ({@link dev.recops.engine.admin.BearerToken}:
 * read or generated into a 0600 file, compared in constant time, known in logs only by an id),
 * the audit log of every admin call ({@link dev.recops.engine.admin.AuditLog}), and the one client
 * of a running server ({@link dev.recops.engine.admin.AdminClient}: the admin API with its token,
 * plain GETs of readiness and metrics), which the commands and the drills share. No HTTP server
 * here; the admin listener lives with the server in {@code engine.serve}.
 */
package dev.recops.engine.admin;
