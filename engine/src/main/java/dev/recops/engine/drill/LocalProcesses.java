package dev.recops.engine.drill;

import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What a local drill does with the processes, ports and files it starts: signals, waits, free ports, copies, log tails. */
final class LocalProcesses {
    private LocalProcesses() {}

    /** Sends a signal with kill(1); a process already gone, or no kill, is not an error. */
    static void signalQuietly(Process p, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // the process is gone or kill is missing: destroy() follows
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the process ended within {@code seconds}. */
    static boolean waitFor(Process p, int seconds) {
        try {
            return p.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * {@code n} loopback ports free a moment ago. Another process may take one before its user binds
     * it: a user that cannot pass port 0 must be ready to choose again ({@link LocalDeployment} does).
     */
    static List<Integer> freePorts(int n) {
        List<ServerSocket> open = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                open.add(s);
            }
            return open.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("no_ports", "cannot find free loopback ports: " + e.getMessage());
        } finally {
            for (ServerSocket s : open) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing a listening socket we own; nothing to do
                }
            }
        }
    }

    /** Copies a directory tree, replacing files that exist. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** The last three lines of a log, joined: for a one-line error. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
