/**
 * Post-incident review of serve's access logs with Tablesaw: a streaming loader, the per-minute
 * timeline with objective breaches, and the incident (detection, impact, what differs). Events,
 * the postmortem draft with charts and input drift are still to come (issue 7).
 */
package dev.recops.analysis.review;
