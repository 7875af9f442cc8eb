package dev.recops.engine.drill;

import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.load.RunResult;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The drill's actions (the experiment's method and rollbacks), each run against the deployment.
 *
 * @param drill what an action needs of the running drill
 */
record Actions(Experiment e, Deployment deployment, Actions.Running drill) {
    /** What an action needs of the running drill. */
    interface Running {
        /** Waits, checking the stop conditions. */
        void pause(Duration d);

        /** Whether a stop condition ended the method. */
        boolean aborted();

        /** Extra open-loop load at {@code rate} for {@code lasting}, recorded with the drill's own; when it ends. */
        RunResult burst(double rate, Duration lasting);
    }

    /** An action that ran but did not do what it must (a corrupted version accepted, an admin call refused). */
    static final class ActivityFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ActivityFailed(String message) {
            super(message, null, false, false);
        }
    }

    /** Runs one step's action; what it did, for the journal. */
    String act(Experiment.Step s) {
        return switch (s.action()) {
            case Action.Pause p -> {
                drill.pause(p.duration());
                yield "";
            }
            case Action.KillReplica k -> deployment.kill(one(k.replica()));
            case Action.PauseReplica p -> {
                String out = deployment.pause(one(p.replica()));
                if (p.lasting() != null) {
                    drill.pause(p.lasting());
                    out += "; " + deployment.resume(one(p.replica()));
                }
                yield out;
            }
            case Action.ResumeReplica r -> deployment.resume(one(r.replica()));
            case Action.RestartReplica r -> deployment.restart(one(r.replica()));
            case Action.InjectFault f -> admin(f.replica(), "POST", "/faults", f.body());
            case Action.ClearFaults c -> admin(c.replica(), "DELETE", "/faults", null);
            case Action.NetworkFault n -> network(n);
            case Action.ClearNetwork c -> {
                List<String> out = new ArrayList<>();
                for (int r : c.replica() > 0 ? List.of(c.replica()) : IntStream.rangeClosed(1, e.target().replicas()).boxed().toList()) {
                    if (e.breaksNetwork()) {
                        out.add(deployment.network(r, FaultProxy.Fault.NONE));
                    }
                }
                yield String.join("; ", out);
            }
            case Action.ReloadCatalog c -> {
                if (c.damage().equals("none")) {
                    yield admin(0, "POST", "/catalog/reload", null);
                }
                List<String> out = new ArrayList<>(List.of(deployment.damageCatalog(c.damage())));
                try {
                    for (AdminClient a : deployment.admins()) {
                        AdminClient.Answer r = a.send("POST", "/catalog/reload", null, Duration.ofSeconds(60));
                        if (r.ok()) {
                            throw new ActivityFailed(a.base() + " accepted a " + c.damage() + " catalog: " + r);
                        }
                        out.add("refused by " + a.base() + " (" + r + ")");
                    }
                } finally {
                    deployment.restoreCatalog();
                }
                yield String.join("; ", out) + "; file restored";
            }
            case Action.Rollback r -> admin(0, "POST", "/rollback", null);
            case Action.HotSwap h -> {
                String v = h.version();
                List<String> out = new ArrayList<>();
                for (AdminClient a : deployment.admins()) { // one replica after the other, like a rolling update
                    AdminClient.Answer load = a.send("POST", "/versions/" + v + "/load", null, Duration.ofSeconds(120));
                    if (!load.ok() && load.status() != 409) {
                        throw new ActivityFailed(a.base() + " did not load version " + v + ": " + load);
                    }
                    AdminClient.Answer promote = a.send("POST", "/versions/" + v + "/promote", null, Duration.ofSeconds(30));
                    if (!promote.ok()) {
                        throw new ActivityFailed(a.base() + " did not promote version " + v + ": " + promote);
                    }
                    out.add("promoted on " + a.base());
                }
                yield String.join("; ", out);
            }
            case Action.DeployCorrupted d -> {
                String v = d.version();
                String planted = deployment.plantCorrupted(v);
                List<String> out = new ArrayList<>(List.of(planted));
                for (AdminClient a : deployment.admins()) {
                    AdminClient.Answer load = a.send("POST", "/versions/" + v + "/load", null, Duration.ofSeconds(120));
                    if (load.ok()) {
                        throw new ActivityFailed(a.base() + " accepted the corrupted version " + v + ": " + load);
                    }
                    out.add("rejected by " + a.base() + " (" + load + ")");
                }
                yield String.join("; ", out);
            }
            case Action.Overload o -> {
                double extra = e.load().rate() * (o.multiple() - 1);
                RunResult r = drill.burst(extra, o.lasting());
                yield String.format(Locale.ROOT, "%.1f extra requests/s for %s (%.1fx the load): %d sent, %d ok", extra,
                        Experiment.format(o.lasting()), o.multiple(), r.sent(), r.ok());
            }
        };
    }

    /** Breaks the replica's link; with for, mends it after that long; with flap, breaks and mends it every flap for that long. */
    private String network(Action.NetworkFault n) {
        int replica = one(n.replica());
        String out = deployment.network(replica, n.fault());
        if (n.lasting() == null) {
            return out;
        }
        if (n.flap() == null) {
            drill.pause(n.lasting());
        } else {
            long end = System.nanoTime() + n.lasting().toNanos();
            boolean broken = true;
            int flaps = 0;
            while (System.nanoTime() < end && !drill.aborted()) {
                Duration left = Duration.ofNanos(end - System.nanoTime());
                drill.pause(left.compareTo(n.flap()) < 0 ? left : n.flap());
                broken = !broken;
                deployment.network(replica, broken ? n.fault() : FaultProxy.Fault.NONE);
                flaps++;
            }
            out += "; flapped " + flaps + " times, every " + Experiment.format(n.flap());
        }
        return out + "; " + deployment.network(replica, FaultProxy.Fault.NONE);
    }

    /** An action on one replica: the one named, else the first. */
    private static int one(int replica) {
        return Math.max(1, replica);
    }

    /** Calls every admin API (or the step's replica's); fails the activity when one refuses. */
    private String admin(int replica, String method, String path, String body) {
        List<AdminClient> admins = deployment.admins();
        if (admins.isEmpty()) {
            throw new ActivityFailed("the target has no admin API (target.admin)");
        }
        if (replica > 0) {
            admins = List.of(admins.get(replica - 1));
        }
        List<String> out = new ArrayList<>();
        for (AdminClient a : admins) {
            AdminClient.Answer r = a.send(method, path, body, Duration.ofSeconds(10));
            if (!r.ok()) {
                throw new ActivityFailed(method + " " + a.base() + path + ": " + r);
            }
            out.add(a.base() + ": HTTP " + r.status());
        }
        return String.join("; ", out);
    }
}
