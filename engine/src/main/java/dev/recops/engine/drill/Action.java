package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.Map;

/**
 * One activity of a drill's method or rollbacks, typed: a record per action with exactly the
 * arguments it takes, checked when the experiment is read ({@link Experiment}), run by an
 * exhaustive switch ({@link Drill}). {@code replica} 0 means every replica where an action
 * allows it; a null {@link Duration} means "until told otherwise".
 */
public sealed interface Action {
    /** The action's name in an experiment file. */
    String name();

    /** The action as one line, its arguments in a fixed order, for plans, journals and reports. */
    String describe();

    /** An action on one replica's process (1..N; 0 reads as 1): what a local target signals and a kubernetes one runs kubectl for. */
    sealed interface OnProcess extends Action permits KillReplica, PauseReplica, ResumeReplica, RestartReplica {
        int replica();
    }

    record Pause(Duration duration) implements Action {
        public String name() {
            return "pause";
        }

        public String describe() {
            return "pause " + Experiment.format(duration);
        }
    }

    record KillReplica(int replica) implements OnProcess {
        public String name() {
            return "kill_replica";
        }

        public String describe() {
            return line(name(), "replica", replica);
        }
    }

    /** SIGSTOP, and SIGCONT after {@code lasting} if given. */
    record PauseReplica(int replica, Duration lasting) implements OnProcess {
        public String name() {
            return "pause_replica";
        }

        public String describe() {
            return line(name(), "replica", replica, "for", lasting);
        }
    }

    record ResumeReplica(int replica) implements OnProcess {
        public String name() {
            return "resume_replica";
        }

        public String describe() {
            return line(name(), "replica", replica);
        }
    }

    record RestartReplica(int replica) implements OnProcess {
        public String name() {
            return "restart_replica";
        }

        public String describe() {
            return line(name(), "replica", replica);
        }
    }

    /** Through the admin API: latency, errors or a stall in a version (null: the primary), on one replica or all. */
    record InjectFault(int replica, String version, Long latencyMs, Double errorRate, Boolean stall, Duration lasting) implements Action {
        public String name() {
            return "inject_fault";
        }

        public String describe() {
            return line(name(), "replica", replica, "version", version, "latency_ms", latencyMs, "error_rate", errorRate, "stall", stall,
                    "for", lasting);
        }

        /** The admin API's request body. */
        String body() {
            ObjectNode b = JsonNodeFactory.instance.objectNode();
            if (version != null) {
                b.put("version", version);
            }
            if (latencyMs != null) {
                b.put("latency_ms", latencyMs);
            }
            if (errorRate != null) {
                b.put("error_rate", errorRate);
            }
            if (stall != null) {
                b.put("stall", stall);
            }
            if (lasting != null) {
                b.put("duration_s", lasting.toMillis() / 1000.0);
            }
            return b.toString();
        }
    }

    record ClearFaults(int replica) implements Action {
        public String name() {
            return "clear_faults";
        }

        public String describe() {
            return line(name(), "replica", replica);
        }
    }

    /** A copy of the primary version with its model damaged, offered to every replica as {@code version}: each must refuse it. */
    record DeployCorrupted(String version) implements Action {
        public String name() {
            return "deploy_corrupted";
        }

        public String describe() {
            return line(name(), "version", version);
        }
    }

    record HotSwap(String version) implements Action {
        public String name() {
            return "hot_swap";
        }

        public String describe() {
            return line(name(), "version", version);
        }
    }

    record Rollback() implements Action {
        public String name() {
            return "rollback";
        }

        public String describe() {
            return name();
        }
    }

    /** {@code multiple} times the load's rate, for {@code lasting}. */
    record Overload(double multiple, Duration lasting) implements Action {
        public String name() {
            return "overload";
        }

        public String describe() {
            return line(name(), "multiple", multiple, "for", lasting);
        }
    }

