package dev.recops.cli;

import dev.recops.analysis.AnalysisException;
import dev.recops.engine.RecopsException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

/** Entry point. {@link #run} is the testable whole; {@link #main} only adds {@code System.exit}. */
public final class Main {
    /** Strongly held: java.util.logging forgets the level of a logger nobody references. */
    private static final List<Logger> QUIETED = List.of(
            Logger.getLogger("ai.djl.util.cuda.CudaUtils"), Logger.getLogger("ai.djl.onnxruntime.engine.OrtEngine"),
            // Suggests the incubating Vector API; the BM25 fallback index is far too small to gain from it.
            Logger.getLogger("org.apache.lucene.internal.vectorization.VectorizationProvider"));

    /** When this JVM started (not the process: the launchers exec into java from a script). */
    static long jvmStartMillis() {
        return JvmStart.MILLIS;
    }

    private static final class JvmStart { // lazy: only serve and --verbose need it
        static final long MILLIS = ManagementFactory.getRuntimeMXBean().getStartTime();
    }

    private Main() {}

    public static void main(String[] args) {
        restoreStderr(Integer.getInteger("recops.stderr.fd", -1));
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(out, err, args);
        if (code == ExitCodes.OK) {
            markArchiveUsable(System.getProperty("recops.cds.ok"));
        }
        System.exit(code);
    }

    /**
     * Tells the launcher that the class-data archive the JVM writes as this process exits comes
     * from a run that succeeded (one from a failed run is thrown away and written again). Best
     * effort: without the mark the next run only writes the archive again.
     */
    static void markArchiveUsable(String path) {
        if (path == null || path.isEmpty()) {
            return;
        }
        try {
            Files.writeString(Path.of(path), "");
        } catch (IOException | RuntimeException e) {
            // no mark: the archive is written again next time
        }
    }

    /**
     * Points stderr (file descriptor 2) back at {@code fd}, where the launcher kept the real
     * stderr while the JVM started with its stderr through a filter (the one line the JVM prints
     * for the vector API's incubator module is taken out there). From here on everything,
     * native libraries' messages too, goes straight to the real stderr, so the filter cannot
     * reorder it or print after the process has exited. Nothing to do when {@code fd} is -1; if
     * the call fails, stderr stays the filter's, which passes everything else on.
     */
    @SuppressWarnings("restricted") // the launcher passes --enable-native-access=ALL-UNNAMED
    static void restoreStderr(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            var dup2 = linker.downcallHandle(libc.find("dup2").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            var close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            if ((int) dup2.invokeExact(fd, 2) == 2) {
                int ignored = (int) close.invokeExact(fd);
            }
        } catch (Throwable e) {
            // stderr stays the launcher's filter: everything but the incubator line still gets through
        }
    }

    /** Runs one command line and returns its exit code (see {@link ExitCodes}). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err, named(args)).execute(args);
    }

    /** The fully configured command tree: the same one that runs, documents and completes. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, RecopsCommand.SUBCOMMANDS);
    }

    /**
     * The subcommand the command line names (its first word that is not an option, when that is
     * a subcommand's name other than {@code help}), alone; else all of them (for the root's
     * usage, {@code help}, completion, and a mistyped name's suggestion).
     */
    static List<Class<?>> named(String... args) {
        for (String arg : args) {
            if (arg.startsWith("-")) {
                continue;
            }
            for (Class<?> c : RecopsCommand.SUBCOMMANDS) {
                CommandLine.Command command = c.getAnnotation(CommandLine.Command.class);
                if (c != HelpCommand.class && (command.name().equals(arg) || Arrays.asList(command.aliases()).contains(arg))) {
                    return List.of(c);
                }
            }
            break;
        }
        return RecopsCommand.SUBCOMMANDS;
    }

