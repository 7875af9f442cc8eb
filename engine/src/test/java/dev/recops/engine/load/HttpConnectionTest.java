package dev.recops.engine.load;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The load generator's HTTP/1.1 client against canned responses. */
class HttpConnectionTest {
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Serves one connection: for each request read, writes the next canned response. */
    private static ServerSocket serve(List<String> responses) throws Exception {
        ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            try (Socket s = ss.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (String r : responses) {
                    readRequest(in);
                    out.write(r.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                readRequest(in);
                Thread.sleep(2_000); // a request past the canned ones is never answered
            } catch (Exception ignored) {
                // the test is over
            }
        });
        return ss;
    }

    private static void readRequest(InputStream in) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            seen.write(b);
        }
    }

    private static HttpConnection connect(ServerSocket ss) throws Exception {
        return HttpConnection.open(new InetSocketAddress("127.0.0.1", ss.getLocalPort()), 1_000);
    }

    @Test
    void readsContentLengthChunkedAndEmptyBodiesOnOneConnection() throws Exception {
        try (ServerSocket ss = serve(List.of(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                "HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\nRetry-After: 1\r\n\r\n4;x=y\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: t\r\n\r\n",
                "HTTP/1.1 204 No Content\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\nCONTENT-LENGTH: 0\r\n\r\n"));
             HttpConnection c = connect(ss)) {
            assertThat(c.exchange(REQUEST, 1_000)).isEqualTo(200);
            assertThat(c.exchange(REQUEST, 1_000)).isEqualTo(503);
            assertThat(c.exchange(REQUEST, 1_000)).isEqualTo(204);
            assertThat(c.exchange(REQUEST, 1_000)).isEqualTo(404);
            assertThat(c.reusable()).isTrue();
        }
    }

    @Test
    void aBodyLargerThanTheBufferIsSkippedWhole() throws Exception {
        String big = "x".repeat(100_000);
        try (ServerSocket ss = serve(List.of("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + big,
                "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"));
             HttpConnection c = connect(ss)) {
            assertThat(c.exchange(REQUEST, 1_000)).isEqualTo(200);
            assertThat(c.exchange(REQUEST, 1_000)).isEqualTo(201);
        }
    }

    @Test
    void connectionCloseMakesTheConnectionUnusable() throws Exception {
        try (ServerSocket ss = serve(List.of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
             HttpConnection c = connect(ss)) {
            assertThat(c.exchange(REQUEST, 1_000)).isEqualTo(200);
            assertThat(c.reusable()).isFalse();
        }
    }

    @Test
    void noAnswerInTimeIsASocketTimeout() throws Exception {
        try (ServerSocket ss = serve(List.of()); HttpConnection c = connect(ss)) {
            assertThatThrownBy(() -> c.exchange(REQUEST, 200)).isInstanceOf(SocketTimeoutException.class);
            assertThat(c.reusable()).isFalse();
        }
    }

    @Test
    void somethingThatIsNotHttpIsRefused() throws Exception {
        try (ServerSocket ss = serve(List.of("SSH-2.0-OpenSSH_9.6\r\n\r\n")); HttpConnection c = connect(ss)) {
            assertThatThrownBy(() -> c.exchange(REQUEST, 1_000)).hasMessageContaining("not an HTTP/1.x response");
        }
    }
}
