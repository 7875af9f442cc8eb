package dev.recops.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** The exit-code contract of every recops command, declared once and printed in every help. */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int OK = 0;
    /** Something broke while running (a runtime failure, not the caller's fault). */
    public static final int FAILURE = 1;
    /** Usage error or invalid input file. */
    public static final int USAGE = 2;
    /** A check failed: SLO breached, drill deviated, verification failed, drift over threshold. */
    public static final int CHECK_FAILED = 3;
    /** A precondition failed: missing file, port busy, no JDK, missing tool. */
    public static final int PRECONDITION = 4;

    /** The list shown under "Exit codes" in help and man pages. */
    static Map<String, String> descriptions() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(" " + OK, "ok");
        codes.put(" " + FAILURE, "runtime failure");
        codes.put(" " + USAGE, "usage error or invalid input file");
        codes.put(" " + CHECK_FAILED, "check failed (SLO breached, drill deviated, verification failed, drift over threshold)");
        codes.put(" " + PRECONDITION, "precondition failed (missing file, port busy, no JDK, missing tool)");
        return codes;
    }
}
