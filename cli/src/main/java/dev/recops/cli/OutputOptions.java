package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The output format shared by every command: text for people, JSON for machines. */
public final class OutputOptions {
    enum Format { text, json }

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format = Format.text;

    boolean json() {
        return format == Format.json;
    }

    /** One result: {@code json} pretty-printed with --format json, else {@code text}. */
    void print(PrintWriter out, JsonNode json, String text) {
        out.println(json() ? json.toPrettyString() : text);
        out.flush();
    }
}
