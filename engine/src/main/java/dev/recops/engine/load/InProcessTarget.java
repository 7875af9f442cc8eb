package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import dev.recops.engine.serve.Queries;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServeServer;
import dev.recops.engine.telemetry.ServerMetrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine in this JVM, called directly with the same workload as over HTTP: the difference
 * between the two is the server's overhead. The caller owns the service (loads and closes it).
 */
public final class InProcessTarget implements Target {
    private final SearchService service;
    private final LongAdder tokenSum = new LongAdder();
    private final LongAdder tokenCount = new LongAdder();

    private final ServerMetrics metrics;

    /** @param metrics the service's metrics, where its model calls are counted */
    public InProcessTarget(SearchService service, ServerMetrics metrics) {
        this.service = service;
        this.metrics = metrics;
    }

    @Override
    public Outcome call(Workload.Call call, long deadlineNanos) {
        try {
            boolean degraded = switch (call.query()) {
                case Queries.Search q -> {
                    Queries.Ranked r = service.search(q, deadlineNanos);
                    count(r.queryTokens());
                    yield r.degraded();
                }
                case Queries.Recommend q -> service.recommend(q).degraded();
                case Queries.Embed q -> {
                    service.embed(q, deadlineNanos);
                    yield false;
                }
                case null, default -> throw new RecopsException.InvalidInput("not_in_process",
                        call.endpoint().label + " requests cannot be sent in-process");
            };
            return new Outcome(200, "", degraded);
        } catch (RecopsException e) {
            return new Outcome(ServeServer.status(e), "");
        }
    }

    private void count(int tokens) {
        tokenSum.add(tokens);
        tokenCount.increment();
    }

    @Override
    public String describe() {
        return "in-process";
    }

    @Override
    public Optional<Facts> facts() {
        return service.serving().map(s -> new Facts(s.model(), s.primaryVersion(), s.batchMax(), s.batchDelay().toNanos() / 1e6,
                s.workers(), s.threads(), s.catalogProducts(), s.index().kind(), Runtime.getRuntime().availableProcessors()));
    }

    @Override
    public Optional<Counters> counters() {
        var text = new ByteArrayOutputStream();
        try {
            metrics.write("text/plain", text);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory
        }
        Counters c = Counters.parse(text.toString(StandardCharsets.UTF_8));
        return Optional.of(new Counters(tokenSum.sum(), tokenCount.sum(), c.calls(), c.texts(), c.inferenceSeconds(), c.cacheHits(),
                c.cacheLookups(), Double.NaN)); // this process also runs the load: its CPU is not the server's
    }

    @Override
    public void close() {
        // the service belongs to the caller
    }
}
