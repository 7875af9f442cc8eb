package dev.recops.engine.serve;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The listener drain's mechanism, on a plain socket: once the filter is attached, a connection
 * that was queued before still gets through and is served, a new attempt goes unanswered, and
 * after the close it is refused; never reset.
 */
class ListenerDrainTest {

    @Test
    void aFilteredListenerServesWhatWasQueuedAndLetsNewConnectionsWaitThenBeRefused() throws IOException {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "SO_ATTACH_FILTER and /proc are Linux's");
        InetSocketAddress address;
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            address = (InetSocketAddress) listener.getLocalSocketAddress();
            Socket queued = new Socket(address.getAddress(), address.getPort()); // in the accept queue
            assertThat(ListenerDrain.Listening.acceptQueue(address.getPort())).contains(1);

            ListenerDrain.Listening l = ListenerDrain.Listening.find(address.getPort()).orElseThrow();
            assertThat(ListenerDrain.refuseNew(l.fd())).isTrue();

            try (Socket late = new Socket()) {
                assertThatThrownBy(() -> late.connect(address, 300)).as("the SYN is dropped, not answered")
                        .isInstanceOf(SocketTimeoutException.class);
            }
            try (Socket accepted = listener.accept(); queued) {
                queued.getOutputStream().write('x');
                assertThat(accepted.getInputStream().read()).as("the connection queued before still works").isEqualTo('x');
            }
        }
        try (Socket afterClose = new Socket()) {
            assertThatThrownBy(() -> afterClose.connect(address, 1_000)).isInstanceOf(ConnectException.class);
        }
    }
}
