/**
 * The recops command line. A command parses options, builds an engine request, makes one engine
 * call, renders the outcome and returns an exit code. Exit codes are declared once in
 * {@link dev.recops.cli.ExitCodes}; engine failures become exit codes in one exhaustive switch
 * ({@link dev.recops.cli.Main#exitCode}). Results go to standard output, diagnostics to standard
 * error, both through picocli's writers so tests can capture them. Only {@code Main.main} exits.
 */
package dev.recops.cli;
