package dev.recops.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Another recops command as a process, run as this JVM runs recops: the same Java, options and class path. */
final class RecopsProcess {
    private RecopsProcess() {}

    /** The command line of {@code recops ARGS}. */
    static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String arg : jvm) {
            if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-XX:StartFlightRecording") && !arg.startsWith("-Drecops.stderr.fd=")) {
                cmd.add(arg);
            }
        }
        if (!jvm.contains("--add-modules=jdk.incubator.vector")) {
            cmd.add("--add-modules=jdk.incubator.vector"); // as the launcher starts serve and bench (the JVM's one-line notice goes to their log)
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }
}
