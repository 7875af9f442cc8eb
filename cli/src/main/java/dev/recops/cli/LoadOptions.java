package dev.recops.cli;

import dev.recops.engine.load.LoadSpec;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.time.Duration;

/** How bench sends its load: open loop at a rate or closed loop with clients, how long, how patient. */
final class LoadOptions {
    static final class Load {
        @Option(names = "--rate", paramLabel = "PER_SECOND", description = "Open loop: requests started per second (default: 100).")
        Double rate;

        @Option(names = "--concurrency", paramLabel = "N", description = "Closed loop: N clients, each waiting for its answer.")
        Integer concurrency;
    }

    @ArgGroup(exclusive = true)
    Load load = new Load();

    enum Arrivals { constant, poisson }

    @Option(names = "--arrivals", paramLabel = "KIND", defaultValue = "constant",
            description = "Open loop arrivals: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Arrivals arrivals;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Measured time per run (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "Load sent before measuring, not counted (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "1000",
            description = "Open loop: requests due while N are unanswered are dropped and counted (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "A request unanswered this long is a timeout error (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    LoadSpec spec() {
        boolean closed = load.concurrency != null;
        return new LoadSpec(closed ? LoadSpec.Mode.CLOSED : LoadSpec.Mode.OPEN, load.rate == null ? 100 : load.rate,
                arrivals == Arrivals.poisson ? LoadSpec.Arrivals.POISSON : LoadSpec.Arrivals.CONSTANT,
                closed ? load.concurrency : 1, duration, warmup, maxInFlight, timeout);
    }
}
