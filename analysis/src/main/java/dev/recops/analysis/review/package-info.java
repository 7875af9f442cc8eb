/**
 * Post-incident review of serve's access logs with Tablesaw: a streaming loader and the
 * per-minute timeline with objective breaches. Incident detection, the comparison of the
 * incident against its baseline, events, the postmortem draft and input drift are still to come
 * (issue 7).
 */
package dev.recops.analysis.review;
