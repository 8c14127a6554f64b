package io.polyarch.registry.http;

import java.io.IOException;

/**
 * The one HTTP seam. The client's chain is user agent → auth → retry → JDK HttpClient; tests put a
 * scripted server behind the JDK transport, or a fake in place of it.
 */
@FunctionalInterface
public interface Transport {
    Response send(Request request) throws IOException, InterruptedException;
}
