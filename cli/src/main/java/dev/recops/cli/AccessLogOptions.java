package dev.recops.cli;

import dev.recops.engine.RecopsException;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.nio.file.Path;

/** serve's access log: the file, when to rotate it and how many rotated files to keep. */
final class AccessLogOptions {
    @Option(names = "--access-log", paramLabel = "FILE",
            description = "Write one JSON line per request to FILE (JSON Lines; rotated by size). Off by default.")
    Path accessLogFile;

    @Option(names = "--access-log-max-size", paramLabel = "MIB", defaultValue = "100",
            description = "Rotate the access log when it reaches this many MiB (default: ${DEFAULT-VALUE}).")
    int accessLogMaxMib;

    @Option(names = "--access-log-keep", paramLabel = "N", defaultValue = "5",
            description = "Rotated access log files to keep (default: ${DEFAULT-VALUE}).")
    int accessLogKeep;

    /** The access log to write, or {@link AccessLog#DISABLED}. */
    AccessLog open(ServerMetrics metrics, CommandSpec spec) {
        if (accessLogFile == null) {
            return AccessLog.DISABLED;
        }
        if (accessLogMaxMib < 1 || accessLogKeep < 0 || accessLogKeep > 100) {
            throw new ParameterException(spec.commandLine(),
                    "--access-log-max-size must be at least 1 and --access-log-keep in 0..100");
        }
        try {
            return AccessLog.open(accessLogFile, accessLogMaxMib * 1024L * 1024L, accessLogKeep, metrics::accessLogDropped);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("access_log_unwritable",
                    "cannot write the access log " + accessLogFile + ": " + e.getMessage() + " (see --access-log)", e);
        }
    }
}
