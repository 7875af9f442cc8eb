package dev.recops.engine.drill;

import dev.recops.engine.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The link the fault proxy makes between a client and an echo server, clean and broken each way. */
class FaultProxyTest {
    private ServerSocket echo;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        } catch (IOException e) {
                            // the test closed it
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        proxy = FaultProxy.start(0, echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        return new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return new String(s.getInputStream().readNBytes(text.length()), StandardCharsets.UTF_8);
    }

    @Test
    void aCleanLinkPassesBytesBothWaysAndTheHalfClose() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).as("the echo server's close comes through").isEqualTo(-1);
        }
    }

    @Test
    void latencyAndBandwidthSlowTheLinkButDeliverEveryByte() throws IOException {
        proxy.set(new FaultProxy.Fault(20, 5, 1_000_000, false, false, "", 0));
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "x".repeat(5000))).isEqualTo("x".repeat(5000));
        }
    }

    @Test
    void aBlackHoleSwallowsBytesUntilTheLinkIsMended() throws IOException {
        try (Socket s = connect()) {
            proxy.set(new FaultProxy.Fault(0, 0, 0, false, true, "", 0));
            s.getOutputStream().write("lost".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            Await.until("the black hole took the bytes", () -> proxy.dropped() == 4);
            proxy.set(FaultProxy.Fault.NONE);
            assertThat(roundTrip(s, "back")).as("what was swallowed never arrives; what follows does").isEqualTo("back");
        }
    }

    @Test
    void aOneWayPartitionDropsOnlyThatWay() throws IOException {
        try (Socket s = connect()) {
            proxy.set(new FaultProxy.Fault(0, 0, 0, false, false, "from_replica", 0));
            s.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            // the request reached the echo server (its answer is what the partition drops)
            Await.until("the answer was dropped on its way back", () -> proxy.dropped() == 4);
            proxy.set(FaultProxy.Fault.NONE);
            assertThat(roundTrip(s, "pong")).isEqualTo("pong");
        }
    }

    @Test
    void aResetCutsOpenConnectionsAndRefusesNewOnes() throws IOException {
        Socket open = connect();
        assertThat(roundTrip(open, "a")).isEqualTo("a");
        proxy.set(new FaultProxy.Fault(0, 0, 0, true, false, "", 0));
        InputStream in = open.getInputStream();
        assertThatThrownBy(() -> {
            // the RST may arrive as an error on read, or after an end of stream on write
            if (in.read() == -1) {
                open.getOutputStream().write(1);
                open.getOutputStream().flush();
                in.read();
            }
            throw new AssertionError("still connected");
        }).isInstanceOf(IOException.class);
        open.close();
        try (Socket fresh = connect()) {
            assertThatThrownBy(() -> {
                if (fresh.getInputStream().read() == -1) {
                    throw new IOException("closed at once");
                }
            }).isInstanceOf(IOException.class);
        }
        proxy.set(FaultProxy.Fault.NONE);
        try (Socket again = connect()) {
            assertThat(roundTrip(again, "b")).isEqualTo("b");
        }
    }
}
