/**
 * Post-incident review of serve's access logs with Tablesaw: a streaming loader, the per-minute
 * timeline with objective breaches, the incident (detection, impact, what differs), events on the
 * timeline and input drift. The postmortem draft with charts is still to come (issue 7).
 */
package dev.recops.analysis.review;
