package dev.recops.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a long job (embedding a catalog, building its index) on standard error: on a
 * terminal one line redrawn in place with rate and ETA; otherwise (cron, CI, logs) a line when
 * the job starts and one at every tenth of it, each with rate and ETA.
 */
final class ProgressLine {
    private final PrintWriter err;
    private final boolean terminal;
    private String job = "";
    private long startNanos;
    private int startDone;
    private int lastStep = -1;

    ProgressLine(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /**
     * @param job what is being done, e.g. {@code search-encoder:1: embedding}; a new job (or
     *     done 0) starts the clock again
     * @param unit what is counted, e.g. {@code products}
     */
    synchronized void update(String job, String unit, int done, int total) {
        long now = System.nanoTime();
        if (!job.equals(this.job) || done == 0) {
            this.job = job;
            startNanos = now;
            startDone = done;
            lastStep = -1;
        }
        int percent = total == 0 ? 100 : (int) (done * 100L / total);
        int step = terminal ? percent : percent / 10;
        if (step == lastStep) {
            return;
        }
        lastStep = step;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "recops: %s %3d%% (%d/%d %s)", job, percent, done, total, unit));
        double seconds = (now - startNanos) / 1e9;
        if (done > startDone && done < total && seconds > 0) {
            double rate = (done - startDone) / seconds;
            line.append(String.format(Locale.ROOT, ", %.0f/s, ETA %s", rate, duration((total - done) / rate)));
        }
        if (terminal) {
            err.print("\r" + line + "\033[K");
            if (done >= total) {
                err.print("\r\033[K");
                lastStep = -1;
            }
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** {@code 42s}, {@code 3m05s}, {@code 2h07m}. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }
}
