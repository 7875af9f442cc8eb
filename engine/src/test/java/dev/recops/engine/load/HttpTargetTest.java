package dev.recops.engine.load;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The load generator never sends a request twice, and says how each one that failed was lost. */
class HttpTargetTest {
    private static final byte[] POST = ("POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

    /**
     * The server answers the first request and then closes the kept-alive connection after
     * reading the second one, as a server that closes an idle connection does when the client
     * writes at that moment. The second request is lost: counted as {@code eof}, not re-sent.
     */
    @Test
    void aRequestWrittenOnAConnectionTheServerClosesIsAFailureNeverRetried() throws Exception {
        AtomicInteger requestsSeen = new AtomicInteger();
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!ss.isClosed()) {
                    try {
                        Socket s = ss.accept();
                        Thread.ofVirtual().start(() -> serve(s, requestsSeen));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            try (HttpTarget target = HttpTarget.connect("http://127.0.0.1:" + ss.getLocalPort())) {
                Workload.Call call = new Workload.Call(Workload.Endpoint.SEARCH, POST, "{}");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                assertThat(target.call(call, deadline).status()).isEqualTo(200);
                Target.Outcome lost = target.call(call, deadline);

                assertThat(lost.errorKind()).isEqualTo("eof");
                assertThat(requestsSeen.get()).as("requests the server read").isEqualTo(2);
                assertThat(target.connections()).isEqualTo(new Target.Connections(1, 1));
            }
        }
    }

    /** A connection idle past the bound is closed unused and the request goes out on a new one. */
    @Test
    void aConnectionIdleTooLongIsNotReused() throws Exception {
        try (FakeServer server = new FakeServer(); HttpTarget target = HttpTarget.connect(server.url()).maxIdle(java.time.Duration.ZERO)) {
            Workload.Call call = new Workload.Call(Workload.Endpoint.SEARCH, POST, "{}");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            assertThat(target.call(call, deadline).status()).isEqualTo(200);
            assertThat(target.call(call, deadline).status()).isEqualTo(200);
            assertThat(target.connections()).isEqualTo(new Target.Connections(2, 0));
        }
        try (FakeServer server = new FakeServer(); HttpTarget target = HttpTarget.connect(server.url())) {
            Workload.Call call = new Workload.Call(Workload.Endpoint.SEARCH, POST, "{}");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            target.call(call, deadline);
            target.call(call, deadline);
            assertThat(target.connections()).as("reused within the bound").isEqualTo(new Target.Connections(1, 1));
        }
    }

    @Test
    void failuresAreNamedByKind() {
        assertThat(Target.Outcome.of(new java.io.EOFException()).errorKind()).isEqualTo("eof");
        assertThat(Target.Outcome.of(new java.net.SocketException("Connection reset")).errorKind()).isEqualTo("reset");
        assertThat(Target.Outcome.of(new java.net.SocketException("Broken pipe")).errorKind()).isEqualTo("reset");
        assertThat(Target.Outcome.of(new java.net.SocketTimeoutException()).errorKind()).isEqualTo("timeout");
        assertThat(Target.Outcome.of(new java.net.ConnectException("refused")).errorKind()).isEqualTo("connect");
        assertThat(Target.Outcome.of(new java.io.IOException("other")).errorKind()).isEqualTo("io");
    }

    /** Answers the first request of the whole server; reads any later one and closes without an answer. */
    private static void serve(Socket s, AtomicInteger requestsSeen) {
        try (s) {
            InputStream in = s.getInputStream();
            while (readRequest(in)) {
                if (requestsSeen.incrementAndGet() > 1) {
                    return;
                }
                s.getOutputStream().write(OK.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
        } catch (Exception e) {
            // the connection is over
        }
    }

    /** Reads one request with a 2-byte body; false at end of stream. */
    private static boolean readRequest(InputStream in) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return false;
            }
            seen.write(b);
        }
        return in.readNBytes(2).length == 2;
    }
}
