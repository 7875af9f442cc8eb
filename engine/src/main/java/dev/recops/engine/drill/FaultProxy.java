package dev.recops.engine.drill;

import dev.recops.engine.Poll;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy between HAProxy and one replica that can break the link, as Toxiproxy does: this
 * kernel has no netem, and a proxy in the path is what the balancer's health checks and the
 * requests both cross, so the balancer meets the fault the way it would meet a bad network.
 * Faults apply to connections already open and to new ones, from the moment they are set:
 * <ul>
 * <li>{@code latency} (with {@code jitter}): each chunk of bytes, either way, waits that long
 * (uniformly ± jitter) before it is passed on;
 * <li>{@code bandwidth}: bytes per second, each way;
 * <li>{@code reset}: every connection is closed with a TCP RST (SO_LINGER 0), new ones at once;
 * <li>{@code blackhole}: connections are accepted and nothing is passed on, either way;
 * <li>{@code partition}: one way only, {@code to_replica} or {@code from_replica}, bytes are
 * dropped (the other way still flows);
 * <li>{@code slow_close}: when one side closes, the other side's close waits this long.
 * </ul>
 */
final class FaultProxy implements AutoCloseable {
    /** The link's state; {@link #NONE} is a clean link. */
    record Fault(long latencyMs, long jitterMs, long bytesPerSecond, boolean reset, boolean blackhole, String partition, long slowCloseMs) {
        static final Fault NONE = new Fault(0, 0, 0, false, false, "", 0);

        String describe() {
            if (equals(NONE)) {
                return "clean";
            }
            StringBuilder b = new StringBuilder();
            if (latencyMs > 0) {
                b.append(" latency ").append(latencyMs).append(" ms").append(jitterMs > 0 ? " ± " + jitterMs + " ms" : "");
            }
            if (bytesPerSecond > 0) {
                b.append(" bandwidth ").append(bytesPerSecond).append(" B/s");
            }
            if (reset) {
                b.append(" reset");
            }
            if (blackhole) {
                b.append(" blackhole");
            }
            if (!partition.isEmpty()) {
                b.append(" partition ").append(partition);
            }
            if (slowCloseMs > 0) {
                b.append(" slow close ").append(slowCloseMs).append(" ms");
            }
            return b.toString().strip();
        }
    }

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile Fault fault = Fault.NONE;
    private volatile boolean closed;
    private final AtomicLong dropped = new AtomicLong();

    private FaultProxy(ServerSocket listener, InetSocketAddress upstream) {
        this.listener = listener;
        this.upstream = upstream;
    }

    /** Listens on {@code port} (loopback; 0 for any free one, {@link #port()} tells) and forwards to {@code upstreamPort}. */
    static FaultProxy start(int port, int upstreamPort) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        FaultProxy p = new FaultProxy(s, new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
        Thread.ofVirtual().name("fault-proxy-" + s.getLocalPort()).start(p::accept);
        return p;
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Bytes a black hole or a partition has swallowed so far. */
    long dropped() {
        return dropped.get();
    }

    /** Sets the link's fault; a reset also cuts every connection open now. */
    void set(Fault f) {
        fault = f;
        if (f.reset()) {
            open.forEach(FaultProxy::reset);
        }
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            Thread.ofVirtual().start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        open.add(client);
        Fault f = fault;
        if (f.reset()) {
            reset(client);
            open.remove(client);
            return;
        }
        Socket server = new Socket();
        try {
            server.connect(upstream, 1000);
        } catch (IOException e) {
            reset(client); // the replica refuses: so does the link
            open.remove(client);
            closeQuietly(server);
            return;
        }
        open.add(server);
        AtomicInteger directions = new AtomicInteger(2);
        Runnable finished = () -> {
            if (directions.decrementAndGet() == 0) { // both ways done: the connection is over
                closeQuietly(client);
                closeQuietly(server);
                open.remove(client);
                open.remove(server);
            }
        };
        Thread.ofVirtual().start(() -> pump(client, server, "to_replica", finished));
        pump(server, client, "from_replica", finished);
    }

    /** Copies {@code from} to {@code to}, applying the fault as it is when each chunk arrives. */
    private void pump(Socket from, Socket to, String direction, Runnable finished) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                Fault f = fault;
                if (f.reset()) {
                    break;
                }
                if (f.blackhole() || f.partition().equals(direction)) {
                    dropped.addAndGet(n);
                    continue; // read and dropped: the sender sees its bytes go, nothing arrives
                }
                if (f.latencyMs() > 0) {
                    long jitter = f.jitterMs() > 0 ? ThreadLocalRandom.current().nextLong(-f.jitterMs(), f.jitterMs() + 1) : 0;
                    Poll.sleep(Duration.ofMillis(Math.max(0, f.latencyMs() + jitter)));
                }
                out.write(buf, 0, n);
                out.flush();
                if (f.bytesPerSecond() > 0) {
                    Poll.sleep(Duration.ofMillis(Math.max(1, n * 1000L / f.bytesPerSecond())));
                }
            }
            // one side closed: pass the half-close on, after the slow close if there is one
            Fault f = fault;
            if (f.reset()) {
                reset(from);
                reset(to);
                return;
            }
            if (f.blackhole()) {
                closeQuietly(to); // no half-close passed on; the connection is only freed
                return;
            }
            if (f.slowCloseMs() > 0) {
                Poll.sleep(Duration.ofMillis(f.slowCloseMs()));
            }
            to.shutdownOutput();
        } catch (IOException e) {
            if (fault.reset()) {
                reset(to);
            } else {
                closeQuietly(to);
            }
        } finally {
            finished.run();
        }
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // nothing to do
        }
        open.forEach(FaultProxy::closeQuietly);
        open.clear();
    }
}
