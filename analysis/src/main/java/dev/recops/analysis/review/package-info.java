/**
 * Post-incident review of serve's access logs with Tablesaw: a streaming loader, the per-minute
 * timeline with objective breaches, the incident (detection, impact, what differs) and input
 * drift. Events and the postmortem draft with charts are still to come (issue 7).
 */
package dev.recops.analysis.review;
