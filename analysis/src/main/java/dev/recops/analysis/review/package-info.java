/**
 * Post-incident review of serve's access logs with Tablesaw: a streaming loader, the per-minute
 * timeline with objective breaches, the incident (detection, impact, what differs), events on the
 * timeline, a postmortem draft and input drift. Charts are still to come (issue 7).
 */
package dev.recops.analysis.review;
