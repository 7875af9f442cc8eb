package dev.recops.cli;

import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.review.Charts;
import dev.recops.analysis.review.Events;
import dev.recops.analysis.review.MinuteObjective;
import dev.recops.analysis.review.Postmortem;
import dev.recops.analysis.review.Review;
import dev.recops.engine.RecopsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code recops review}: what the access logs say happened, minute by minute. */
@Command(
        name = "review",
        mixinStandardHelpOptions = true,
        subcommands = ReviewDriftCommand.class,
        description = {
            "Review serve's access logs (JSON Lines, plain or .gz, several files merged by time): per wall-clock minute the "
                    + "request rate, error rate, p50/p95/p99/p99.9 latency and the degraded and shed shares, with the minutes that "
                    + "breach each --slo and the worst one.",
            "%nThe incident: minutes whose p99 or error rate stand out from the first half of the period (robust z-score with the "
                    + "median and MAD, accumulated by a one-sided CUSUM; any --slo breach counts), with its start (the CUSUM's onset), "
                    + "end, the requests it hurt, the error budget it took (with an errors objective), and what differs: per dimension "
                    + "(endpoint, model version, status, degraded, k, query tokens), the value most over-represented among its failed "
                    + "or slow requests against every request outside it.",
            "%nMalformed lines are counted and located, never fatal. Exit 3 when any minute breaches an --slo (so a cron job or a "
                    + "CI step fails on it), else 0.",
            ""
        })
final class ReviewCommand implements Callable<Integer> {
    private static final String CHARTS = "charts";

    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    // Not arity 1..*: picocli would then demand FILE of `review drift` too.
    @Parameters(paramLabel = "FILE", arity = "0..*", description = "Access logs written by recops serve --access-log (at least one).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--from", paramLabel = "TIME", description = "Only requests at or after this RFC 3339 instant (2026-11-22T10:00:00Z).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "Only requests before this RFC 3339 instant.")
    String to;

    @Option(names = "--events", paramLabel = "FILE", description = "Events to place on the timeline: serve's admin audit log, or "
            + "JSON Lines with ts and event (deploys, config changes); repeatable.")
    List<Path> eventFiles = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE.md", description = "Also write a postmortem draft in Markdown (SRE template; the parts only "
            + "people can write are left as prompts), with PNG charts in charts/ beside it: latency percentiles, and error, degraded and "
            + "shed shares per minute, the incident shaded, events marked.")
    Path postmortem;

    @Option(names = "--latency-model", paramLabel = "DIR", description = "A model from recops train: each minute's p99 against what "
            + "the model expects at that minute's rate (its most common settings), so a slow minute reads as slow because of load "
            + "or slow beyond what load explains.")
    Path latencyModel;

    @Option(names = "--slo", paramLabel = "OBJECTIVE", description = "A per-minute objective: p99<=50ms (p50, p95, p99, p99.9) or "
            + "errors<=0.1%%; repeatable.")
    List<String> slo = new ArrayList<>();

    @Override
    public Integer call() {
        if (files.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'FILE'");
        }
        List<MinuteObjective> objectives = slo.stream().map(MinuteObjective::parse).toList();
        Instant fromTime = instant("--from", from);
        Instant toTime = instant("--to", to);
        if (fromTime != null && toTime != null && !fromTime.isBefore(toTime)) {
            throw AnalysisException.invalid("--from must be before --to");
        }
        if (postmortem != null) {
            Charts.warmUp();
        }
        Review review = Review.of(files, fromTime, toTime, objectives, eventFiles,
                Optional.ofNullable(latencyModel).map(LatencyModel::load));
        if (postmortem != null) {
            writePostmortem(review);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            out.println(ReviewRenderer.json(review).toPrettyString());
        } else {
            ReviewRenderer.text(out, review, files);
        }
        out.flush();
        return review.breached() ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    /** The draft, and its charts in charts/ beside it (linked from the draft by relative path). */
    private void writePostmortem(Review r) {
        Path dir = postmortem.toAbsolutePath().getParent();
        try {
            List<String> charts = Charts.write(dir.resolve(CHARTS), r.minutes(), r.objectives(), r.incident(), r.events()).stream()
                    .map(p -> CHARTS + "/" + p.getFileName()).toList();
            Files.writeString(postmortem, Postmortem.draft(files.stream().map(Path::toString).toList(), r.loaded().table().rowCount(),
                    r.minutes(), r.objectives(), r.incident(), r.events(), charts, r.explained()));
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write " + postmortem + " or its charts: " + e.getMessage(), e);
        }
    }

    private static Instant instant(String option, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw AnalysisException.invalid(option + " \"" + value + "\" is not an RFC 3339 instant such as 2026-11-22T10:00:00Z");
        }
    }
}
