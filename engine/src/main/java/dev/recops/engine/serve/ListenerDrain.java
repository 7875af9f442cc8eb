package dev.recops.engine.serve;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.spi.ServerConnection;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Closes a listener without losing a request that a client already sent.
 *
 * <p>Closing a listening socket resets every connection still in the kernel's accept queue, and
 * Helidon's stop interrupts connections it accepted but whose first request it has not read yet:
 * clients see a reset or an empty response for a request they wrote, although the server was
 * only going away. So the listener is drained first: (1) a socket filter that drops new
 * connection attempts ({@link #REFUSE_SYN}) is attached to it (Linux's SO_ATTACH_FILTER, through
 * the FFM API): they go unanswered, and are refused once the socket is closed, while handshakes
 * already under way complete; (2) Helidon keeps accepting what the
 * kernel had queued, until the accept queue is empty; (3) every connection accepted gets its
 * request answered (with {@code Connection: close} while draining) and is closed by its client,
 * or has sat idle, not sending, for {@link #IDLE}. Only then is the server stopped.
 *
 * <p>Best effort where the platform does not allow it: without Linux's /proc or the filter, step
 * (1) and (2) are skipped and the server stops as before. Never throws.
 */
final class ListenerDrain {
    private static final Logger LOG = Logger.getLogger(ListenerDrain.class.getName());
    /** A connection idle this long, having sent nothing, is not about to: it is closed by the stop. */
    static final Duration IDLE = Duration.ofMillis(300);
    private static final int SOL_SOCKET = 1;
    private static final int SO_ATTACH_FILTER = 26;

    private ListenerDrain() {}

    /**
     * Drains the listener of {@code server} on {@code port} for at most {@code timeout}, then
     * leaves it to the caller to stop the server.
     */
    static void drain(WebServer server, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<Listening> listening = Listening.find(port);
        if (listening.isEmpty() || !refuseNew(listening.get().fd())) {
            return;
        }
        while (System.nanoTime() < deadline && Listening.acceptQueue(port).orElse(0) > 0) {
            LockSupport.parkNanos(1_000_000);
        }
        // A connection Helidon has accepted shows among its connections only once its first bytes
        // are read: give the last ones accepted the time a client that is about to send needs.
        LockSupport.parkNanos(Math.min(IDLE.toNanos(), Math.max(0, deadline - System.nanoTime())));
        while (System.nanoTime() < deadline && !quiet(server)) {
            LockSupport.parkNanos(2_000_000);
        }
    }

    /**
     * The classic BPF program attached to the listener: drop a segment whose flags are SYN without
     * ACK (a new connection attempt), keep everything else. A socket filter on a TCP socket sees
     * the segment from its TCP header, so byte 13 holds the flags. Dropping everything instead
     * also drops the last ACK of a handshake already under way: the client believes itself
     * connected and writes its request, but the server never creates the connection, and the
     * request is lost when the listener closes (seen at thousands of new connections a second,
     * when draining announces Connection: close on every answer). With this program such a
     * handshake completes, the connection is accepted from the queue, and its request answered.
     */
    static final short[][] REFUSE_SYN = {
        {0x30, 0, 0, 13}, // ldb [13]: the TCP flags
        {0x54, 0, 0, 0x12}, // and #(SYN|ACK)
        {0x15, 0, 1, 0x02}, // jeq #SYN: a new connection attempt
        {0x06, 0, 0, 0}, // ret #0: drop it
        {0x06, 0, 0, -1}, // ret #-1: keep the whole segment
    };

    /** Attaches {@link #REFUSE_SYN} to the socket; false when that fails. */
    @SuppressWarnings("restricted") // a native call; the launcher enables native access
    static boolean refuseNew(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            MethodHandle setsockopt = linker.downcallHandle(linker.defaultLookup().find("setsockopt").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            // struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}
            MemorySegment filter = arena.allocate(8L * REFUSE_SYN.length, 4);
            for (int i = 0; i < REFUSE_SYN.length; i++) {
                short[] insn = REFUSE_SYN[i];
                filter.set(ValueLayout.JAVA_SHORT, 8L * i, insn[0]);
                filter.set(ValueLayout.JAVA_BYTE, 8L * i + 2, (byte) insn[1]);
                filter.set(ValueLayout.JAVA_BYTE, 8L * i + 3, (byte) insn[2]);
                filter.set(ValueLayout.JAVA_INT, 8L * i + 4, insn[3]);
            }
            MemorySegment program = arena.allocate(16, 8); // struct sock_fprog {u16 len; struct sock_filter *filter}
            program.set(ValueLayout.JAVA_SHORT, 0, (short) REFUSE_SYN.length);
            program.set(ValueLayout.ADDRESS, 8, filter);
            int rc = (int) setsockopt.invokeExact(fd, SOL_SOCKET, SO_ATTACH_FILTER, program, 16);
            return rc == 0;
        } catch (Throwable e) {
            LOG.log(Level.FINE, "cannot attach a socket filter to the listener; it closes without draining", e);
            return false;
        }
    }

    /** True once no connection is open but ones idle for {@link #IDLE} (which a stop closes without loss). */
    private static boolean quiet(WebServer server) {
        for (ServerConnection c : connections(server)) {
            if (c.idleTime().compareTo(IDLE) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Helidon 4.5's open connections (its listeners' private maps); empty when they cannot be seen. */
    @SuppressWarnings("unchecked")
    private static List<ServerConnection> connections(WebServer server) {
        List<ServerConnection> all = new ArrayList<>();
        try {
            for (Object listener : ((Map<String, ?>) field(server, "listeners")).values()) {
                all.addAll(((Map<String, ServerConnection>) field(listener, "activeConnections")).values());
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(Level.FINE, "cannot see the server's connections", e);
        }
        return all;
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    /** The listening socket of a port in this process, found through /proc (Linux). */
    record Listening(int fd, long inode) {
        static Optional<Listening> find(int port) {
            Optional<Long> inode = row(port).map(r -> Long.parseLong(r[9]));
            if (inode.isEmpty()) {
                return Optional.empty();
            }
            String link = "socket:[" + inode.get() + "]";
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
                for (Path fd : fds) {
                    try {
                        if (Files.readSymbolicLink(fd).toString().equals(link)) {
                            return Optional.of(new Listening(Integer.parseInt(fd.getFileName().toString()), inode.get()));
                        }
                    } catch (IOException | NumberFormatException e) {
                        // closed meanwhile, or not a number: not ours
                    }
                }
            } catch (IOException e) {
                return Optional.empty();
            }
            return Optional.empty();
        }

        /** Connections waiting in the listener's accept queue (the rx_queue of a LISTEN row). */
        static Optional<Integer> acceptQueue(int port) {
            return row(port).map(r -> Integer.parseInt(r[4].substring(r[4].indexOf(':') + 1), 16));
        }

        /** The fields of the LISTEN row of the port in /proc/net/tcp or tcp6. */
        private static Optional<String[]> row(int port) {
            String hexPort = String.format(Locale.ROOT, ":%04X", port);
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                try {
                    for (String line : Files.readAllLines(Path.of(table))) {
                        String[] f = line.strip().split("\\s+");
                        if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                            return Optional.of(f);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // no such table here
                }
            }
            return Optional.empty();
        }
    }
}