    private static CommandLine commandLine(PrintWriter out, PrintWriter err, List<Class<?>> subcommands) {
        CommandLine cl = new CommandLine(new RecopsCommand());
        for (Class<?> c : subcommands) {
            cl.addSubcommand(c);
        }
        cl.setOut(out);
        cl.setErr(err);
        applyExitCodeList(cl);
        cl.setExecutionStrategy(parse -> {
            configureLogging(verbose(parse));
            return new CommandLine.RunLast().execute(parse);
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("recops: " + problem(ex) + didYouMean(ex) + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            cmd.getErr().println("recops: " + message(ex));
            if (verbose(parse)) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return exitCode(ex);
        });
        return cl;
    }

    /**
     * What was wrong with the command line. For an unmatched word, the first one alone and what it
     * was taken for: picocli lists an unknown option's value as unknown too ("Unknown options:
     * '--rat', '50'") and calls an unknown command an "Unmatched argument at index 0".
     */
    private static String problem(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException unmatched) || unmatched.getUnmatched().isEmpty()) {
            return ex.getMessage();
        }
        String typed = unmatched.getUnmatched().getFirst();
        if (typed.startsWith("-")) {
            return "unknown option '" + typed.split("=", 2)[0] + "'";
        }
        return ex.getCommandLine().getSubcommands().isEmpty() ? "unexpected argument '" + typed + "'" : "unknown command '" + typed + "'";
    }

    /**
     * For a mistyped command or option, the nearest one ("; did you mean 'serve'?"), on the same
     * line: the command's options (or subcommands) ranked by edit distance, and only one close
     * enough to be a typo (picocli's own suggestions offer "--primary-version" for "--prot").
     */
    private static String didYouMean(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException unmatched) || unmatched.getUnmatched().isEmpty()) {
            return "";
        }
        String typed = unmatched.getUnmatched().getFirst().split("=", 2)[0];
        CommandLine.Model.CommandSpec spec = ex.getCommandLine().getCommandSpec();
        Stream<String> names = typed.startsWith("-")
                ? spec.options().stream().flatMap(o -> Arrays.stream(o.names()))
                : spec.subcommands().keySet().stream();
        return names
                .min(Comparator.comparingInt((String s) -> editDistance(typed, s)))
                .filter(s -> editDistance(typed, s) <= Math.max(2, typed.length() / 3))
                .map(s -> "; did you mean '" + s + "'?").orElse("");
    }

    /** Levenshtein distance, with a swap of two neighbours counting as one edit (optimal string alignment). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            for (int j = 0; j <= b.length(); j++) {
                if (i == 0 || j == 0) {
                    d[i][j] = i + j;
                    continue;
                }
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static void applyExitCodeList(CommandLine cl) {
        cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.descriptions());
        cl.getSubcommands().values().forEach(Main::applyExitCodeList);
    }

    /** Maps an engine failure to the exit-code contract; exhaustive over the sealed hierarchy. */
    static int exitCode(Throwable t) {
        if (t instanceof AnalysisException a) {
            return a.kind() == AnalysisException.Kind.MISSING ? ExitCodes.PRECONDITION : ExitCodes.USAGE;
        }
        if (!(t instanceof RecopsException e)) {
            return ExitCodes.FAILURE;
        }
        return switch (e) {
            case RecopsException.InvalidInput x -> ExitCodes.USAGE;
            case RecopsException.NotFound x -> ExitCodes.USAGE;
            case RecopsException.Conflict x -> ExitCodes.PRECONDITION;
            case RecopsException.PreconditionFailed x -> ExitCodes.PRECONDITION;
            case RecopsException.VerificationFailed x -> ExitCodes.CHECK_FAILED;
            case RecopsException.Unavailable x -> ExitCodes.FAILURE;
            case RecopsException.DeadlineExceeded x -> ExitCodes.FAILURE;
            case RecopsException.Cancelled x -> ExitCodes.FAILURE;
            case RecopsException.Failure x -> ExitCodes.FAILURE;
        };
    }

    private static String message(Throwable t) {
        if (t instanceof RecopsException || t instanceof AnalysisException) {
            return t.getMessage();
        }
        String m = t.getMessage();
        return "unexpected " + t.getClass().getSimpleName() + (m == null ? "" : ": " + m) + " (run with --verbose for details)";
    }

    private static boolean verbose(ParseResult parse) {
        for (ParseResult p = parse; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** Library logs go to stderr as one line each; warnings only, unless {@code --verbose}. */
    static void configureLogging(boolean verbose) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(Level.ALL);
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                StringBuilder line = new StringBuilder("recops: ");
                if (verbose) {
                    line.append('[').append(r.getInstant().toEpochMilli() - jvmStartMillis()).append(" ms] ");
                }
                line
                        .append(r.getLevel() == Level.SEVERE ? "error" : r.getLevel().getName().toLowerCase(Locale.ROOT))
                        .append(": ").append(formatMessage(r));
                if (r.getThrown() != null) {
                    if (verbose) {
                        StringWriter trace = new StringWriter();
                        r.getThrown().printStackTrace(new PrintWriter(trace));
                        line.append(System.lineSeparator()).append(trace);
                    } else if (r.getThrown().getMessage() != null && !line.toString().contains(r.getThrown().getMessage())) {
                        line.append(": ").append(r.getThrown().getMessage());
                    }
                }
                return line.append(System.lineSeparator()).toString();
            }
        });
        root.addHandler(handler);
        root.setLevel(verbose ? Level.INFO : Level.WARNING);
        if (!verbose) {
            // DJL probes for CUDA on every start and warns when there is none; on a CPU-only
            // machine that is noise, not a problem.
            QUIETED.forEach(l -> l.setLevel(Level.SEVERE));
        }
    }
}
