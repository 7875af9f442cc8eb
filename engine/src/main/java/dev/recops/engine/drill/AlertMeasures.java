package dev.recops.engine.drill;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What a drill measures of its alerts: the expectations about them, when they are decided, and the sightings they give. */
final class AlertMeasures {
    private AlertMeasures() {}

    /**
     * time_to_alert, time_to_alert_pending, time_to_notify: seconds from the fault to the first
     * firing, pending or notification of the named alert (any alert when none is named), NaN if
     * none happened; alerts_fired: how many fired; time_to_resolve: the
     * longest time from the recovery (else the fault) to a fired alert's resolution, NaN while one
     * is unresolved.
     */
    static double measure(Experiment.Expectation x, List<Journal.Alert> alerts, Journal.Measurements m) {
        List<Journal.Alert> fired = alerts.stream().filter(a -> a.firingAt() != null).toList();
        return switch (x.metric()) {
            case TIME_TO_ALERT -> first(alerts, x, Journal.Alert::firingAt, m.faultAt());
            case TIME_TO_ALERT_PENDING -> first(alerts, x, Journal.Alert::pendingAt, m.faultAt());
            case TIME_TO_NOTIFY -> first(alerts, x, Journal.Alert::notifiedAt, m.faultAt());
            case ALERTS_FIRED -> fired.size();
            case TIME_TO_RESOLVE -> {
                Instant from = m.recoveredAt() != null ? m.recoveredAt() : m.faultAt();
                double worst = 0;
                for (Journal.Alert a : fired) {
                    worst = Math.max(worst, a.resolvedAt() == null ? Double.NaN : Journal.Alert.seconds(from, a.resolvedAt()));
                }
                yield worst;
            }
            default -> throw new IllegalArgumentException(x.metric() + " is not about alerts");
        };
    }

    /** Seconds from the fault to the earliest {@code when} of the alerts the expectation concerns, at or after the fault; NaN if none. */
    private static double first(List<Journal.Alert> alerts, Experiment.Expectation x, Function<Journal.Alert, Instant> when,
            Instant faultAt) {
        return alerts.stream().filter(a -> x.concerns(a.name()) && when.apply(a) != null && faultAt != null && !when.apply(a).isBefore(faultAt))
                .mapToDouble(a -> Journal.Alert.seconds(faultAt, when.apply(a))).min().orElse(Double.NaN);
    }

    /**
     * Whether every alert expectation is decided: each named alert fired and was notified, and
     * resolved where resolution is expected; never early for "no alert fires".
     */
    static boolean decided(List<Experiment.Expectation> expect, List<Journal.Alert> alerts) {
        List<Experiment.Expectation> about = expect.stream().filter(Experiment.Expectation::aboutAlerts).toList();
        boolean resolve = false;
        for (Experiment.Expectation x : about) {
            switch (x.metric()) {
                case ALERTS_FIRED -> {
                    return false; // "none fired" is only known at the end
                }
                case TIME_TO_ALERT -> {
                    // fired and delivered: the time to notify is part of the answer
                    if (alerts.stream().noneMatch(a -> x.concerns(a.name()) && a.firingAt() != null
                            && a.notifiedAt() != null)) {
                        return false;
                    }
                }
                case TIME_TO_ALERT_PENDING, TIME_TO_NOTIFY, TIME_TO_RESOLVE -> resolve = true;
                default -> throw new IllegalStateException(x.metric() + " is not about alerts");
            }
        }
        return !about.isEmpty() && (!resolve || alerts.stream().allMatch(a -> a.firingAt() == null || a.resolvedAt() != null));
    }

    /** The first alert to go pending, to fire and to be notified after the fault, each naming the alert. */
    static List<Journal.Sighting> sightings(List<Journal.Alert> alerts, Instant faultAt) {
        List<Journal.Sighting> out = new ArrayList<>();
        Map<Journal.Detector, Function<Journal.Alert, Instant>> when = new LinkedHashMap<>();
        when.put(Journal.Detector.ALERT_PENDING, Journal.Alert::pendingAt);
        when.put(Journal.Detector.ALERT_FIRING, Journal.Alert::firingAt);
        when.put(Journal.Detector.ALERT_NOTIFIED, Journal.Alert::notifiedAt);
        when.forEach((d, at) -> alerts.stream().filter(a -> at.apply(a) != null && !at.apply(a).isBefore(faultAt))
                .min(Comparator.comparing(at))
                .ifPresent(a -> out.add(new Journal.Sighting(d, at.apply(a), "alert " + a.name() + " " + d.label.substring("alert ".length())))));
        return out;
    }
}