    /** Reload the catalog on every replica, its file first damaged ({@code missing}, {@code corrupt}) or not ({@code none}). */
    record ReloadCatalog(String damage) implements Action {
        public String name() {
            return "reload_catalog";
        }

        public String describe() {
            return line(name(), "damage", damage.equals("none") ? null : damage);
        }
    }

    /** Break the link to a replica; mend it after {@code lasting}; break and mend it every {@code flap} meanwhile. */
    record NetworkFault(int replica, FaultProxy.Fault fault, Duration lasting, Duration flap) implements Action {
        public String name() {
            return "network_fault";
        }

        public String describe() {
            FaultProxy.Fault f = fault;
            return line(name(), "replica", replica, "latency_ms", f.latencyMs() > 0 ? f.latencyMs() : null,
                    "jitter_ms", f.jitterMs() > 0 ? f.jitterMs() : null, "bandwidth", f.bytesPerSecond() > 0 ? f.bytesPerSecond() : null,
                    "reset", f.reset() ? true : null, "blackhole", f.blackhole() ? true : null, "partition", f.partition().isEmpty() ? null : f.partition(),
                    "slow_close_ms", f.slowCloseMs() > 0 ? f.slowCloseMs() : null, "flap", flap, "for", lasting);
        }
    }

    record ClearNetwork(int replica) implements Action {
        public String name() {
            return "clear_network";
        }

        public String describe() {
            return line(name(), "replica", replica);
        }
    }

    /** {@code name k=v ...}, leaving out what is not set (null, or replica 0). */
    private static String line(String name, Object... pairs) {
        StringBuilder b = new StringBuilder(name);
        for (int i = 0; i < pairs.length; i += 2) {
            Object v = pairs[i + 1];
            if (v == null || ("replica".equals(pairs[i]) && Integer.valueOf(0).equals(v))) {
                continue;
            }
            b.append(' ').append(pairs[i]).append('=').append(v instanceof Duration d ? Experiment.format(d) : v);
        }
        return b.toString();
    }

    /** The typed action from an activity's checked arguments ({@link Experiment}'s parser has validated names and values). */
    static Action of(String name, Map<String, Object> a) {
        int replica = ((Number) a.getOrDefault("replica", 0)).intValue();
        Duration lasting = (Duration) a.get("for");
        return switch (name) {
            case "pause" -> new Pause(lasting);
            case "kill_replica" -> new KillReplica(replica);
            case "pause_replica" -> new PauseReplica(replica, lasting);
            case "resume_replica" -> new ResumeReplica(replica);
            case "restart_replica" -> new RestartReplica(replica);
            case "inject_fault" -> new InjectFault(replica, (String) a.get("version"), (Long) a.get("latency_ms"), (Double) a.get("error_rate"),
                    (Boolean) a.get("stall"), lasting);
            case "clear_faults" -> new ClearFaults(replica);
            case "deploy_corrupted" -> new DeployCorrupted((String) a.getOrDefault("version", "99"));
            case "hot_swap" -> new HotSwap((String) a.get("version"));
            case "rollback" -> new Rollback();
            case "overload" -> new Overload(((Number) a.getOrDefault("multiple", 3.0)).doubleValue(), lasting);
            case "reload_catalog" -> new ReloadCatalog((String) a.getOrDefault("damage", "none"));
            case "network_fault" -> new NetworkFault(replica, new FaultProxy.Fault((long) a.getOrDefault("latency_ms", 0L),
                    (long) a.getOrDefault("jitter_ms", 0L), (long) a.getOrDefault("bandwidth", 0L), (boolean) a.getOrDefault("reset", false),
                    (boolean) a.getOrDefault("blackhole", false), (String) a.getOrDefault("partition", ""), (long) a.getOrDefault("slow_close_ms", 0L)),
                    lasting, (Duration) a.get("flap"));
            case "clear_network" -> new ClearNetwork(replica);
            default -> throw new IllegalArgumentException("unknown action " + name);
        };
    }
}
